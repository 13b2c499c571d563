-- Execution records: create, read, list (execution-model.md §2, §3).

-- Priority is clamped so the queue score stays exact in a double.
local FF_MIN_PRIORITY = 0
local FF_MAX_PRIORITY = 9000
-- Eligible-queue score: created_at - priority * 10^12 (lower = first).
local FF_PRIORITY_WEIGHT = 1000000000000
local FF_IDEMPOTENCY_TTL_MS = 86400000
local FF_LIST_MAX_LIMIT = 1000

-- The exec_core fields ff_get_execution returns (ExecutionInfo, rest-api.md §2.1).
local FF_EXECUTION_INFO_FIELDS = {
  'execution_id', 'namespace', 'lane_id', 'priority', 'execution_kind',
  'lifecycle_phase', 'ownership_state', 'eligibility_state', 'blocking_reason',
  'terminal_outcome', 'attempt_state', 'public_state',
  'created_at', 'started_at', 'completed_at', 'current_attempt_index',
  'flow_id', 'blocking_detail', 'failure_category', 'failure_reason', 'failure_details',
  'progress_pct', 'progress_message', 'cancellation_reason',
}

-- KEYS: 1 core, 2 payload, 3 policy, 4 tags, 5 lane eligible ZSET,
--       6 lane delayed ZSET, 7 idempotency key (ff:idem:T:<len(ns)>:<ns>:<key>, or
--       ff:noop:T when ARGV 9 is empty), 8 execution_deadline ZSET,
--       9 all_executions ZSET.
-- ARGV: 1 execution_id, 2 namespace, 3 lane_id, 4 execution_kind,
--       5 input_payload, 6 payload_encoding, 7 priority, 8 creator_identity,
--       9 idempotency_key, 10 tags (JSON object string -> string, or ''),
--       11 policy_json, 12 required_capabilities (sorted CSV), 13 budget_ids
--       (CSV), 14 quota_policy_id, 15 delay_until (ms or ''),
--       16 execution_deadline_at (ms or ''), 17 partition_id.
-- Returns {1,'OK',eid,public_state} | {1,'DUPLICATE',original_eid} |
--         {0,'invalid_input'|'invalid_policy_json',detail}.
redis.register_function('ff_create_execution', function(keys, args)
  if #keys ~= 9 or #args ~= 17 then
    return ff_err('invalid_input', 'arity:expected_9_keys_17_args')
  end
  local k_core, k_payload, k_policy, k_tags = keys[1], keys[2], keys[3], keys[4]
  local k_eligible, k_delayed, k_idempotency = keys[5], keys[6], keys[7]
  local k_deadline_index, k_all_executions = keys[8], keys[9]

  local eid, namespace, lane = args[1], args[2], args[3]
  local execution_kind, payload, payload_encoding = args[4], args[5], args[6]
  local creator_identity, idempotency_key = args[8], args[9]
  local tags_json, policy_json = args[10], args[11]
  local required_capabilities, budget_ids, quota_policy_id = args[12], args[13], args[14]

  -- Validate everything before the first write (no rollback in functions).
  if not ff_is_set(eid) then
    return ff_err('invalid_input', 'execution_id:empty')
  end
  if not ff_is_set(lane) then
    return ff_err('invalid_input', 'lane_id:empty')
  end
  local priority, bad = ff_arg_int(args[7], 'priority', false)
  if bad then return bad end
  local delay_until
  delay_until, bad = ff_arg_int(args[15], 'delay_until', true, 0)
  if bad then return bad end
  local deadline_at
  deadline_at, bad = ff_arg_int(args[16], 'execution_deadline_at', true, 0)
  if bad then return bad end
  local partition_id
  partition_id, bad = ff_arg_int(args[17], 'partition_id', false, 0, 65535)
  if bad then return bad end

  local tags = {}
  if ff_is_set(tags_json) then
    tags = ff_decode_json_object(tags_json)
    if tags == nil then
      return ff_err('invalid_input', 'tags:not_a_json_object')
    end
    for field, value in pairs(tags) do
      if type(field) ~= 'string' or type(value) ~= 'string' then
        return ff_err('invalid_input', 'tags:not_string_to_string')
      end
    end
  end
  if not ff_is_set(policy_json) then
    policy_json = '{}'
  elseif ff_decode_json_object(policy_json) == nil then
    return ff_err('invalid_policy_json', 'malformed')
  end

  if priority < FF_MIN_PRIORITY then priority = FF_MIN_PRIORITY end
  if priority > FF_MAX_PRIORITY then priority = FF_MAX_PRIORITY end

  -- Duplicates answer with the original id and change nothing.
  if ff_is_set(idempotency_key) then
    local original = redis.call('GET', k_idempotency)
    if original then
      return ff_status('DUPLICATE', original)
    end
  end
  if redis.call('EXISTS', k_core) == 1 then
    return ff_status('DUPLICATE', eid)
  end

  local now = ff_now_ms()
  local now_str = ff_int_str(now)
  -- A past (or present) delay is eligible at once (decisions.md §3).
  local delayed = delay_until ~= nil and delay_until > now
  local eligibility_state, blocking_reason, public_state
  if delayed then
    eligibility_state, blocking_reason, public_state =
      'not_eligible_until_time', 'waiting_for_delay', 'delayed'
  else
    eligibility_state, blocking_reason, public_state =
      'eligible_now', 'waiting_for_worker', 'waiting'
  end

  -- exec_core first: it is the point of no return. Every field, set or
  -- unset ('', execution-model.md §3.1), in one literal HSET: building a
  -- 59-field table and flattening it cost more than the HSET itself. The
  -- order is the order the hash has always been written in (the pairs()
  -- order of the table this replaced), so stored hashes stay byte-identical.
  redis.call('HSET', k_core,
    'total_attempt_count', '0', 'payload_encoding', payload_encoding,
    'lease_reclaim_count', '0', 'flow_id', '', 'creator_identity', creator_identity,
    'current_attempt_index', '', 'cancelled_by', '', 'current_worker_instance_id', '',
    'last_transition_at', now_str, 'namespace', namespace, 'lifecycle_phase', 'runnable',
    'last_capability_mismatch_at', '', 'lease_acquired_at', '', 'progress_updated_at', '',
    'eligibility_state', eligibility_state, 'lease_revoked_at', '',
    'pending_previous_attempt_index', '', 'public_state', public_state, 'progress_pct', '',
    'last_hmac_validation_failed_at', '', 'completed_at', '', 'failure_reason', '',
    'progress_message', '', 'partition_id', ff_int_str(partition_id), 'blocking_detail', '',
    'current_lane', lane, 'pending_retry_reason', '', 'current_worker_id', '',
    'current_waitpoint_id', '', 'current_suspension_id', '', 'lease_revoke_reason', '',
    'lease_expired_at', '', 'lease_renewal_deadline', '', 'retry_count', '0',
    'current_attempt_id', '', 'pending_replay_reason', '', 'cancellation_reason', '',
    'terminal_outcome', 'none', 'started_at', '', 'execution_kind', execution_kind,
    'priority', ff_int_str(priority), 'quota_policy_id', quota_policy_id,
    'ownership_state', 'unowned', 'lane_id', lane, 'lease_last_renewed_at', '',
    'budget_ids', budget_ids, 'created_at', now_str, 'last_mutation_at', now_str,
    'replay_count', '0', 'current_lease_id', '', 'attempt_state', 'pending_first_attempt',
    'delay_until', delayed and ff_int_str(delay_until) or '', 'lease_expires_at', '',
    'blocking_reason', blocking_reason, 'current_lease_epoch', '0',
    'pending_replay_requested_by', '',
    'execution_deadline_at', deadline_at and ff_int_str(deadline_at) or '',
    'execution_id', eid, 'required_capabilities', required_capabilities)

  if payload ~= '' then
    redis.call('SET', k_payload, payload)
  end
  redis.call('SET', k_policy, policy_json)
  ff_hset_table(k_tags, tags)

  if delayed then
    redis.call('ZADD', k_delayed, ff_int_str(delay_until), eid)
  else
    redis.call('ZADD', k_eligible, ff_int_str(now - priority * FF_PRIORITY_WEIGHT), eid)
  end
  if ff_is_set(idempotency_key) then
    redis.call('SET', k_idempotency, eid, 'PX', FF_IDEMPOTENCY_TTL_MS)
  end
  if deadline_at ~= nil then
    redis.call('ZADD', k_deadline_index, ff_int_str(deadline_at), eid)
  end
  -- Every member scores 0 so the index pages in byte order with BYLEX.
  redis.call('ZADD', k_all_executions, 0, eid)

  return ff_ok(eid, public_state)
end)

-- KEYS: 1 core. ARGV: none.
-- Returns {1,'OK',field1,value1,...} over FF_EXECUTION_INFO_FIELDS (unset = '')
--       | {0,'execution_not_found'}.
redis.register_function{
  function_name = 'ff_get_execution',
  flags = {'no-writes'},
  callback = function(keys, args)
    local values = redis.call('HMGET', keys[1], unpack(FF_EXECUTION_INFO_FIELDS))
    if not values[1] then
      return ff_err('execution_not_found')
    end
    local reply = {1, 'OK'}
    for i, field in ipairs(FF_EXECUTION_INFO_FIELDS) do
      reply[#reply + 1] = field
      reply[#reply + 1] = values[i] or ''
    end
    return reply
  end,
}

-- KEYS: 1 core. ARGV: none.
-- Returns {1,'OK',public_state,lifecycle_phase,ownership_state,
--          eligibility_state,blocking_reason,terminal_outcome,attempt_state}
--       | {0,'execution_not_found'}. The node checks the stored label
-- against the vector it derives from.
local FF_STATE_FIELDS = {
  'public_state', 'lifecycle_phase', 'ownership_state', 'eligibility_state',
  'blocking_reason', 'terminal_outcome', 'attempt_state',
}
redis.register_function{
  function_name = 'ff_get_execution_state',
  flags = {'no-writes'},
  callback = function(keys, args)
    local v = redis.call('HMGET', keys[1], unpack(FF_STATE_FIELDS))
    if not v[1] then
      return ff_err('execution_not_found')
    end
    for i = 1, #FF_STATE_FIELDS do v[i] = v[i] or '' end
    return ff_ok(unpack(v))
  end,
}

-- KEYS: 1 core, 2 result. ARGV: none.
-- Returns {1,'OK',bytes} when the execution completed successfully and its
-- result is stored; else {1,'NOT_FOUND',why} with why one of
-- 'execution_not_found', 'not_completed', 'result_missing'.
redis.register_function{
  function_name = 'ff_get_execution_result',
  flags = {'no-writes'},
  callback = function(keys, args)
    local state = redis.call('HMGET', keys[1], 'lifecycle_phase', 'terminal_outcome')
    if not state[1] then
      return ff_status('NOT_FOUND', 'execution_not_found')
    end
    if state[1] ~= 'terminal' or state[2] ~= 'success' then
      return ff_status('NOT_FOUND', 'not_completed')
    end
    local bytes = redis.call('GET', keys[2])
    if not bytes then
      return ff_status('NOT_FOUND', 'result_missing')
    end
    return ff_ok(bytes)
  end,
}

-- KEYS: 1 all_executions ZSET. ARGV: 1 cursor (exclusive; '' = start),
--       2 limit (0..1000; larger values are capped).
-- Returns {1,'OK',next_cursor,id...}: ids in byte order; next_cursor is the
-- last id of the page when more remain, else ''.
redis.register_function{
  function_name = 'ff_list_executions',
  flags = {'no-writes'},
  callback = function(keys, args)
    local cursor = args[1] or ''
    local limit, bad = ff_arg_int(args[2], 'limit', false, 0)
    if bad then return bad end
    if limit > FF_LIST_MAX_LIMIT then limit = FF_LIST_MAX_LIMIT end
    if limit == 0 then
      return ff_ok('')
    end
    local min = '-'
    if cursor ~= '' then min = '(' .. cursor end
    -- One extra id tells whether another page exists.
    local ids = redis.call('ZRANGE', keys[1], min, '+', 'BYLEX', 'LIMIT', 0, limit + 1)
    local next_cursor = ''
    if #ids > limit then
      ids[#ids] = nil
      next_cursor = ids[#ids]
    end
    local reply = {1, 'OK', next_cursor}
    for _, id in ipairs(ids) do
      reply[#reply + 1] = id
    end
    return reply
  end,
}
