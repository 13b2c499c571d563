-- Shared helpers for every area file. This file comes first in the
-- concatenation (lua/CMakeLists.txt), right after the generated header
-- that defines FF_LIBRARY_VERSION.
--
-- Conventions (execution-model.md §0):
--   * success is {1, 'OK', ...} (or another status such as 'DUPLICATE'),
--     failure is {0, '<snake_case_code>', detail...}, both as normal replies;
--   * every returned scalar is a string;
--   * "unset" fields hold '' (never HDEL);
--   * numeric ARGV arrive as decimal strings and are validated here.
--
-- A function library may not create globals, so everything is `local`.
-- Lua allows at most 200 locals in one chunk: area files register their
-- functions inline (`redis.register_function('ff_x', function(keys, args)`)
-- and keep module-level locals for shared helpers and constants only.

local function ff_ok(...)
  return {1, 'OK', ...}
end

-- A success reply with a status other than OK ('DUPLICATE', 'NOT_FOUND', ...).
local function ff_status(status, ...)
  return {1, status, ...}
end

local function ff_err(code, ...)
  return {0, code, ...}
end

-- Server clock in epoch milliseconds.
local function ff_now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function ff_is_set(v)
  return v ~= nil and v ~= false and v ~= ''
end

-- Exact decimal text of an integral number. tostring() keeps only 14
-- significant digits, which is not enough for queue scores (~16 digits).
-- '%d' prints the same text as '%.0f' for an integral number below 2^53 in
-- magnitude (other than -0) and costs half as much; anything else (strings,
-- nil, fractions) keeps '%.0f' and its coercions and errors.
local function ff_int_str(n)
  if type(n) == 'number' and n % 1 == 0 and n < 9007199254740992 and
     n > -9007199254740992 and (n ~= 0 or 1 / n > 0) then
    return string.format('%d', n)
  end
  return string.format('%.0f', n)
end

-- Decimal integer text -> number, or nil. At most 15 digits so every
-- accepted value is exact in a double.
local function ff_parse_int(s)
  if type(s) ~= 'string' then
    return nil
  end
  local digits = string.match(s, '^%-?(%d+)$')
  if digits == nil or #digits > 15 then
    return nil
  end
  return tonumber(s)
end

-- Reads a numeric ARGV slot. Returns the number, or nil plus the
-- `invalid_input` reply to send back. With `optional`, an empty slot gives
-- nil and no error. `min` / `max` are inclusive bounds (nil = unbounded).
local function ff_arg_int(value, name, optional, min, max)
  if optional and (value == nil or value == '') then
    return nil, nil
  end
  local n = ff_parse_int(value)
  if n == nil then
    return nil, ff_err('invalid_input', name .. ':not_an_integer')
  end
  if (min ~= nil and n < min) or (max ~= nil and n > max) then
    return nil, ff_err('invalid_input', name .. ':out_of_range')
  end
  return n, nil
end

-- Decodes a JSON object. Returns the table, or nil when the text is not a
-- JSON object (cjson turns both {} and [] into an empty table).
local function ff_decode_json_object(text)
  local ok, value = pcall(cjson.decode, text)
  if not ok or type(value) ~= 'table' then
    return nil
  end
  return value
end

-- HSET of a Lua table of field -> string value; no-op when empty. Sent in
-- batches because unpack() is bounded by the Lua C stack (~8000 values).
local function ff_hset_table(key, fields)
  local argv, n = {}, 0
  for field, value in pairs(fields) do
    argv[n + 1] = field
    argv[n + 2] = value
    n = n + 2
    if n >= 1000 then
      redis.call('HSET', key, unpack(argv, 1, n))
      argv, n = {}, 0
    end
  end
  if n > 0 then
    redis.call('HSET', key, unpack(argv, 1, n))
  end
end

-- ff_hset_table of only the fields whose value differs from `old`, which
-- must mirror the stored hash (as read earlier in this call). exec_core has
-- ~60 fields and HSET scans the listpack once per field written. Same
-- pairs() order as ff_hset_table, so a field the hash lacks is appended
-- exactly where it would have been. For small tables (no batching).
local function ff_hset_changed(key, old, fields)
  local argv, n = {}, 0
  for field, value in pairs(fields) do
    if old[field] ~= value then
      argv[n + 1] = field
      argv[n + 2] = value
      n = n + 2
    end
  end
  if n > 0 then
    redis.call('HSET', key, unpack(argv, 1, n))
  end
end

-- HGETALL as a table of field -> value; nil when the hash does not exist.
local function ff_hgetall(key)
  local flat = redis.call('HGETALL', key)
  if #flat == 0 then
    return nil
  end
  local t = {}
  for i = 1, #flat, 2 do
    t[flat[i]] = flat[i + 1]
  end
  return t
end

-- The value, or '' for nil / false (reply and stream fields must be strings).
local function ff_s(v)
  if v == nil or v == false then
    return ''
  end
  return v
end

-- ---- Keys -----------------------------------------------------------------
-- Every key name the library spells is built in this section, one function
-- per key shape; no other area file writes a key name. ff_key.<name>
-- mirrors valkey_keys::<name>_key in backends/valkey/keys.hpp (which takes
-- the whole execution id alone where these take tag and id); "no twin"
-- marks a key only this library builds.
--
-- The node passes in KEYS every key it can name from a call's arguments;
-- the library derives the rest here from the arguments or stored state
-- (the lane's indexes, the lease holder's lease set, the records of the
-- current attempt, waitpoints and signals). A derived key always carries
-- the hash tag of the declared keys, so a call stays on one slot.
--
-- T = a partition hash tag `{fp:N}`, E = a whole execution id
-- `{fp:N}:<uuid>` (the tag appears twice; the cluster hashes the first).

-- The `{fp:N}` an execution id starts with (tag_of); nil when it has none.
local function ff_tag_of(id)
  if type(id) ~= 'string' then
    return nil
  end
  return string.match(id, '^(%b{})')
end

-- The T of a declared `ff:idx:T:...` key; nil when it is not one.
local function ff_index_key_tag(key)
  return string.match(ff_s(key), '^ff:idx:(%b{})')
end

-- The T of a declared ff:sec:T:waitpoint_hmac key (waitpoint_hmac_key);
-- nil when it is not one.
local function ff_waitpoint_hmac_key_tag(key)
  return string.match(ff_s(key), '^ff:sec:(%b{}):waitpoint_hmac$')
end

-- One table, not a local per key: a function library has at most 200
-- top-level locals.
local ff_key = {}

-- Per execution: ff:exec:T:E:<suffix> (exec_key).
function ff_key.exec_core(tag, eid)
  return 'ff:exec:' .. tag .. ':' .. eid .. ':core'
end
function ff_key.exec_payload(tag, eid)
  return 'ff:exec:' .. tag .. ':' .. eid .. ':payload'
end
function ff_key.exec_policy(tag, eid)
  return 'ff:exec:' .. tag .. ':' .. eid .. ':policy'
end
function ff_key.exec_tags(tag, eid)
  return 'ff:exec:' .. tag .. ':' .. eid .. ':tags'
end
function ff_key.exec_result(tag, eid)
  return 'ff:exec:' .. tag .. ':' .. eid .. ':result'
end
function ff_key.lease_current(tag, eid)
  return 'ff:exec:' .. tag .. ':' .. eid .. ':lease:current'
end
function ff_key.lease_history(tag, eid)
  return 'ff:exec:' .. tag .. ':' .. eid .. ':lease:history'
end
function ff_key.claim_grant(tag, eid)
  return 'ff:exec:' .. tag .. ':' .. eid .. ':claim_grant'
end
function ff_key.attempts(tag, eid)
  return 'ff:exec:' .. tag .. ':' .. eid .. ':attempts'
end
function ff_key.suspension_current(tag, eid)
  return 'ff:exec:' .. tag .. ':' .. eid .. ':suspension:current'
end
function ff_key.exec_waitpoints(tag, eid)
  return 'ff:exec:' .. tag .. ':' .. eid .. ':waitpoints'
end
function ff_key.exec_signals(tag, eid)
  return 'ff:exec:' .. tag .. ':' .. eid .. ':signals'
end
-- No twin: the open suspension's condition tokens.
function ff_key.suspension_satisfied_set(tag, eid)
  return 'ff:exec:' .. tag .. ':' .. eid .. ':suspension:current:satisfied_set'
end
-- No twin: the ids of the signals that added condition tokens.
function ff_key.suspension_satisfied_signals(tag, eid)
  return 'ff:exec:' .. tag .. ':' .. eid .. ':suspension:current:satisfied_set:signals'
end
-- No twin (only deleted).
function ff_key.suspension_member_map(tag, eid)
  return 'ff:exec:' .. tag .. ':' .. eid .. ':suspension:current:member_map'
end
-- No twin: dependency records (only deleted, with the execution).
function ff_key.deps_meta(tag, eid)
  return 'ff:exec:' .. tag .. ':' .. eid .. ':deps:meta'
end
function ff_key.deps_unresolved(tag, eid)
  return 'ff:exec:' .. tag .. ':' .. eid .. ':deps:unresolved'
end
function ff_key.deps_all_edges(tag, eid)
  return 'ff:exec:' .. tag .. ':' .. eid .. ':deps:all_edges'
end
function ff_key.dep_edge(tag, eid, edge)
  return 'ff:exec:' .. tag .. ':' .. eid .. ':dep:' .. edge
end

-- Per attempt: ff:attempt:T:E:I[:suffix], ff:stream:T:E:I[:meta];
-- `index` is the decimal attempt index.
function ff_key.attempt(tag, eid, index)
  return 'ff:attempt:' .. tag .. ':' .. eid .. ':' .. index
end
function ff_key.attempt_summary(tag, eid, index)
  return 'ff:attempt:' .. tag .. ':' .. eid .. ':' .. index .. ':summary'
end
-- No twin: the attempt's usage report sequence.
function ff_key.attempt_usage(tag, eid, index)
  return 'ff:attempt:' .. tag .. ':' .. eid .. ':' .. index .. ':usage'
end
-- No twin (only deleted, with the execution).
function ff_key.attempt_policy(tag, eid, index)
  return 'ff:attempt:' .. tag .. ':' .. eid .. ':' .. index .. ':policy'
end
function ff_key.stream(tag, eid, index)
  return 'ff:stream:' .. tag .. ':' .. eid .. ':' .. index
end
function ff_key.stream_meta(tag, eid, index)
  return 'ff:stream:' .. tag .. ':' .. eid .. ':' .. index .. ':meta'
end

-- Per partition: ff:idx:T:<name>.
function ff_key.lane_index(tag, lane, state)
  return 'ff:idx:' .. tag .. ':lane:' .. lane .. ':' .. state
end
function ff_key.worker_leases(tag, instance_id)
  return 'ff:idx:' .. tag .. ':worker:' .. instance_id .. ':leases'
end
function ff_key.lease_expiry(tag)
  return 'ff:idx:' .. tag .. ':lease_expiry'
end
function ff_key.attempt_timeout(tag)
  return 'ff:idx:' .. tag .. ':attempt_timeout'
end
function ff_key.execution_deadline(tag)
  return 'ff:idx:' .. tag .. ':execution_deadline'
end
function ff_key.all_executions(tag)
  return 'ff:idx:' .. tag .. ':all_executions'
end
function ff_key.retention(tag)
  return 'ff:idx:' .. tag .. ':retention'
end
function ff_key.suspension_timeout(tag)
  return 'ff:idx:' .. tag .. ':suspension_timeout'
end
function ff_key.pending_waitpoint_expiry(tag)
  return 'ff:idx:' .. tag .. ':pending_waitpoint_expiry'
end

-- Waitpoints and signals (slot of T).
function ff_key.waitpoint_hash(tag, wpid)
  return 'ff:wp:' .. tag .. ':' .. wpid
end
function ff_key.waitpoint_signals(tag, wpid)
  return 'ff:wp:' .. tag .. ':' .. wpid .. ':signals'
end
function ff_key.waitpoint_condition(tag, wpid)
  return 'ff:wp:' .. tag .. ':' .. wpid .. ':condition'
end
function ff_key.signal_hash(tag, sid)
  return 'ff:signal:' .. tag .. ':' .. sid
end
-- No twin: a signal's payload.
function ff_key.signal_payload(tag, sid)
  return 'ff:signal:' .. tag .. ':' .. sid .. ':payload'
end
-- No twin: a signal idempotency record (first signal id, with a TTL).
function ff_key.signal_dedup(tag, wpid, idempotency_key)
  return 'ff:sigdedup:' .. tag .. ':' .. wpid .. ':' .. idempotency_key
end
-- No twin: a suspend idempotency record (the first reply, with a TTL).
function ff_key.suspend_dedup(tag, eid, idempotency_key)
  return 'ff:dedup:suspend:' .. tag .. ':' .. eid .. ':' .. idempotency_key
end
-- No twin: the partition's signal delivery stream.
function ff_key.signal_delivery(tag)
  return 'ff:part:' .. tag .. ':signal_delivery'
end

-- Not a key: the channel a finished flow member's outcome is published on.
local FF_CHANNEL_DAG_COMPLETIONS = 'ff:dag:completions'

-- ---- The execution key block ----------------------------------------------

-- The keys every lifecycle function declares, in KEYS order (the C++ side
-- builds the same list with valkey_keys::exec_block_keys).
local FF_EXEC_BLOCK = {
  'core', 'payload', 'policy', 'tags', 'result', 'lease', 'history', 'grant',
  'attempts', 'lease_expiry', 'attempt_timeout', 'deadline', 'all', 'retention',
}

-- Named keys of one execution; nil when the id has no hash tag.
local function ff_exec_keyset(eid)
  local tag = ff_tag_of(eid)
  if tag == nil then
    return nil
  end
  return {
    eid = eid, tag = tag,
    core = ff_key.exec_core(tag, eid), payload = ff_key.exec_payload(tag, eid),
    policy = ff_key.exec_policy(tag, eid), tags = ff_key.exec_tags(tag, eid),
    result = ff_key.exec_result(tag, eid), lease = ff_key.lease_current(tag, eid),
    history = ff_key.lease_history(tag, eid), grant = ff_key.claim_grant(tag, eid),
    attempts = ff_key.attempts(tag, eid),
    lease_expiry = ff_key.lease_expiry(tag), attempt_timeout = ff_key.attempt_timeout(tag),
    deadline = ff_key.execution_deadline(tag), all = ff_key.all_executions(tag),
    retention = ff_key.retention(tag),
  }
end

-- Validates the declared key block against the execution id, so a client
-- built against another layout fails loudly instead of writing stray keys.
local function ff_exec_keys(keys, eid)
  local K = ff_exec_keyset(eid)
  if K == nil then
    return nil, ff_err('invalid_input', 'execution_id:malformed')
  end
  if #keys ~= #FF_EXEC_BLOCK then
    return nil, ff_err('invalid_input', 'arity:expected_' .. #FF_EXEC_BLOCK .. '_keys')
  end
  for i = 1, #FF_EXEC_BLOCK do
    if keys[i] ~= K[FF_EXEC_BLOCK[i]] then
      return nil, ff_err('invalid_input', 'keys:' .. FF_EXEC_BLOCK[i] .. ':mismatch')
    end
  end
  return K, nil
end

-- ---- Suspension, waitpoints and signals ----------------------------------
-- One table of helpers, filled in by suspension.lua and signal.lua. Area
-- files earlier in the concatenation (lease.lua: terminal transitions and
-- resumed claims) call into it at run time, after the whole library has
-- loaded; one local keeps the chunk far from Lua's 200-locals limit.
local FF_WP = {}
