-- Scanner functions (flows-budgets-scanners.md §6): each does one bounded
-- batch on one partition with the caller's clock and re-validates every
-- candidate, so stale candidates and concurrent scanners cause no-ops only.
--
-- Scanner reply: {1,'OK', examined, changed, cleaned, failed, next_cursor,
--   n, eid_1, lane_1, ..., eid_n, lane_n, lane_a, count_a, ...}
-- where the n (eid, lane) pairs became eligible in this call (the caller
-- wakes parked claims of those lanes) and the trailing (lane, count) pairs
-- are eligible counts per lane (ff_reconcile_indexes only).

local FF_SCAN_MAX_BATCH = 1000
local FF_DELETE_CHUNK = 500

-- Reads (now_ms, limit) at args[i], args[i+1].
local function ff_scan_params(args, i)
  local now, bad = ff_arg_int(args[i], 'now_ms', false, 0)
  if bad then return nil, nil, bad end
  local limit
  limit, bad = ff_arg_int(args[i + 1], 'limit', false, 1, FF_SCAN_MAX_BATCH)
  if bad then return nil, nil, bad end
  return now, limit, nil
end

-- The partition tag of a declared partition index key, checked against
-- the expected `key_of(tag)` (an ff_key.* function of helpers.lua).
local function ff_scan_tag(key, key_of)
  local tag = ff_index_key_tag(key)
  if tag == nil or key ~= key_of(tag) then
    return nil
  end
  return tag
end

local function ff_scan_reply(s, became, lane_counts, cursor)
  local reply = {1, 'OK', ff_int_str(s.examined), ff_int_str(s.changed),
                 ff_int_str(s.cleaned), ff_int_str(s.failed), ff_s(cursor),
                 ff_int_str(#became / 2)}
  for _, v in ipairs(became) do
    reply[#reply + 1] = v
  end
  for _, v in ipairs(lane_counts or {}) do
    reply[#reply + 1] = v
  end
  return reply
end

-- The execution's keys and core when `eid` belongs to partition `tag`.
local function ff_scan_load(eid, tag)
  local K = ff_exec_keyset(eid)
  if K == nil or K.tag ~= tag then
    return nil, nil
  end
  return K, ff_hgetall(K.core)
end

-- public_state as execution-model.md §3.3 derives it.
local FF_PUBLIC_OF_OUTCOME = {
  success = 'completed', failed = 'failed', cancelled = 'cancelled', expired = 'expired',
  skipped = 'skipped',
}
local FF_PUBLIC_OF_ELIGIBILITY = {
  eligible_now = 'waiting', not_eligible_until_time = 'delayed',
  blocked_by_dependencies = 'waiting_children', blocked_by_budget = 'rate_limited',
  blocked_by_quota = 'rate_limited',
}
local function ff_derive_public_state(core)
  local lp = core.lifecycle_phase
  if lp == 'terminal' then
    return FF_PUBLIC_OF_OUTCOME[core.terminal_outcome] or 'failed'
  elseif lp == 'suspended' or lp == 'active' then
    return lp
  elseif lp == 'runnable' then
    return FF_PUBLIC_OF_ELIGIBILITY[core.eligibility_state] or 'waiting'
  end
  return 'waiting'
end

-- Expires due executions of the attempt_timeout or execution_deadline index
-- (transition 20).
local function ff_expire_due(keys, args, reason)
  local tag = ff_scan_tag(keys[1], reason == 'attempt_timeout' and ff_key.attempt_timeout
                                   or ff_key.execution_deadline)
  if tag == nil or #keys ~= 1 then return ff_err('invalid_input', 'keys:mismatch') end
  local now, limit, bad = ff_scan_params(args, 1)
  if bad then return bad end
  local s = {examined = 0, changed = 0, cleaned = 0, failed = 0}
  local due = redis.call('ZRANGEBYSCORE', keys[1], '-inf', ff_int_str(now), 'LIMIT', 0, limit)
  for _, eid in ipairs(due) do
    s.examined = s.examined + 1
    local K, core = ff_scan_load(eid, tag)
    local live_attempt = core and (core.attempt_state == 'running_attempt' or
                                   core.attempt_state == 'attempt_interrupted')
    if not core or core.lifecycle_phase == 'terminal' or
       (reason == 'attempt_timeout' and not live_attempt) then
      redis.call('ZREM', keys[1], eid)
      s.cleaned = s.cleaned + 1
    else
      ff_make_terminal(K, core, now, {
        outcome = 'expired', public_state = 'expired', attempt_end = 'ended_failure',
        attempt_reason = reason, stream_reason = 'expired',
        history_reason = 'expired:' .. reason, fields = {failure_reason = reason}})
      s.changed = s.changed + 1
    end
  end
  return ff_scan_reply(s, {}, nil, '')
end

-- KEYS: 1 ff:idx:T:lease_expiry. ARGV: 1 now_ms, 2 limit.
-- Marks due leases expired (transition 8) and requeues them for reclaim;
-- `failed` counts executions that hit their reclaim cap instead.
redis.register_function('ff_expire_leases', function(keys, args)
  local tag = ff_scan_tag(keys[1], ff_key.lease_expiry)
  if tag == nil or #keys ~= 1 then return ff_err('invalid_input', 'keys:mismatch') end
  local now, limit, bad = ff_scan_params(args, 1)
  if bad then return bad end
  local s = {examined = 0, changed = 0, cleaned = 0, failed = 0}
  local became = {}
  local due = redis.call('ZRANGEBYSCORE', keys[1], '-inf', ff_int_str(now), 'LIMIT', 0, limit)
  for _, eid in ipairs(due) do
    s.examined = s.examined + 1
    local K, core = ff_scan_load(eid, tag)
    if not core or core.lifecycle_phase ~= 'active' or core.ownership_state ~= 'leased' then
      redis.call('ZREM', keys[1], eid)
      s.cleaned = s.cleaned + 1
    elseif (tonumber(core.lease_expires_at) or 0) > now then
      -- Renewed since the entry was scored: re-score it.
      redis.call('ZADD', keys[1], core.lease_expires_at, eid)
    else
      s.changed = s.changed + 1
      if ff_mark_expired(K, core, now) == 'marked_expired' then
        became[#became + 1] = eid
        became[#became + 1] = core.lane_id
      else
        s.failed = s.failed + 1
      end
    end
  end
  return ff_scan_reply(s, became, nil, '')
end)

-- KEYS: one ff:idx:T:lane:<lane>:delayed per lane of ARGV.
-- ARGV: 1 now_ms, 2 limit (per lane), 3.. lane ids.
-- Promotes due delayed executions to eligible (transition 3; attempt_state
-- is kept, so a retry stays a retry and a resume a resume).
redis.register_function('ff_promote_delayed', function(keys, args)
  local now, limit, bad = ff_scan_params(args, 1)
  if bad then return bad end
  if #keys ~= #args - 2 or #keys == 0 then
    return ff_err('invalid_input', 'arity:one_key_per_lane')
  end
  local tag = ff_index_key_tag(keys[1])
  if tag == nil then return ff_err('invalid_input', 'keys:mismatch') end
  local s = {examined = 0, changed = 0, cleaned = 0, failed = 0}
  local became = {}
  for i, key in ipairs(keys) do
    local lane = args[i + 2]
    if key ~= ff_key.lane_index(tag, lane, 'delayed') then
      return ff_err('invalid_input', 'keys:' .. i .. ':mismatch')
    end
    local due = redis.call('ZRANGEBYSCORE', key, '-inf', ff_int_str(now), 'LIMIT', 0, limit)
    for _, eid in ipairs(due) do
      s.examined = s.examined + 1
      local K, core = ff_scan_load(eid, tag)
      if not core or core.lifecycle_phase ~= 'runnable' or
         core.eligibility_state ~= 'not_eligible_until_time' or core.lane_id ~= lane then
        redis.call('ZREM', key, eid)
        s.cleaned = s.cleaned + 1
      elseif (tonumber(core.delay_until) or 0) > now then
        redis.call('ZADD', key, core.delay_until, eid)
      else
        local now_s = ff_int_str(now)
        ff_hset_table(K.core, {
          eligibility_state = 'eligible_now', blocking_reason = 'waiting_for_worker',
          blocking_detail = '', public_state = 'waiting', delay_until = '',
          last_transition_at = now_s, last_mutation_at = now_s})
        redis.call('ZREM', key, eid)
        redis.call('ZADD', ff_key.lane_index(tag, lane, 'eligible'), ff_queue_score(core), eid)
        s.changed = s.changed + 1
        became[#became + 1] = eid
        became[#became + 1] = lane
      end
    end
  end
  return ff_scan_reply(s, became, nil, '')
end)

-- KEYS: 1 ff:idx:T:attempt_timeout. ARGV: 1 now_ms, 2 limit.
-- Due attempts end the execution as expired (no retry).
redis.register_function('ff_expire_attempt_timeouts', function(keys, args)
  return ff_expire_due(keys, args, 'attempt_timeout')
end)

-- KEYS: 1 ff:idx:T:execution_deadline. ARGV: 1 now_ms, 2 limit.
-- Due deadlines end the execution as expired from any phase.
redis.register_function('ff_expire_execution_deadlines', function(keys, args)
  return ff_expire_due(keys, args, 'execution_deadline')
end)

-- Deletes every key of a terminal execution, then its index entries.
local function ff_delete_execution(K, core)
  local tag, eid = K.tag, K.eid
  local waitpoints = ff_key.exec_waitpoints(tag, eid)
  local signals = ff_key.exec_signals(tag, eid)
  local all_edges = ff_key.deps_all_edges(tag, eid)
  local doomed = {
    K.payload, K.result, K.policy, K.tags, K.lease, K.history, K.grant, K.attempts,
    ff_key.suspension_current(tag, eid), ff_key.suspension_satisfied_set(tag, eid),
    ff_key.suspension_satisfied_signals(tag, eid),
    ff_key.suspension_member_map(tag, eid), waitpoints, signals,
    ff_key.deps_meta(tag, eid), ff_key.deps_unresolved(tag, eid), all_edges,
  }
  for i = 0, (tonumber(core.total_attempt_count) or 0) - 1 do
    local index = ff_int_str(i)
    doomed[#doomed + 1] = ff_key.attempt(tag, eid, index)
    doomed[#doomed + 1] = ff_key.stream(tag, eid, index)
    doomed[#doomed + 1] = ff_key.attempt_usage(tag, eid, index)
    doomed[#doomed + 1] = ff_key.attempt_policy(tag, eid, index)
    doomed[#doomed + 1] = ff_key.attempt_summary(tag, eid, index)
    doomed[#doomed + 1] = ff_key.stream_meta(tag, eid, index)
  end
  local pending_wp = ff_key.pending_waitpoint_expiry(tag)
  for _, wp in ipairs(redis.call('SMEMBERS', waitpoints)) do
    doomed[#doomed + 1] = ff_key.waitpoint_hash(tag, wp)
    doomed[#doomed + 1] = ff_key.waitpoint_signals(tag, wp)
    doomed[#doomed + 1] = ff_key.waitpoint_condition(tag, wp)
    redis.call('ZREM', pending_wp, wp)
  end
  for _, sig in ipairs(redis.call('ZRANGE', signals, 0, -1)) do
    doomed[#doomed + 1] = ff_key.signal_hash(tag, sig)
    doomed[#doomed + 1] = ff_key.signal_payload(tag, sig)
  end
  for _, edge in ipairs(redis.call('SMEMBERS', all_edges)) do
    doomed[#doomed + 1] = ff_key.dep_edge(tag, eid, edge)
  end
  for i = 1, #doomed, FF_DELETE_CHUNK do
    redis.call('DEL', unpack(doomed, i, math.min(i + FF_DELETE_CHUNK - 1, #doomed)))
  end
  -- The core goes last: until it is gone a failed trim is found again.
  redis.call('DEL', K.core)
  for _, state in ipairs(FF_WAITING_LANE_STATES) do
    redis.call('ZREM', ff_key.lane_index(K.tag, core.lane_id, state), K.eid)
  end
  redis.call('ZREM', ff_key.lane_index(K.tag, core.lane_id, 'terminal'), K.eid)
  for _, idx in ipairs({K.retention, K.all, K.deadline, K.attempt_timeout, K.lease_expiry}) do
    redis.call('ZREM', idx, K.eid)
  end
  redis.call('ZREM', ff_key.suspension_timeout(K.tag), K.eid)
end

-- KEYS: 1 ff:idx:T:retention, 2 ff:idx:T:all_executions.
-- ARGV: 1 now_ms, 2 limit.
-- The retention index scores each terminal execution at completed_at +
-- (stream_policy.retention_ttl_ms or 24 h); due ones are deleted with all
-- their keys. A replayed (no longer terminal) execution only loses its
-- stale entry.
redis.register_function('ff_trim_retention', function(keys, args)
  local tag = ff_scan_tag(keys[1], ff_key.retention)
  if tag == nil or #keys ~= 2 or keys[2] ~= ff_key.all_executions(tag) then
    return ff_err('invalid_input', 'keys:mismatch')
  end
  local now, limit, bad = ff_scan_params(args, 1)
  if bad then return bad end
  local s = {examined = 0, changed = 0, cleaned = 0, failed = 0}
  local due = redis.call('ZRANGEBYSCORE', keys[1], '-inf', ff_int_str(now), 'LIMIT', 0, limit)
  for _, eid in ipairs(due) do
    s.examined = s.examined + 1
    local K, core = ff_scan_load(eid, tag)
    if not core or core.lifecycle_phase ~= 'terminal' then
      redis.call('ZREM', keys[1], eid)
      if K and not core then
        redis.call('ZREM', keys[2], eid)
      end
      s.cleaned = s.cleaned + 1
    else
      ff_delete_execution(K, core)
      s.changed = s.changed + 1
    end
  end
  return ff_scan_reply(s, {}, nil, '')
end)

-- Makes one execution's index membership and public_state match its core.
-- Returns the number of repairs.
local function ff_repair_execution(K, core, now)
  local repairs = 0
  local function want(key, wanted, score)
    local present = redis.call('ZSCORE', key, K.eid)
    if wanted and not present then
      redis.call('ZADD', key, score, K.eid)
      repairs = repairs + 1
    elseif not wanted and present then
      redis.call('ZREM', key, K.eid)
      repairs = repairs + 1
    end
  end
  local lp, lane = core.lifecycle_phase, core.lane_id
  local fallback = ff_int_str(now)
  want(ff_key.lane_index(K.tag, lane, 'eligible'), ff_claim_path(core) ~= nil, ff_queue_score(core))
  want(ff_key.lane_index(K.tag, lane, 'delayed'),
       lp == 'runnable' and core.eligibility_state == 'not_eligible_until_time',
       ff_is_set(core.delay_until) and core.delay_until or fallback)
  want(ff_key.lane_index(K.tag, lane, 'active'), lp == 'active',
       ff_is_set(core.lease_expires_at) and core.lease_expires_at or fallback)
  want(K.lease_expiry, lp == 'active' and core.ownership_state == 'leased',
       ff_is_set(core.lease_expires_at) and core.lease_expires_at or fallback)
  local completed = ff_is_set(core.completed_at) and core.completed_at or fallback
  want(ff_key.lane_index(K.tag, lane, 'terminal'), lp == 'terminal', completed)
  want(K.retention, lp == 'terminal',
       ff_int_str((tonumber(completed) or now) + ff_retention_ms(K)))
  local derived = ff_derive_public_state(core)
  if core.public_state ~= derived then
    redis.call('HSET', K.core, 'public_state', derived)
    repairs = repairs + 1
  end
  return repairs
end

-- KEYS: 1 ff:idx:T:all_executions, then one lane eligible ZSET per lane of ARGV.
-- ARGV: 1 now_ms, 2 cursor (exclusive id; '' = start), 3 limit, 4.. lane ids.
-- Repairs a page of the partition's executions (changed = repairs), then
-- drops stale entries from the head (up to `limit`) of each lane's eligible
-- ZSET (cleaned), and reports each lane's eligible count.
redis.register_function('ff_reconcile_indexes', function(keys, args)
  local tag = ff_scan_tag(keys[1], ff_key.all_executions)
  if tag == nil or #keys ~= #args - 2 then return ff_err('invalid_input', 'keys:mismatch') end
  local now, bad = ff_arg_int(args[1], 'now_ms', false, 0)
  if bad then return bad end
  local limit
  limit, bad = ff_arg_int(args[3], 'limit', false, 1, FF_SCAN_MAX_BATCH)
  if bad then return bad end
  local cursor = ff_s(args[2])
  local s = {examined = 0, changed = 0, cleaned = 0, failed = 0}
  local became = {}
  local min = '-'
  if cursor ~= '' then min = '(' .. cursor end
  local ids = redis.call('ZRANGE', keys[1], min, '+', 'BYLEX', 'LIMIT', 0, limit + 1)
  local next_cursor = ''
  if #ids > limit then
    ids[#ids] = nil
    next_cursor = ids[#ids]
  end
  for _, eid in ipairs(ids) do
    s.examined = s.examined + 1
    local K, core = ff_scan_load(eid, tag)
    if not core then
      redis.call('ZREM', keys[1], eid)
      s.cleaned = s.cleaned + 1
    else
      local queue = ff_key.lane_index(tag, core.lane_id, 'eligible')
      local was_queued = redis.call('ZSCORE', queue, eid)
      s.changed = s.changed + ff_repair_execution(K, core, now)
      if not was_queued and redis.call('ZSCORE', queue, eid) then
        became[#became + 1] = eid
        became[#became + 1] = core.lane_id
      end
    end
  end
  local counts = {}
  for i = 2, #keys do
    local lane = args[i + 2]
    if keys[i] ~= ff_key.lane_index(tag, lane, 'eligible') then
      return ff_err('invalid_input', 'keys:' .. i .. ':mismatch')
    end
    for _, eid in ipairs(redis.call('ZRANGE', keys[i], 0, limit - 1)) do
      local _, core = ff_scan_load(eid, tag)
      if not core or core.lane_id ~= lane or ff_claim_path(core) == nil then
        redis.call('ZREM', keys[i], eid)
        s.cleaned = s.cleaned + 1
      end
    end
    counts[#counts + 1] = lane
    counts[#counts + 1] = ff_int_str(redis.call('ZCARD', keys[i]))
  end
  return ff_scan_reply(s, became, counts, next_cursor)
end)

-- KEYS: one lane eligible ZSET per lane of ARGV (one partition).
-- ARGV: lane ids. Returns {1,'OK',lane,count,...}.
redis.register_function{
  function_name = 'ff_count_eligible',
  flags = {'no-writes'},
  callback = function(keys, args)
    if #keys ~= #args or #keys == 0 then
      return ff_err('invalid_input', 'arity:one_key_per_lane')
    end
    local tag = ff_index_key_tag(keys[1])
    local reply = {1, 'OK'}
    for i, key in ipairs(keys) do
      if tag == nil or key ~= ff_key.lane_index(tag, args[i], 'eligible') then
        return ff_err('invalid_input', 'keys:' .. i .. ':mismatch')
      end
      reply[#reply + 1] = args[i]
      reply[#reply + 1] = ff_int_str(redis.call('ZCARD', key))
    end
    return reply
  end,
}
