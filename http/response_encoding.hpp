#pragma once
// Response shapes shared by the codecs of more than one handler: the lease
// object of decisions.md §5.1 (acquire in workers_dispatch, claim in
// executions_claim) and the signals a resumed or already-satisfied
// attempt receives (that lease object and the suspend answer).

#include <string>
#include <vector>

#include "core/engine_error.hpp"
#include "core/lease.hpp"
#include "http/json_codec.hpp"

namespace ff {

// An error inside a larger answer (a batch item, a `next` that failed):
// "status", "error", and "kind" / "retryable" as error_response writes them.
void write_error_members(json_writer& w, const engine_error& e);

// [{"signal_id","signal_name","source_identity","payload":[bytes]}, ...]
void write_signals(json_writer& w, const std::vector<delivered_signal>& signals);

// The lease object (acquire and executions/{id}/claim). `signals` is always
// present: `[]` unless the attempt resumes a suspension.
std::string encode_claimed_lease(const claimed_lease& lease);
void write_claimed_lease(json_writer& w, const claimed_lease& lease);
// [lease, ...]: what acquire with max_tasks and a `next` request answer.
void write_leases(json_writer& w, const std::vector<claimed_lease>& leases);

} // namespace ff
