-- Complete, fail (with retry), cancel and replay (execution-model.md §6).
--
-- Terminal operations are idempotent under a retry with the same fence:
-- releasing a lease keeps the last lease's identity in exec_core (lease.lua),
-- so a repeated call whose fence names that lease is answered with the
-- outcome already stored (with a `replayed` flag) instead of an error.

local FF_DEFAULT_MAX_REPLAYS = 10

-- The longest retry backoff (365 days, core/execution.hpp max_retry_delay_ms).
-- Create refuses longer ones; the clamp keeps any stored policy from
-- producing a time that is not an exact integer.
local FF_MAX_RETRY_DELAY_MS = 31536000000

-- Retry delay in ms for the next retry, or nil when the policy allows none
-- (§6.2: no retry_policy object = no retry; max_retries defaults to 3 when
-- the object exists; fixed or exponential backoff, optional jitter).
local function ff_retry_delay(policy, retry_count)
  local rp = policy.retry_policy
  if type(rp) ~= 'table' then
    return nil
  end
  local max_retries = ff_json_uint(rp, 'max_retries') or 3
  if retry_count >= max_retries then
    return nil
  end
  local backoff = rp.backoff
  if type(backoff) ~= 'table' then
    backoff = {}
  end
  local kind = backoff.type
  if kind == nil or kind == cjson.null then
    kind = 'exponential'
  end
  local delay
  if kind == 'fixed' then
    delay = ff_json_uint(backoff, 'delay_ms') or 1000
  elseif kind == 'exponential' then
    local initial = ff_json_uint(backoff, 'initial_delay_ms') or 1000
    local max_delay = ff_json_uint(backoff, 'max_delay_ms') or 60000
    local multiplier = backoff.multiplier
    if type(multiplier) ~= 'number' or multiplier < 1 then
      multiplier = 2.0
    end
    delay = math.min(initial * multiplier ^ retry_count, max_delay)
  else
    delay = 1000
  end
  if backoff.jitter == true then
    -- Equal jitter: half the delay fixed, half spread by the clock's
    -- microseconds (functions have no seeded randomness of their own).
    local usec = tonumber(redis.call('TIME')[2]) or 0
    delay = delay / 2 + (delay / 2) * ((usec % 1000) / 1000)
  end
  if delay ~= delay or delay > FF_MAX_RETRY_DELAY_MS then
    delay = FF_MAX_RETRY_DELAY_MS
  end
  return math.floor(delay)
end

-- KEYS: the execution key block.
-- ARGV: 1 execution_id, 2 lease_id, 3 lease_epoch, 4 attempt_index,
--       5 attempt_id ('' = not checked), 6 result_payload, 7 source.
-- An empty fence is accepted only with source 'operator_override' (the
-- server completes the current lease).
-- Returns {1,'OK','completed',replayed ('0'|'1')}
--       | {0, fence_required | partial_fence_triple | execution_not_found
--          | execution_not_active (+outcome, epoch, phase, attempt_id)
--          | stale_lease | lease_revoked | lease_expired}.
redis.register_function('ff_complete_execution', function(keys, args)
  local K, bad = ff_exec_keys(keys, args[1])
  if bad then return bad end
  local f
  f, bad = ff_read_fence(args, 2)
  if bad then return bad end
  local payload, source = ff_s(args[6]), ff_s(args[7])
  local core = ff_hgetall(K.core)
  if not core then return ff_err('execution_not_found') end
  -- Only a caller's own fence can prove a retry of its earlier call.
  local fenced = f ~= nil
  if f == nil then
    if source ~= 'operator_override' then return ff_err('fence_required') end
    f = ff_core_fence(core)
  end
  if core.lifecycle_phase ~= 'active' then
    if fenced and core.lifecycle_phase == 'terminal' and core.terminal_outcome == 'success' and
       ff_fence_matches(core, f) then
      return ff_ok('completed', '1')
    end
    return ff_not_active(core)
  end
  local now = ff_now_ms()
  local err = ff_check_lease(K, core, f, now)
  if err then return err end

  ff_make_terminal(K, core, now, {
    outcome = 'success', public_state = 'completed', attempt_end = 'ended_success',
    stream_reason = 'attempt_success', history_reason = 'completed'})
  -- An empty result is a result: GET result answers it (empty), and a
  -- replayed execution never keeps serving the previous run's.
  redis.call('SET', K.result, payload)
  return ff_ok('completed', '0')
end)

-- KEYS: the execution key block.
-- ARGV: 1 execution_id, 2 lease_id, 3 lease_epoch, 4 attempt_index,
--       5 attempt_id ('' = not checked), 6 failure_reason,
--       7 failure_category, 8 retryable ('0' = never retry), 9 source,
--       10 failure_details (the worker's raw JSON, '' = none).
-- The retry policy is the stored policy's retry_policy.
-- Returns {1,'OK','retry_scheduled',retry_at,replayed}
--       | {1,'OK','failed','',replayed} | errors as ff_complete_execution.
redis.register_function('ff_fail_execution', function(keys, args)
  local K, bad = ff_exec_keys(keys, args[1])
  if bad then return bad end
  local f
  f, bad = ff_read_fence(args, 2)
  if bad then return bad end
  local reason, category = ff_s(args[6]), ff_s(args[7])
  local retryable, source = ff_s(args[8]) ~= '0', ff_s(args[9])
  local details = ff_s(args[10])
  local core = ff_hgetall(K.core)
  if not core then return ff_err('execution_not_found') end
  local fenced = f ~= nil
  if f == nil then
    if source ~= 'operator_override' then return ff_err('fence_required') end
    f = ff_core_fence(core)
  end
  if core.lifecycle_phase ~= 'active' then
    if fenced and ff_fence_matches(core, f) then
      if core.lifecycle_phase == 'terminal' and core.terminal_outcome == 'failed' then
        return ff_ok('failed', '', '1')
      end
      if core.lifecycle_phase == 'runnable' and core.attempt_state == 'pending_retry_attempt' then
        local ak = ff_key.attempt(K.tag, K.eid, core.current_attempt_index)
        return ff_ok('retry_scheduled', ff_s(redis.call('HGET', ak, 'retry_at')), '1')
      end
    end
    return ff_not_active(core)
  end
  local now = ff_now_ms()
  local err = ff_check_lease(K, core, f, now)
  if err then return err end

  local delay = nil
  if retryable then
    delay = ff_retry_delay(ff_policy(K), tonumber(core.retry_count) or 0)
  end
  if delay == nil then
    ff_make_terminal(K, core, now, {
      outcome = 'failed', public_state = 'failed', attempt_end = 'ended_failure',
      attempt_reason = reason, attempt_category = category,
      stream_reason = 'attempt_failure', history_reason = 'failed_terminal',
      fields = {failure_reason = reason, failure_category = category,
                failure_details = details}})
    return ff_ok('failed', '', '0')
  end

  -- Transition 12: back to runnable, delayed until the backoff passes (or
  -- eligible at once for a zero delay).
  local now_s = ff_int_str(now)
  local retry_at = now + delay
  local retry_at_s = ff_int_str(retry_at)
  local waiting = delay <= 0
  local t = ff_clear_lease_mirror({
    lifecycle_phase = 'runnable', ownership_state = 'unowned',
    eligibility_state = waiting and 'eligible_now' or 'not_eligible_until_time',
    blocking_reason = waiting and 'waiting_for_worker' or 'waiting_for_retry_backoff',
    blocking_detail = '', terminal_outcome = 'none', attempt_state = 'pending_retry_attempt',
    public_state = waiting and 'waiting' or 'delayed',
    retry_count = ff_int_str((tonumber(core.retry_count) or 0) + 1),
    delay_until = waiting and '' or retry_at_s, failure_reason = reason,
    failure_category = category, failure_details = details,
    pending_retry_reason = reason,
    pending_previous_attempt_index = ff_s(core.current_attempt_index),
    last_transition_at = now_s, last_mutation_at = now_s,
  })
  ff_hset_table(K.core, t)
  local ak = ff_key.attempt(K.tag, K.eid, core.current_attempt_index)
  redis.call('HSET', ak, 'attempt_state', 'ended_failure', 'ended_at', now_s,
             'failure_reason', reason, 'failure_category', category, 'retry_at', retry_at_s)
  ff_close_stream(K, core.current_attempt_index, 'attempt_failure', now, false)
  ff_drop_lease(K, core)
  ff_history(K, 'released', {
    'lease_id', ff_s(core.current_lease_id), 'lease_epoch', ff_s(core.current_lease_epoch),
    'attempt_index', ff_s(core.current_attempt_index),
    'attempt_id', ff_s(core.current_attempt_id), 'reason', 'failed_retry_scheduled',
    'ts', now_s})
  if waiting then
    redis.call('ZADD', ff_key.lane_index(K.tag, core.lane_id, 'eligible'), ff_queue_score(core),
               K.eid)
  else
    redis.call('ZADD', ff_key.lane_index(K.tag, core.lane_id, 'delayed'), retry_at_s, K.eid)
  end
  return ff_ok('retry_scheduled', retry_at_s, '0')
end)

-- KEYS: the execution key block.
-- ARGV: 1 execution_id, 2 reason, 3 source ('' = operator_override),
--       4 lease_id, 5 lease_epoch, 6 attempt_index, 7 attempt_id (fence,
--       optional).
-- operator_override skips lease checks and cancels any non-terminal
-- execution. Any other source must carry the fence while the execution is
-- active (fence_required / stale_lease / lease_revoked); a non-active
-- execution is cancelled without one (system_timeout, flow_cascade).
-- Returns {1,'OK','cancelled',previous_phase,replayed}
--       | {0,'execution_not_active',outcome,epoch,phase,attempt_id} (already
--         terminal, unless the same fence cancelled it: then replayed='1').
redis.register_function('ff_cancel_execution', function(keys, args)
  local K, bad = ff_exec_keys(keys, args[1])
  if bad then return bad end
  local reason, source = ff_s(args[2]), ff_s(args[3])
  if source == '' then source = 'operator_override' end
  local f
  f, bad = ff_read_fence(args, 4)
  if bad then return bad end
  local core = ff_hgetall(K.core)
  if not core then return ff_err('execution_not_found') end
  if core.lifecycle_phase == 'terminal' then
    if f ~= nil and core.terminal_outcome == 'cancelled' and ff_fence_matches(core, f) then
      return ff_ok('cancelled', 'terminal', '1')
    end
    return ff_not_active(core)
  end
  if source ~= 'operator_override' then
    if core.lifecycle_phase == 'active' then
      if f == nil then return ff_err('fence_required') end
      if not ff_fence_matches(core, f) then return ff_err('stale_lease') end
      if core.ownership_state == 'lease_revoked' then return ff_err('lease_revoked') end
    elseif f ~= nil then
      -- The caller claims a lease the execution no longer has.
      return ff_err('stale_lease')
    end
  end

  local previous_phase = core.lifecycle_phase
  ff_make_terminal(K, core, ff_now_ms(), {
    outcome = 'cancelled', public_state = 'cancelled', attempt_end = 'ended_cancelled',
    attempt_reason = 'cancelled: ' .. reason, stream_reason = 'attempt_cancelled',
    history_reason = 'cancelled', no_publish = source == 'flow_cascade',
    fields = {cancellation_reason = reason, cancelled_by = source}})
  return ff_ok('cancelled', previous_phase, '0')
end)

-- KEYS: the execution key block.
-- ARGV: 1 execution_id, 2 reason (optional), 3 requested_by (optional).
-- Returns {1,'OK','waiting',replay_count}
--       | {0,'execution_not_terminal'} | {0,'max_replays_exhausted',limit}
--       | {0,'replay_not_allowed','skipped_flow_member'} (a skipped flow
--         member re-arms its edges; that belongs to the flow functions).
redis.register_function('ff_replay_execution', function(keys, args)
  local K, bad = ff_exec_keys(keys, args[1])
  if bad then return bad end
  local core = ff_hgetall(K.core)
  if not core then return ff_err('execution_not_found') end
  if core.lifecycle_phase ~= 'terminal' then return ff_err('execution_not_terminal') end
  local limit = ff_json_uint(ff_policy(K), 'max_replay_count') or FF_DEFAULT_MAX_REPLAYS
  local count = tonumber(core.replay_count) or 0
  if count >= limit then return ff_err('max_replays_exhausted', ff_int_str(limit)) end
  if core.terminal_outcome == 'skipped' and ff_is_set(core.flow_id) then
    return ff_err('replay_not_allowed', 'skipped_flow_member')
  end

  local now_s = ff_int_str(ff_now_ms())
  ff_hset_table(K.core, {
    lifecycle_phase = 'runnable', ownership_state = 'unowned',
    eligibility_state = 'eligible_now', blocking_reason = 'waiting_for_worker',
    blocking_detail = '', terminal_outcome = 'none',
    attempt_state = 'pending_replay_attempt', public_state = 'waiting',
    replay_count = ff_int_str(count + 1), completed_at = '',
    pending_replay_reason = ff_s(args[2]), pending_replay_requested_by = ff_s(args[3]),
    pending_previous_attempt_index = ff_s(core.current_attempt_index),
    last_transition_at = now_s, last_mutation_at = now_s})
  redis.call('ZREM', ff_key.lane_index(K.tag, core.lane_id, 'terminal'), K.eid)
  redis.call('ZREM', K.retention, K.eid)
  redis.call('ZADD', ff_key.lane_index(K.tag, core.lane_id, 'eligible'), ff_queue_score(core),
             K.eid)
  ff_history(K, 'replay_initiated', {
    'replay_count', ff_int_str(count + 1), 'replay_type', 'normal', 'ts', now_s})
  return ff_ok('waiting', ff_int_str(count + 1))
end)
