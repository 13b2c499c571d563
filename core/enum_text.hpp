#pragma once
// Wire text of the engine's enums. Control flow inside the node compares
// enum values; the text exists only where a value crosses an edge: the HTTP
// codecs write it, a backend reads it from its store. Each enum lists its
// names once, in enumerator order, in a specialisation of enum_text.

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>

namespace ff {

// Specialise with `static constexpr std::array<std::string_view, N> names`,
// names[i] being the text of the enumerator whose value is i.
template <class E>
struct enum_text;

template <class E>
constexpr std::string_view text_of(E value) {
  const auto& names = enum_text<E>::names;
  auto i = static_cast<std::size_t>(value);
  return i < names.size() ? names[i] : std::string_view{};
}

// The enumerator whose text is `text`; false (and `out` untouched) when no
// name matches.
template <class E>
constexpr bool parse_enum(std::string_view text, E& out) {
  const auto& names = enum_text<E>::names;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == text) {
      out = static_cast<E>(static_cast<std::underlying_type_t<E>>(i));
      return true;
    }
  }
  return false;
}

} // namespace ff
