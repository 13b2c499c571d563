#pragma once
// Bearer-token authentication (rest-api.md §1.8).

#include <string_view>

namespace ff {

// Byte-wise comparison whose time depends only on the length: unequal
// lengths fail at once, equal lengths always look at every byte.
bool constant_time_equal(std::string_view a, std::string_view b);

// `authorization` is the header value (nullptr when absent). True when it is
// exactly "Bearer " followed by `token`. An empty `token` means auth is off.
bool bearer_token_ok(const std::string* authorization, std::string_view token);

// The two paths that never need a token; exact match on the raw path.
bool auth_exempt_path(std::string_view raw_path);

} // namespace ff
