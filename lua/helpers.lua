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

-- ---- Key layout: the Lua side of backends/valkey/keys.hpp ----------------
-- Lifecycle functions declare the keys they can name from their arguments;
-- keys that depend on stored state (the lane's indexes, the lease holder's
-- lease set, the records of the current attempt) are built here from the
-- execution id. Every key carries the id's hash tag, so a call stays on one
-- slot.

-- The `{fp:N}` an execution id (or a partition index key) starts with.
local function ff_tag_of(id)
  if type(id) ~= 'string' then
    return nil
  end
  return string.match(id, '^(%b{})')
end

local function ff_lane_key(tag, lane, state)
  return 'ff:idx:' .. tag .. ':lane:' .. lane .. ':' .. state
end

local function ff_worker_leases_key(tag, instance_id)
  return 'ff:idx:' .. tag .. ':worker:' .. instance_id .. ':leases'
end

-- ff:attempt:T:E:I[:suffix] (kind 'attempt') or ff:stream:T:E:I[:suffix]
-- (kind 'stream'); `index` is the decimal attempt index.
local function ff_attempt_scoped_key(kind, eid, index, suffix)
  local key = 'ff:' .. kind .. ':' .. ff_tag_of(eid) .. ':' .. eid .. ':' .. index
  if suffix then
    key = key .. ':' .. suffix
  end
  return key
end

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
  local base = 'ff:exec:' .. tag .. ':' .. eid .. ':'
  local idx = 'ff:idx:' .. tag .. ':'
  return {
    eid = eid, tag = tag,
    core = base .. 'core', payload = base .. 'payload', policy = base .. 'policy',
    tags = base .. 'tags', result = base .. 'result', lease = base .. 'lease:current',
    history = base .. 'lease:history', grant = base .. 'claim_grant',
    attempts = base .. 'attempts',
    lease_expiry = idx .. 'lease_expiry', attempt_timeout = idx .. 'attempt_timeout',
    deadline = idx .. 'execution_deadline', all = idx .. 'all_executions',
    retention = idx .. 'retention',
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
