-- Leases, attempts and the lifecycle steps shared by claims, terminal
-- operations and scanners (execution-model.md §4, §6).
--
-- Where this differs from the reference, it is to keep the stored state
-- self-consistent (decisions.md §3):
--   * a lease found expired (by the scanner or lazily by a write path) or
--     revoked puts the execution back in its lane's eligible ZSET, so the
--     next claim reclaims it as a new attempt of type `reclaim` instead of
--     stranding it; when the reclaim cap is already reached it fails
--     terminally at once. The lease_expiry entry is removed once marked, so
--     the scanner's bounded batch never refills with handled entries.
--   * releasing a lease keeps current_lease_id, current_lease_epoch,
--     current_attempt_index and current_attempt_id (the identity of the last
--     lease), so a retried terminal call with the same fence is answered with
--     the outcome it already produced, and renew can tell a cancelled
--     lease holder why.
--   * the stream close marker is written even when the attempt never
--     appended a frame, so a tailing reader always learns the attempt ended.

local FF_HISTORY_MAXLEN = 1000
local FF_DEFAULT_RECLAIM_CAP = 100
local FF_DEFAULT_RETENTION_MS = 86400000
local FF_MAX_LEASE_TTL_MS = 86400000
-- Every lane index an unfinished execution can sit in.
local FF_WAITING_LANE_STATES = {
  'eligible', 'delayed', 'active', 'suspended', 'blocked:dependencies',
  'blocked:budget', 'blocked:quota', 'blocked:route', 'blocked:operator',
}
-- attempt_state -> type of the attempt the next claim creates.
local FF_ATTEMPT_TYPE_OF = {
  pending_first_attempt = 'initial', none = 'initial',
  pending_retry_attempt = 'retry', pending_replay_attempt = 'replay',
}

-- The stored policy as a table ({} when absent or undecodable).
local function ff_policy(K)
  local text = redis.call('GET', K.policy)
  return (text and ff_decode_json_object(text)) or {}
end

-- A non-negative integral number field of a decoded JSON object, or nil.
local function ff_json_uint(t, name)
  if type(t) ~= 'table' then
    return nil
  end
  local v = t[name]
  if type(v) ~= 'number' or v < 0 or v ~= math.floor(v) then
    return nil
  end
  return v
end

-- Eligible-queue score from the original creation time, so requeued work
-- keeps its place (execution-model.md §5.1).
local function ff_queue_score(core)
  return ff_int_str((tonumber(core.created_at) or 0) -
                    (tonumber(core.priority) or 0) * FF_PRIORITY_WEIGHT)
end

local function ff_history(K, event, fields)
  redis.call('XADD', K.history, 'MAXLEN', '~', FF_HISTORY_MAXLEN, '*', 'event', event,
             unpack(fields))
end

-- Writes the close marker of an attempt's stream. `overwrite` replaces an
-- earlier marker (a reclaim after the lease-expired marker).
local function ff_close_stream(K, index, reason, now, overwrite)
  if not ff_is_set(index) then
    return
  end
  local meta = ff_key.stream_meta(K.tag, K.eid, index)
  if not overwrite and ff_is_set(redis.call('HGET', meta, 'closed_at')) then
    return
  end
  redis.call('HSET', meta, 'closed_at', ff_int_str(now), 'closed_reason', reason)
end

-- Adds the cleared lease mirror to a table of exec_core changes.
local function ff_clear_lease_mirror(t)
  t.current_worker_id = ''
  t.current_worker_instance_id = ''
  t.lease_acquired_at = ''
  t.lease_expires_at = ''
  t.lease_last_renewed_at = ''
  t.lease_renewal_deadline = ''
  return t
end

-- Deletes the lease record and its index entries (the core is written by
-- the caller).
local function ff_drop_lease(K, core)
  redis.call('DEL', K.lease)
  redis.call('ZREM', K.lease_expiry, K.eid)
  redis.call('ZREM', ff_key.lane_index(K.tag, core.lane_id, 'active'), K.eid)
  redis.call('ZREM', K.attempt_timeout, K.eid)
  if ff_is_set(core.current_worker_instance_id) then
    redis.call('SREM', ff_key.worker_leases(K.tag, core.current_worker_instance_id), K.eid)
  end
end

local function ff_retention_ms(K)
  local sp = ff_policy(K).stream_policy
  local ttl = ff_json_uint(sp, 'retention_ttl_ms')
  if ttl ~= nil and ttl > 0 then
    return ttl
  end
  return FF_DEFAULT_RETENTION_MS
end

-- Ends an execution (transitions 11, 13, 20, 21, 10b): exec_core first, then
-- the attempt, its stream, the lease and every index.
-- o: outcome, public_state, attempt_end (final attempt state),
--    attempt_reason, attempt_category, stream_reason, history_reason,
--    fields (extra exec_core fields), no_publish, waitpoint_reason (how an
--    open suspension closes; default the outcome).
local function ff_make_terminal(K, core, now, o)
  local now_s = ff_int_str(now)
  local live_attempt = core.attempt_state == 'running_attempt' or
                       core.attempt_state == 'attempt_interrupted'
  local t = ff_clear_lease_mirror(o.fields or {})
  t.lifecycle_phase = 'terminal'
  t.ownership_state = 'unowned'
  t.eligibility_state = 'not_applicable'
  t.blocking_reason = 'none'
  t.blocking_detail = ''
  t.terminal_outcome = o.outcome
  t.public_state = o.public_state
  if (tonumber(core.total_attempt_count) or 0) > 0 then
    t.attempt_state = 'attempt_terminal'
  end
  t.completed_at = now_s
  t.delay_until = ''
  t.last_transition_at = now_s
  t.last_mutation_at = now_s
  -- Every caller passes the core it read in this call; the ones that wrote
  -- it since (ff_mark_expired, ff_revoke_lease) update `core` to match.
  ff_hset_changed(K.core, core, t)
  -- No waitpoint of a finished execution stays open (suspension.lua).
  FF_WP.close_for_terminal(K, core, now, o.waitpoint_reason or o.outcome)

  if live_attempt and ff_is_set(core.current_attempt_index) then
    local ak = ff_key.attempt(K.tag, K.eid, core.current_attempt_index)
    local st = redis.call('HGET', ak, 'attempt_state')
    if st == 'started' or st == 'suspended' then
      redis.call('HSET', ak, 'attempt_state', o.attempt_end, 'ended_at', now_s,
                 'failure_reason', ff_s(o.attempt_reason),
                 'failure_category', ff_s(o.attempt_category))
    end
    ff_close_stream(K, core.current_attempt_index, o.stream_reason, now, false)
  end
  if ff_is_set(core.ownership_state) and core.ownership_state ~= 'unowned' then
    ff_history(K, 'released', {
      'lease_id', ff_s(core.current_lease_id), 'lease_epoch', ff_s(core.current_lease_epoch),
      'attempt_index', ff_s(core.current_attempt_index),
      'attempt_id', ff_s(core.current_attempt_id), 'reason', o.history_reason, 'ts', now_s})
  end
  ff_drop_lease(K, core)
  for i = 1, #FF_WAITING_LANE_STATES do
    redis.call('ZREM', ff_key.lane_index(K.tag, core.lane_id, FF_WAITING_LANE_STATES[i]), K.eid)
  end
  redis.call('ZREM', K.deadline, K.eid)
  redis.call('ZREM', ff_key.suspension_timeout(K.tag), K.eid)
  redis.call('ZADD', ff_key.lane_index(K.tag, core.lane_id, 'terminal'), now_s, K.eid)
  redis.call('ZADD', K.retention, ff_int_str(now + ff_retention_ms(K)), K.eid)
  if ff_is_set(core.flow_id) and not o.no_publish then
    redis.call('PUBLISH', FF_CHANNEL_DAG_COMPLETIONS, cjson.encode({
      execution_id = K.eid, flow_id = core.flow_id, outcome = o.outcome}))
  end
end

-- Reclaim cap: the policy's top-level max_reclaim_count, else
-- timeout_policy.max_reclaim_count, else the caller's default, else 100.
local function ff_reclaim_cap(policy, default)
  return ff_json_uint(policy, 'max_reclaim_count') or
         ff_json_uint(policy.timeout_policy, 'max_reclaim_count') or
         default or FF_DEFAULT_RECLAIM_CAP
end

-- Transition 10b: the reclaim cap is reached, the execution fails.
local function ff_fail_reclaim_cap(K, core, now)
  ff_make_terminal(K, core, now, {
    outcome = 'failed', public_state = 'failed', attempt_end = 'ended_failure',
    attempt_reason = 'max_reclaims_exceeded', stream_reason = 'attempt_failure',
    history_reason = 'failed_terminal', fields = {failure_reason = 'max_reclaims_exceeded'}})
end

-- An execution whose lease expired or was revoked goes back to its lane's
-- eligible ZSET for reclaim, or fails when no reclaim is left. Returns true
-- when requeued.
local function ff_requeue_for_reclaim(K, core, now, default_cap)
  local cap = ff_reclaim_cap(ff_policy(K), default_cap)
  if (tonumber(core.lease_reclaim_count) or 0) >= cap then
    ff_fail_reclaim_cap(K, core, now)
    return false
  end
  redis.call('ZADD', ff_key.lane_index(K.tag, core.lane_id, 'eligible'), ff_queue_score(core),
             K.eid)
  return true
end

-- Transition 8 (active, leased, expired) plus the requeue. Returns
-- 'marked_expired' or 'reclaim_cap_failed'. Updates `core` in place.
local function ff_mark_expired(K, core, now)
  local now_s = ff_int_str(now)
  ff_hset_table(K.core, {
    ownership_state = 'lease_expired_reclaimable', blocking_reason = 'waiting_for_worker',
    attempt_state = 'attempt_interrupted', lease_expired_at = now_s,
    last_transition_at = now_s, last_mutation_at = now_s})
  core.ownership_state = 'lease_expired_reclaimable'
  core.blocking_reason = 'waiting_for_worker'
  core.attempt_state = 'attempt_interrupted'
  core.lease_expired_at = now_s
  core.last_transition_at = now_s
  core.last_mutation_at = now_s
  ff_history(K, 'expired', {
    'lease_id', ff_s(core.current_lease_id), 'lease_epoch', ff_s(core.current_lease_epoch),
    'attempt_index', ff_s(core.current_attempt_index),
    'attempt_id', ff_s(core.current_attempt_id), 'worker_id', ff_s(core.current_worker_id),
    'worker_instance_id', ff_s(core.current_worker_instance_id), 'ts', now_s})
  ff_close_stream(K, core.current_attempt_index, 'lease_expired', now, false)
  redis.call('ZREM', K.lease_expiry, K.eid)
  if ff_requeue_for_reclaim(K, core, now, nil) then
    return 'marked_expired'
  end
  return 'reclaim_cap_failed'
end

-- The fence at args[i .. i+3]: lease_id, lease_epoch, attempt_index,
-- attempt_id (optional). Returns nil when the first three are all empty
-- (unfenced), the fence table, or nil plus the error reply.
local function ff_read_fence(args, i)
  local lease_id, epoch_s, index_s = ff_s(args[i]), ff_s(args[i + 1]), ff_s(args[i + 2])
  if lease_id == '' and epoch_s == '' and index_s == '' then
    return nil, nil
  end
  if lease_id == '' or epoch_s == '' or index_s == '' then
    return nil, ff_err('partial_fence_triple')
  end
  local epoch, bad = ff_arg_int(epoch_s, 'lease_epoch', false, 0)
  if bad then return nil, bad end
  local index
  index, bad = ff_arg_int(index_s, 'attempt_index', false, 0)
  if bad then return nil, bad end
  return {lease_id = lease_id, epoch = ff_int_str(epoch), index = ff_int_str(index),
          attempt_id = ff_s(args[i + 3])}, nil
end

-- The current fence of the execution (operator_override calls).
local function ff_core_fence(core)
  return {lease_id = ff_s(core.current_lease_id), epoch = ff_s(core.current_lease_epoch),
          index = ff_s(core.current_attempt_index), attempt_id = ''}
end

-- True when the fence names the current (or, once released, the last) lease.
local function ff_fence_matches(core, f)
  return f.lease_id ~= '' and core.current_lease_id == f.lease_id and
         core.current_lease_epoch == f.epoch and core.current_attempt_index == f.index and
         (f.attempt_id == '' or f.attempt_id == core.current_attempt_id)
end

-- execution_not_active with the detail a client reconciles on (§4.4).
local function ff_not_active(core)
  return ff_err('execution_not_active', ff_s(core.terminal_outcome),
                ff_s(core.current_lease_epoch), ff_s(core.lifecycle_phase),
                ff_s(core.current_attempt_id))
end

-- Full validation of a lease-bound write (§4.4). A stale fence is checked
-- before revocation / expiry so a caller that lost the lease to a newer
-- holder learns `stale_lease`. A live lease past its expiry is marked
-- expired here (that write stays even though the call fails).
-- Returns nil when the caller holds a live lease, else the error reply.
local function ff_check_lease(K, core, f, now)
  if core.lifecycle_phase ~= 'active' then
    return ff_not_active(core)
  end
  if not ff_fence_matches(core, f) then
    return ff_err('stale_lease')
  end
  if core.ownership_state == 'lease_revoked' or ff_is_set(core.lease_revoked_at) then
    return ff_err('lease_revoked')
  end
  if core.ownership_state == 'lease_expired_reclaimable' then
    return ff_err('lease_expired')
  end
  local expires = tonumber(core.lease_expires_at)
  if expires == nil or expires <= now then
    ff_mark_expired(K, core, now)
    return ff_err('lease_expired')
  end
  return nil
end

-- Builds the claim reply: {1,'OK', prefix..., eid, attempt_index,
-- attempt_id, attempt_type, lease_id, lease_epoch, lease_expires_at,
-- lane_id, execution_kind, input_payload, payload_encoding, policy_json,
-- signals, tag field, tag value, ...} where signals is one nested array of
-- (signal_id, signal_name, source_identity, payload) quadruples: what a
-- resumed attempt receives, empty otherwise. `policy_text` is the stored
-- policy as ff_start_attempt read it (nil when absent).
local function ff_lease_reply(K, core, prefix, index_s, attempt_id, attempt_type, lease_id,
                              epoch_s, expires_s, policy_text, signals)
  local reply, n = {1, 'OK'}, 2
  for i = 1, #prefix do
    n = n + 1
    reply[n] = prefix[i]
  end
  reply[n + 1] = K.eid
  reply[n + 2] = index_s
  reply[n + 3] = attempt_id
  reply[n + 4] = attempt_type
  reply[n + 5] = lease_id
  reply[n + 6] = epoch_s
  reply[n + 7] = expires_s
  reply[n + 8] = ff_s(core.lane_id)
  reply[n + 9] = ff_s(core.execution_kind)
  reply[n + 10] = ff_s(redis.call('GET', K.payload))
  reply[n + 11] = ff_s(core.payload_encoding)
  reply[n + 12] = ff_s(policy_text)
  reply[n + 13] = signals or {}
  n = n + 13
  local tags = redis.call('HGETALL', K.tags)
  for i = 1, #tags do
    reply[n + i] = tags[i]
  end
  return reply
end

-- Starts a lease on the execution (transitions 4, 5, 10):
--   p.kind 'new'     a new attempt, type from attempt_state;
--   p.kind 'resume'  the interrupted attempt continues (type 'resumed');
--   p.kind 'reclaim' the expired / revoked attempt is closed and a new
--                    attempt of type 'reclaim' starts.
-- p: worker_id, worker_instance_id, lease_id, attempt_id, lease_ttl_ms,
--    history_reason (optional). The caller has validated state and grant;
-- `core` is exec_core as read in this call, with no write since.
-- Returns the claim reply with `prefix` before the lease fields.
local function ff_start_attempt(K, core, now, p, prefix)
  local now_s = ff_int_str(now)
  local epoch = (tonumber(core.current_lease_epoch) or 0) + 1
  local expires = now + p.lease_ttl_ms
  local renewal = now + math.floor(p.lease_ttl_ms * 2 / 3)
  local epoch_s, expires_s, renewal_s = ff_int_str(epoch), ff_int_str(expires),
                                        ff_int_str(renewal)
  local old_index = core.current_attempt_index
  local index, attempt_id, attempt_type
  if p.kind == 'resume' then
    index = tonumber(old_index)
    attempt_id = core.current_attempt_id
    attempt_type = 'resumed'
  else
    index = tonumber(core.total_attempt_count) or 0
    attempt_id = p.attempt_id
    attempt_type = (p.kind == 'reclaim') and 'reclaim' or
                   (FF_ATTEMPT_TYPE_OF[core.attempt_state] or 'initial')
  end
  local index_s = ff_int_str(index)
  local ak = ff_key.attempt(K.tag, K.eid, index_s)

  local t = {
    lifecycle_phase = 'active', ownership_state = 'leased',
    eligibility_state = 'not_applicable', blocking_reason = 'none', blocking_detail = '',
    terminal_outcome = 'none', attempt_state = 'running_attempt', public_state = 'active',
    current_attempt_index = index_s, current_attempt_id = attempt_id,
    current_lease_id = p.lease_id, current_lease_epoch = epoch_s,
    current_worker_id = p.worker_id, current_worker_instance_id = p.worker_instance_id,
    current_lane = core.lane_id,
    lease_acquired_at = now_s, lease_expires_at = expires_s,
    lease_last_renewed_at = now_s, lease_renewal_deadline = renewal_s,
    lease_expired_at = '', lease_revoked_at = '', lease_revoke_reason = '',
    pending_retry_reason = '', pending_replay_reason = '', pending_replay_requested_by = '',
    pending_previous_attempt_index = '', delay_until = '', completed_at = '',
    last_transition_at = now_s, last_mutation_at = now_s,
  }
  if not ff_is_set(core.started_at) then
    t.started_at = now_s
  end
  if p.kind ~= 'resume' then
    t.total_attempt_count = ff_int_str(index + 1)
  end
  if p.kind == 'reclaim' then
    t.lease_reclaim_count = ff_int_str((tonumber(core.lease_reclaim_count) or 0) + 1)
  end
  -- About a third of these fields already hold their value (a fresh
  -- execution has every '' above).
  ff_hset_changed(K.core, core, t)

  if p.kind == 'reclaim' then
    if ff_is_set(old_index) then
      local old_ak = ff_key.attempt(K.tag, K.eid, old_index)
      if redis.call('EXISTS', old_ak) == 1 then
        redis.call('HSET', old_ak, 'attempt_state', 'interrupted_reclaimed', 'ended_at', now_s)
      end
      ff_close_stream(K, old_index, 'reclaimed', now, true)
    end
    if ff_is_set(core.current_worker_instance_id) then
      redis.call('SREM', ff_key.worker_leases(K.tag, core.current_worker_instance_id), K.eid)
    end
  end

  -- Read once: the reply carries the text, the attempt timeout comes from it.
  local policy_text = redis.call('GET', K.policy)
  local policy = (policy_text and ff_decode_json_object(policy_text)) or {}
  local timeout_ms = ff_json_uint(policy.timeout_policy, 'attempt_timeout_ms')
  if p.kind == 'resume' then
    -- Whoever interrupted the attempt may have recorded the time it had left.
    -- Read before the write below, which (with the attempt's timeout_at, set
    -- further down for the other kinds) is then one HSET.
    local remaining = tonumber(redis.call('HGET', ak, 'timeout_remaining_ms'))
    if remaining ~= nil then
      timeout_ms = remaining
    end
    if timeout_ms ~= nil and timeout_ms > 0 then
      redis.call('HSET', ak, 'attempt_state', 'started', 'resumed_at', now_s,
                 'lease_id', p.lease_id, 'lease_epoch', epoch_s,
                 'worker_id', p.worker_id, 'worker_instance_id', p.worker_instance_id,
                 'timeout_at', ff_int_str(now + timeout_ms))
    else
      redis.call('HSET', ak, 'attempt_state', 'started', 'resumed_at', now_s,
                 'lease_id', p.lease_id, 'lease_epoch', epoch_s,
                 'worker_id', p.worker_id, 'worker_instance_id', p.worker_instance_id)
    end
  else
    local a = {
      attempt_id = attempt_id, execution_id = K.eid, attempt_index = index_s,
      attempt_type = attempt_type, attempt_state = 'started', created_at = now_s,
      started_at = now_s, lease_id = p.lease_id, lease_epoch = epoch_s,
      worker_id = p.worker_id, worker_instance_id = p.worker_instance_id,
      ended_at = '', failure_reason = '', failure_category = '',
    }
    if attempt_type == 'retry' then
      a.retry_reason = ff_s(core.pending_retry_reason)
      a.previous_attempt_index = ff_s(core.pending_previous_attempt_index)
    elseif attempt_type == 'replay' then
      a.replay_reason = ff_s(core.pending_replay_reason)
      a.replay_requested_by = ff_s(core.pending_replay_requested_by)
      a.replayed_from_attempt_index = ff_s(core.pending_previous_attempt_index)
    elseif attempt_type == 'reclaim' then
      a.reclaim_reason = 'lease_' .. ff_s(core.ownership_state)
      a.previous_attempt_index = ff_s(old_index)
    end
    redis.call('DEL', ak)
    ff_hset_table(ak, a)
    redis.call('ZADD', K.attempts, now_s, index_s)
    redis.call('HSET', ff_key.attempt_usage(K.tag, K.eid, index_s), 'last_usage_report_seq', '0')
  end

  redis.call('DEL', K.lease)
  redis.call('HSET', K.lease, 'lease_id', p.lease_id, 'lease_epoch', epoch_s,
             'execution_id', K.eid, 'attempt_id', attempt_id, 'attempt_index', index_s,
             'worker_id', p.worker_id, 'worker_instance_id', p.worker_instance_id,
             'acquired_at', now_s, 'expires_at', expires_s,
             'last_renewed_at', now_s, 'renewal_deadline', renewal_s)
  redis.call('ZADD', K.lease_expiry, expires_s, K.eid)
  redis.call('ZADD', ff_key.lane_index(K.tag, core.lane_id, 'active'), expires_s, K.eid)
  redis.call('SADD', ff_key.worker_leases(K.tag, p.worker_instance_id), K.eid)
  redis.call('ZREM', ff_key.lane_index(K.tag, core.lane_id, 'eligible'), K.eid)
  redis.call('ZREM', ff_key.lane_index(K.tag, core.lane_id, 'delayed'), K.eid)
  if timeout_ms ~= nil and timeout_ms > 0 then
    redis.call('ZADD', K.attempt_timeout, ff_int_str(now + timeout_ms), K.eid)
    if p.kind ~= 'resume' then
      redis.call('HSET', ak, 'timeout_at', ff_int_str(now + timeout_ms))
    end
  else
    redis.call('ZREM', K.attempt_timeout, K.eid)
  end

  if p.kind == 'reclaim' then
    ff_history(K, 'reclaimed', {
      'old_lease_epoch', ff_s(core.current_lease_epoch), 'new_lease_id', p.lease_id,
      'new_lease_epoch', epoch_s, 'new_attempt_id', attempt_id,
      'new_attempt_index', index_s, 'worker_id', p.worker_id, 'ts', now_s})
  end
  if p.kind == 'resume' then
    ff_history(K, 'acquired', {
      'lease_id', p.lease_id, 'lease_epoch', epoch_s, 'attempt_id', attempt_id,
      'attempt_index', index_s, 'worker_id', p.worker_id, 'ts', now_s,
      'reason', 'claim_resumed'})
  else
    redis.call('XADD', K.history, 'MAXLEN', '~', FF_HISTORY_MAXLEN, '*', 'event', 'acquired',
               'lease_id', p.lease_id, 'lease_epoch', epoch_s, 'attempt_id', attempt_id,
               'attempt_index', index_s, 'worker_id', p.worker_id, 'ts', now_s)
  end

  return ff_lease_reply(K, core, prefix, index_s, attempt_id, attempt_type, p.lease_id,
                        epoch_s, expires_s, policy_text,
                        p.kind == 'resume' and FF_WP.resumed_signals(K, core, now) or nil)
end

-- Reads the claim ARGV shared by claim / resumed claim / reclaim:
-- args[2..8] = worker_id, worker_instance_id, lane_id, lease_id, attempt_id,
-- lease_ttl_ms, default_max_reclaim_count ('' = 100).
local function ff_claim_params(args, kind)
  local p = {kind = kind, worker_id = ff_s(args[2]), worker_instance_id = ff_s(args[3]),
             lane_id = ff_s(args[4]), lease_id = ff_s(args[5]), attempt_id = ff_s(args[6])}
  if p.worker_id == '' then return nil, ff_err('invalid_input', 'worker_id:empty') end
  if p.worker_instance_id == '' then
    return nil, ff_err('invalid_input', 'worker_instance_id:empty')
  end
  if p.lease_id == '' then return nil, ff_err('invalid_input', 'lease_id:empty') end
  if p.attempt_id == '' and kind ~= 'resume' then
    return nil, ff_err('invalid_input', 'attempt_id:empty')
  end
  local bad
  p.lease_ttl_ms, bad = ff_arg_int(args[7], 'lease_ttl_ms', false, 1, FF_MAX_LEASE_TTL_MS)
  if bad then return nil, bad end
  p.default_cap, bad = ff_arg_int(args[8], 'default_max_reclaim_count', true, 0)
  if bad then return nil, bad end
  return p, nil
end

-- Checks and consumes the claim grant held by `worker_id`.
local function ff_consume_grant(K, worker_id, now)
  local g = redis.call('HMGET', K.grant, 'worker_id', 'grant_expires_at')
  if not g[1] or g[1] ~= worker_id then
    return ff_err('invalid_claim_grant')
  end
  redis.call('DEL', K.grant)
  if (tonumber(g[2]) or 0) < now then
    return ff_err('claim_grant_expired')
  end
  return nil
end

-- KEYS: the execution key block (FF_EXEC_BLOCK).
-- ARGV: 1 execution_id, 2 lease_id, 3 lease_epoch, 4 attempt_index,
--       5 attempt_id ('' = not checked), 6 lease_ttl_ms, 7 grace_ms ('' = 5000).
-- Returns {1,'OK',expires_at,cancel_requested ('0'|'1'),cancel_reason}.
-- A holder whose execution was cancelled under its lease gets
-- {1,'OK','0','1',reason} instead of an error, so it learns why to stop.
redis.register_function('ff_renew_lease', function(keys, args)
  local K, bad = ff_exec_keys(keys, args[1])
  if bad then return bad end
  local f
  f, bad = ff_read_fence(args, 2)
  if bad then return bad end
  if f == nil then return ff_err('fence_required') end
  local ttl
  ttl, bad = ff_arg_int(args[6], 'lease_ttl_ms', false, 1, FF_MAX_LEASE_TTL_MS)
  if bad then return bad end
  local grace
  grace, bad = ff_arg_int(args[7], 'grace_ms', true, 0, FF_MAX_LEASE_TTL_MS)
  if bad then return bad end
  grace = grace or 5000

  local core = ff_hgetall(K.core)
  if not core then return ff_err('execution_not_found') end
  if core.lifecycle_phase == 'terminal' and core.terminal_outcome == 'cancelled' and
     ff_fence_matches(core, f) then
    return ff_ok('0', '1', ff_s(core.cancellation_reason))
  end
  local now = ff_now_ms()
  local err = ff_check_lease(K, core, f, now)
  if err then return err end

  local expires = now + ttl
  local renewal = now + math.floor(ttl * 2 / 3)
  local now_s, expires_s = ff_int_str(now), ff_int_str(expires)
  redis.call('HSET', K.core, 'lease_expires_at', expires_s, 'lease_last_renewed_at', now_s,
             'lease_renewal_deadline', ff_int_str(renewal), 'last_mutation_at', now_s)
  redis.call('HSET', K.lease, 'expires_at', expires_s, 'last_renewed_at', now_s,
             'renewal_deadline', ff_int_str(renewal))
  redis.call('PEXPIREAT', K.lease, ff_int_str(expires + grace))
  redis.call('ZADD', K.lease_expiry, expires_s, K.eid)
  return ff_ok(expires_s, '0', '')
end)

-- KEYS: the execution key block. ARGV: 1 execution_id.
-- Returns {1,'OK','marked_expired'|'reclaim_cap_failed'}
--       | {1,'ALREADY_SATISFIED', 'execution_not_found'|'not_active'|'unowned'
--          |'already_expired'|'already_revoked'|'not_yet_expired'}.
redis.register_function('ff_mark_lease_expired_if_due', function(keys, args)
  local K, bad = ff_exec_keys(keys, args[1])
  if bad then return bad end
  local core = ff_hgetall(K.core)
  if not core then
    redis.call('ZREM', K.lease_expiry, K.eid)
    return ff_status('ALREADY_SATISFIED', 'execution_not_found')
  end
  if core.lifecycle_phase ~= 'active' then
    redis.call('ZREM', K.lease_expiry, K.eid)
    return ff_status('ALREADY_SATISFIED', 'not_active')
  end
  if core.ownership_state == 'unowned' then
    redis.call('ZREM', K.lease_expiry, K.eid)
    return ff_status('ALREADY_SATISFIED', 'unowned')
  end
  if core.ownership_state == 'lease_expired_reclaimable' then
    return ff_status('ALREADY_SATISFIED', 'already_expired')
  end
  if core.ownership_state == 'lease_revoked' then
    return ff_status('ALREADY_SATISFIED', 'already_revoked')
  end
  local now = ff_now_ms()
  if (tonumber(core.lease_expires_at) or 0) > now then
    return ff_status('ALREADY_SATISFIED', 'not_yet_expired')
  end
  return ff_ok(ff_mark_expired(K, core, now))
end)

-- KEYS: the execution key block.
-- ARGV: 1 execution_id, 2 expected_lease_id ('' = any), 3 reason.
-- Returns {1,'OK','revoked',lease_id,lease_epoch,'requeued'|'reclaim_cap_failed'}
--       | {1,'ALREADY_SATISFIED','no_active_lease'|'already_revoked'|'already_expired'}
--       | {0,'execution_not_found'} | {0,'no_active_lease'} | {0,'stale_lease'}.
redis.register_function('ff_revoke_lease', function(keys, args)
  local K, bad = ff_exec_keys(keys, args[1])
  if bad then return bad end
  local expected, reason = ff_s(args[2]), ff_s(args[3])
  if reason == '' then reason = 'operator_revoke' end
  local core = ff_hgetall(K.core)
  if not core then return ff_err('execution_not_found') end
  if core.lifecycle_phase ~= 'active' then
    return ff_status('ALREADY_SATISFIED', 'no_active_lease')
  end
  if core.ownership_state == 'lease_revoked' then
    return ff_status('ALREADY_SATISFIED', 'already_revoked')
  end
  if core.ownership_state == 'lease_expired_reclaimable' then
    return ff_status('ALREADY_SATISFIED', 'already_expired')
  end
  if core.ownership_state ~= 'leased' then return ff_err('no_active_lease') end
  if expected ~= '' and expected ~= core.current_lease_id then return ff_err('stale_lease') end

  local now = ff_now_ms()
  local now_s = ff_int_str(now)
  ff_hset_table(K.core, {
    ownership_state = 'lease_revoked', blocking_reason = 'waiting_for_worker',
    attempt_state = 'attempt_interrupted', lease_revoked_at = now_s,
    lease_revoke_reason = reason, last_transition_at = now_s, last_mutation_at = now_s})
  redis.call('DEL', K.lease)
  redis.call('ZREM', K.lease_expiry, K.eid)
  if ff_is_set(core.current_worker_instance_id) then
    redis.call('SREM', ff_key.worker_leases(K.tag, core.current_worker_instance_id), K.eid)
  end
  ff_history(K, 'revoked', {
    'lease_id', ff_s(core.current_lease_id), 'lease_epoch', ff_s(core.current_lease_epoch),
    'attempt_index', ff_s(core.current_attempt_index),
    'attempt_id', ff_s(core.current_attempt_id), 'worker_id', ff_s(core.current_worker_id),
    'worker_instance_id', ff_s(core.current_worker_instance_id), 'reason', reason,
    'ts', now_s})
  -- `core` mirrors every write: a reclaim-cap failure writes only what changed.
  core.ownership_state = 'lease_revoked'
  core.blocking_reason = 'waiting_for_worker'
  core.attempt_state = 'attempt_interrupted'
  core.lease_revoked_at = now_s
  core.lease_revoke_reason = reason
  core.last_transition_at = now_s
  core.last_mutation_at = now_s
  local requeued = ff_requeue_for_reclaim(K, core, now, nil)
  return ff_ok('revoked', ff_s(core.current_lease_id), ff_s(core.current_lease_epoch),
               requeued and 'requeued' or 'reclaim_cap_failed')
end)

-- KEYS: the execution key block.
-- ARGV: 1 execution_id, 2 lease_id, 3 lease_epoch, 4 attempt_index,
--       5 attempt_id ('' = not checked), 6 progress_pct (0..100), 7 message.
-- Returns {1,'OK'} | {0,'execution_not_active'|'stale_lease'|'lease_revoked'|'lease_expired',...}.
-- Progress never marks an expired lease (it is not a write of the lease).
redis.register_function('ff_update_progress', function(keys, args)
  local K, bad = ff_exec_keys(keys, args[1])
  if bad then return bad end
  local f
  f, bad = ff_read_fence(args, 2)
  if bad then return bad end
  if f == nil then return ff_err('fence_required') end
  local pct
  pct, bad = ff_arg_int(args[6], 'progress_pct', false, 0, 100)
  if bad then return bad end
  local message = ff_s(args[7])
  if #message > 4096 then return ff_err('invalid_input', 'message:too_long') end

  local core = ff_hgetall(K.core)
  if not core then return ff_err('execution_not_found') end
  if core.lifecycle_phase ~= 'active' then return ff_not_active(core) end
  if not ff_fence_matches(core, f) then return ff_err('stale_lease') end
  if core.ownership_state == 'lease_revoked' then return ff_err('lease_revoked') end
  local now = ff_now_ms()
  if core.ownership_state ~= 'leased' or (tonumber(core.lease_expires_at) or 0) <= now then
    return ff_err('lease_expired')
  end
  local now_s = ff_int_str(now)
  redis.call('HSET', K.core, 'progress_pct', ff_int_str(pct), 'progress_message', message,
             'progress_updated_at', now_s, 'last_mutation_at', now_s)
  return ff_ok()
end)
