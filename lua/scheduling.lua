-- Claim grants, claims, the push-dispatch acquire, reclaim and priority
-- (execution-model.md §4.5, §5).
--
-- A lane's eligible ZSET holds runnable eligible_now executions and, since
-- an expired or revoked lease is requeued (lease.lua), active executions
-- waiting for reclaim. Every claim path accepts both: the latter become a
-- new attempt of type `reclaim`.

local FF_MAX_CAPS_BYTES = 4096
local FF_MAX_CAPS_TOKENS = 256
local FF_MAX_GRANT_TTL_MS = 3600000
-- Candidates one acquire looks at, in queue order.
local FF_ACQUIRE_SCAN = 16

-- Validates a worker capability CSV (§5.2); nil when fine.
local function ff_check_worker_caps(csv)
  if #csv > FF_MAX_CAPS_BYTES then
    return ff_err('invalid_capabilities', 'worker:too_many_bytes')
  end
  local n = 0
  for _ in string.gmatch(csv, '[^,]+') do
    n = n + 1
  end
  if n > FF_MAX_CAPS_TOKENS then
    return ff_err('invalid_capabilities', 'worker:too_many_tokens')
  end
  return nil
end

-- Sorted CSV of the required capabilities the worker lacks ('' = subset).
local function ff_missing_caps(required, worker_csv)
  if not ff_is_set(required) then
    return ''
  end
  local have = {}
  for token in string.gmatch(worker_csv, '[^,]+') do
    have[token] = true
  end
  local missing = {}
  for token in string.gmatch(required, '[^,]+') do
    if not have[token] then
      missing[#missing + 1] = token
    end
  end
  table.sort(missing)
  return table.concat(missing, ',')
end

local function ff_is_reclaimable(core)
  return core.lifecycle_phase == 'active' and
         (core.ownership_state == 'lease_expired_reclaimable' or
          core.ownership_state == 'lease_revoked')
end

-- How the next claim takes this execution: 'new', 'resume', 'reclaim', or
-- nil when it is not claimable (a stale eligible entry).
-- Eligible, or waiting only for a worker with the right capabilities
-- (blocked_by_route: it stays in its lane's queue, and a capable worker's
-- claim takes it as if it were eligible_now).
local function ff_claimable_eligibility(es)
  return es == 'eligible_now' or es == 'blocked_by_route'
end

-- Shows that the work waits for a capable worker (execution-model.md §5.2):
-- set when a claim passes it over for missing capabilities.
local function ff_mark_waiting_for_capable_worker(K, core, missing, now)
  if core.lifecycle_phase ~= 'runnable' or core.eligibility_state ~= 'eligible_now' then
    redis.call('HSET', K.core, 'last_capability_mismatch_at', ff_int_str(now))
    return
  end
  redis.call('HSET', K.core, 'last_capability_mismatch_at', ff_int_str(now),
             'eligibility_state', 'blocked_by_route',
             'blocking_reason', 'waiting_for_capable_worker',
             'blocking_detail', 'no claiming worker has: ' .. missing)
end

local function ff_claim_path(core)
  if ff_is_reclaimable(core) then
    return 'reclaim'
  end
  if core.lifecycle_phase ~= 'runnable' or not ff_claimable_eligibility(core.eligibility_state) or
     core.ownership_state ~= 'unowned' or core.terminal_outcome ~= 'none' then
    return nil
  end
  if core.attempt_state == 'attempt_interrupted' then
    return 'resume'
  end
  if FF_ATTEMPT_TYPE_OF[core.attempt_state] then
    return 'new'
  end
  return nil
end

-- Issues a claim grant (kind 'claim') or a reclaim grant (kind 'reclaim')
-- after the checks of §5.4 / §4.5.
-- ARGV: 1 execution_id, 2 worker_id, 3 worker_instance_id, 4 lane_id,
--       5 capability_hash, 6 grant_ttl_ms, 7 route_snapshot_json,
--       8 admission_summary, 9 worker_caps_csv.
-- Writes a claim grant that expires on its own; returns grant_expires_at.
local function ff_write_grant(K, kind, worker_id, instance_id, lane, cap_hash, route,
                              admission, now, ttl)
  local expires = ff_int_str(now + ttl)
  redis.call('HSET', K.grant, 'kind', kind, 'worker_id', worker_id,
             'worker_instance_id', instance_id, 'lane_id', lane, 'capability_hash', cap_hash,
             'route_snapshot_json', route, 'admission_summary', admission,
             'created_at', ff_int_str(now), 'grant_expires_at', expires)
  redis.call('PEXPIREAT', K.grant, expires)
  return expires
end

-- Walks the head of one lane's queue on one partition: drops stale
-- entries, passes over executions that hold a grant, counts the ones this
-- worker lacks capabilities for, and offers the others to take(K, core,
-- path, skipped) until it answers. EMPTY carries what is left and skipped.
local function ff_take_from_lane_head(queue, tag, lane, caps, now, take)
  local skipped = 0
  -- The head alone first: it is nearly always taken, and reading 16 ids
  -- costs more than the second read the rare miss needs. Nothing below adds
  -- to the queue, so after the head the queue is the first read's
  -- continuation (with the head itself gone or still first).
  local ids = redis.call('ZRANGE', queue, 0, 0)
  local i = 1
  while i <= #ids do
    local eid = ids[i]
    local K = ff_exec_keyset(eid)
    local core = K and ff_tag_of(eid) == tag and ff_hgetall(K.core)
    local path = core and core.lane_id == lane and ff_claim_path(core)
    if not path then
      redis.call('ZREM', queue, eid)
    elseif redis.call('EXISTS', K.grant) == 0 then
      local missing = ff_missing_caps(core.required_capabilities, caps)
      if missing ~= '' then
        ff_mark_waiting_for_capable_worker(K, core, missing, now)
        skipped = skipped + 1
      else
        local reply = take(K, core, path, skipped)
        if reply then return reply end
      end
    end
    if i == 1 then
      -- The rest of the first FF_ACQUIRE_SCAN entries, as one read of them
      -- would have returned them.
      local rest = redis.call('ZRANGE', queue, 0, FF_ACQUIRE_SCAN - 1)
      ids = {eid}
      for j = rest[1] == eid and 2 or 1, #rest do
        if #ids == FF_ACQUIRE_SCAN then break end
        ids[#ids + 1] = rest[j]
      end
    end
    i = i + 1
  end
  return ff_status('EMPTY', ff_int_str(redis.call('ZCARD', queue)), ff_int_str(skipped))
end

local function ff_issue_grant(keys, args, kind)
  local K, bad = ff_exec_keys(keys, args[1])
  if bad then return bad end
  local worker_id, instance_id = ff_s(args[2]), ff_s(args[3])
  if worker_id == '' then return ff_err('invalid_input', 'worker_id:empty') end
  if instance_id == '' then return ff_err('invalid_input', 'worker_instance_id:empty') end
  local ttl
  ttl, bad = ff_arg_int(args[6], 'grant_ttl_ms', false, 1, FF_MAX_GRANT_TTL_MS)
  if bad then return bad end
  local caps = ff_s(args[9])
  bad = ff_check_worker_caps(caps)
  if bad then return bad end

  local core = ff_hgetall(K.core)
  if not core then return ff_err('execution_not_found') end
  if kind == 'reclaim' then
    if not ff_is_reclaimable(core) then return ff_err('execution_not_reclaimable') end
    local cap = ff_reclaim_cap(ff_policy(K), nil)
    local count = tonumber(core.lease_reclaim_count) or 0
    if count >= cap then
      return ff_status('RECLAIM_CAP_EXCEEDED', ff_int_str(count))
    end
  elseif ff_claim_path(core) == nil then
    return ff_err('execution_not_eligible')
  end
  if redis.call('EXISTS', K.grant) == 1 then return ff_err('grant_already_exists') end
  if kind == 'claim' and
     not redis.call('ZSCORE', ff_key.lane_index(K.tag, core.lane_id, 'eligible'), K.eid) then
    return ff_err('execution_not_in_eligible_set')
  end
  local now = ff_now_ms()
  local missing = ff_missing_caps(core.required_capabilities, caps)
  if missing ~= '' then
    ff_mark_waiting_for_capable_worker(K, core, missing, now)
    return ff_err('capability_mismatch', missing)
  end
  local expires = ff_write_grant(K, kind, worker_id, instance_id, ff_s(args[4]), ff_s(args[5]),
                                 ff_s(args[7]), ff_s(args[8]), now, ttl)
  return ff_ok(K.eid, expires, ff_s(core.lane_id))
end

-- KEYS: the execution key block. ARGV: see ff_issue_grant.
-- Returns {1,'OK',execution_id,grant_expires_at,lane_id}
--       | {0,'execution_not_eligible'|'grant_already_exists'
--          |'execution_not_in_eligible_set'|'capability_mismatch',missing_csv|...}.
redis.register_function('ff_issue_claim_grant', function(keys, args)
  return ff_issue_grant(keys, args, 'claim')
end)

-- KEYS: the execution key block. ARGV: see ff_issue_grant.
-- Returns {1,'OK',execution_id,grant_expires_at,lane_id}
--       | {1,'RECLAIM_CAP_EXCEEDED',lease_reclaim_count}
--       | {0,'execution_not_reclaimable'|'grant_already_exists'|'capability_mismatch',...}.
redis.register_function('ff_issue_reclaim_grant', function(keys, args)
  return ff_issue_grant(keys, args, 'reclaim')
end)

-- Consumes a grant and reclaims: the cap is checked first; reaching it ends
-- the execution failed and answers max_retries_exhausted (the failure is
-- committed, as in the reference).
local function ff_reclaim_with_grant(K, core, p, now)
  local err = ff_consume_grant(K, p.worker_id, now)
  if err then return err end
  local cap = ff_reclaim_cap(ff_policy(K), p.default_cap)
  if (tonumber(core.lease_reclaim_count) or 0) >= cap then
    ff_fail_reclaim_cap(K, core, now)
    return ff_err('max_retries_exhausted', ff_int_str(cap))
  end
  return ff_start_attempt(K, core, now, p, {})
end

-- KEYS: the execution key block.
-- ARGV: 1 execution_id, 2 worker_id, 3 worker_instance_id, 4 lane_id,
--       5 lease_id, 6 attempt_id, 7 lease_ttl_ms, 8 default_max_reclaim_count.
-- Returns the claim reply (ff_lease_reply, empty prefix) or
-- {0, execution_not_found | execution_not_leaseable | lease_conflict
--     | active_attempt_exists | use_claim_resumed_execution
--     | invalid_claim_grant | claim_grant_expired | max_retries_exhausted}.
-- An execution waiting for reclaim is reclaimed (new attempt `reclaim`).
redis.register_function('ff_claim_execution', function(keys, args)
  local K, bad = ff_exec_keys(keys, args[1])
  if bad then return bad end
  local p
  p, bad = ff_claim_params(args, 'new')
  if bad then return bad end
  local core = ff_hgetall(K.core)
  if not core then return ff_err('execution_not_found') end
  local now = ff_now_ms()
  if ff_is_reclaimable(core) then
    p.kind = 'reclaim'
    return ff_reclaim_with_grant(K, core, p, now)
  end
  if core.lifecycle_phase ~= 'runnable' then return ff_err('execution_not_leaseable') end
  if core.ownership_state ~= 'unowned' then return ff_err('lease_conflict') end
  if not ff_claimable_eligibility(core.eligibility_state) or core.terminal_outcome ~= 'none' then
    return ff_err('execution_not_leaseable')
  end
  if core.attempt_state == 'running_attempt' then return ff_err('active_attempt_exists') end
  if core.attempt_state == 'attempt_interrupted' then
    return ff_err('use_claim_resumed_execution')
  end
  local err = ff_consume_grant(K, p.worker_id, now)
  if err then return err end
  return ff_start_attempt(K, core, now, p, {})
end)

-- KEYS: the execution key block. ARGV: as ff_claim_execution (attempt_id
-- is ignored: the interrupted attempt continues).
-- Returns the claim reply with attempt_type 'resumed', or
-- {0, execution_not_found | execution_not_leaseable | not_a_resumed_execution
--     | lease_conflict | invalid_claim_grant | claim_grant_expired}.
redis.register_function('ff_claim_resumed_execution', function(keys, args)
  local K, bad = ff_exec_keys(keys, args[1])
  if bad then return bad end
  local p
  p, bad = ff_claim_params(args, 'resume')
  if bad then return bad end
  local core = ff_hgetall(K.core)
  if not core then return ff_err('execution_not_found') end
  if core.lifecycle_phase ~= 'runnable' then return ff_err('execution_not_leaseable') end
  if core.attempt_state ~= 'attempt_interrupted' then
    return ff_err('not_a_resumed_execution')
  end
  if core.ownership_state ~= 'unowned' then return ff_err('lease_conflict') end
  if not ff_claimable_eligibility(core.eligibility_state) then
    return ff_err('execution_not_leaseable')
  end
  local now = ff_now_ms()
  local err = ff_consume_grant(K, p.worker_id, now)
  if err then return err end
  return ff_start_attempt(K, core, now, p, {})
end)

-- KEYS: the execution key block. ARGV: as ff_claim_execution.
-- Returns the claim reply with attempt_type 'reclaim', or
-- {0, execution_not_found | execution_not_reclaimable | invalid_claim_grant
--     | claim_grant_expired | max_retries_exhausted (cap; committed)}.
redis.register_function('ff_reclaim_execution', function(keys, args)
  local K, bad = ff_exec_keys(keys, args[1])
  if bad then return bad end
  local p
  p, bad = ff_claim_params(args, 'reclaim')
  if bad then return bad end
  local core = ff_hgetall(K.core)
  if not core then return ff_err('execution_not_found') end
  if not ff_is_reclaimable(core) then return ff_err('execution_not_reclaimable') end
  return ff_reclaim_with_grant(K, core, p, ff_now_ms())
end)

-- Push-dispatch fast path: grant + claim of the first claimable execution
-- at the head of one lane on one partition.
-- KEYS: 1 lane eligible ZSET, 2 lane active ZSET, 3 lease_expiry,
--       4 attempt_timeout, 5 the worker instance's lease SET (all of one
--       partition; per-execution keys are derived from the chosen id).
-- ARGV: 1 lane_id, 2 worker_id, 3 worker_instance_id, 4 worker_caps_csv,
--       5 lease_id, 6 attempt_id, 7 lease_ttl_ms, 8 default_max_reclaim_count.
-- Returns {1,'OK',eligible_left,skipped_for_capabilities,<claim reply fields>}
--       | {1,'EMPTY',eligible_left,skipped_for_capabilities}.
-- Looks at up to 16 entries in queue order: stale entries are removed,
-- executions holding someone's grant are left alone, capability misses are
-- skipped (and counted, so the caller can avoid asking again for nothing),
-- executions past their reclaim cap fail.
redis.register_function('ff_acquire_next_in_lane', function(keys, args)
  if #keys ~= 5 then return ff_err('invalid_input', 'arity:expected_5_keys') end
  local lane, caps = ff_s(args[1]), ff_s(args[4])
  if lane == '' then return ff_err('invalid_input', 'lane_id:empty') end
  local p, bad = ff_claim_params({'', args[2], args[3], lane, args[5], args[6], args[7],
                                  args[8]}, 'new')
  if bad then return bad end
  bad = ff_check_worker_caps(caps)
  if bad then return bad end
  local tag = ff_index_key_tag(keys[1])
  if tag == nil then return ff_err('invalid_input', 'keys:eligible:mismatch') end
  local expected = {
    ff_key.lane_index(tag, lane, 'eligible'), ff_key.lane_index(tag, lane, 'active'),
    ff_key.lease_expiry(tag), ff_key.attempt_timeout(tag),
    ff_key.worker_leases(tag, p.worker_instance_id),
  }
  for i = 1, 5 do
    if keys[i] ~= expected[i] then
      return ff_err('invalid_input', 'keys:' .. i .. ':mismatch')
    end
  end

  local queue = keys[1]
  local now = ff_now_ms()
  return ff_take_from_lane_head(queue, tag, lane, caps, now, function(K, core, path, skipped)
    if path == 'reclaim' and (tonumber(core.lease_reclaim_count) or 0) >=
       ff_reclaim_cap(ff_policy(K), p.default_cap) then
      ff_fail_reclaim_cap(K, core, now)
      return nil
    end
    p.kind = path
    local reply = ff_start_attempt(K, core, now, p, {'', ff_int_str(skipped)})
    reply[3] = ff_int_str(redis.call('ZCARD', queue))
    return reply
  end)
end)

-- The reference claim route on one partition: a claim grant (no lease) on
-- the first execution at the head of the lane the worker can run.
-- KEYS: 1 the lane's eligible ZSET.
-- ARGV: 1 lane_id, 2 worker_id, 3 worker_instance_id, 4 worker caps CSV,
--       5 grant_ttl_ms.
-- Returns {1,'OK',remaining,skipped,execution_id,grant_expires_at,grant_key}
--       | {1,'EMPTY',remaining,skipped}.
redis.register_function('ff_grant_next_in_lane', function(keys, args)
  if #keys ~= 1 then return ff_err('invalid_input', 'arity:expected_1_key') end
  local lane, worker_id, instance_id = ff_s(args[1]), ff_s(args[2]), ff_s(args[3])
  if lane == '' then return ff_err('invalid_input', 'lane_id:empty') end
  if worker_id == '' then return ff_err('invalid_input', 'worker_id:empty') end
  if instance_id == '' then return ff_err('invalid_input', 'worker_instance_id:empty') end
  local caps = ff_s(args[4])
  local bad = ff_check_worker_caps(caps)
  if bad then return bad end
  local ttl
  ttl, bad = ff_arg_int(args[5], 'grant_ttl_ms', false, 1, FF_MAX_GRANT_TTL_MS)
  if bad then return bad end
  local tag = ff_index_key_tag(keys[1])
  if tag == nil or keys[1] ~= ff_key.lane_index(tag, lane, 'eligible') then
    return ff_err('invalid_input', 'keys:eligible:mismatch')
  end

  local queue = keys[1]
  local now = ff_now_ms()
  return ff_take_from_lane_head(queue, tag, lane, caps, now, function(K, _, path, skipped)
    local kind = path == 'reclaim' and 'reclaim' or 'claim'
    local expires = ff_write_grant(K, kind, worker_id, instance_id, lane, '', '', '', now, ttl)
    return ff_ok(ff_int_str(redis.call('ZCARD', queue)), ff_int_str(skipped), K.eid, expires,
                 K.grant)
  end)
end)

-- KEYS: the execution key block. ARGV: 1 execution_id, 2 new_priority.
-- Returns {1,'OK',clamped_priority} | {0,'execution_not_found'}
--       | {0,'execution_not_eligible'} (only runnable + eligible_now).
redis.register_function('ff_change_priority', function(keys, args)
  local K, bad = ff_exec_keys(keys, args[1])
  if bad then return bad end
  local priority
  priority, bad = ff_arg_int(args[2], 'priority', false)
  if bad then return bad end
  if priority < FF_MIN_PRIORITY then priority = FF_MIN_PRIORITY end
  if priority > FF_MAX_PRIORITY then priority = FF_MAX_PRIORITY end
  local core = ff_hgetall(K.core)
  if not core then return ff_err('execution_not_found') end
  if core.lifecycle_phase ~= 'runnable' or not ff_claimable_eligibility(core.eligibility_state) then
    return ff_err('execution_not_eligible')
  end
  local now_s = ff_int_str(ff_now_ms())
  redis.call('HSET', K.core, 'priority', ff_int_str(priority), 'last_mutation_at', now_s)
  core.priority = ff_int_str(priority)
  redis.call('ZADD', ff_key.lane_index(K.tag, core.lane_id, 'eligible'), ff_queue_score(core),
             K.eid)
  return ff_ok(ff_int_str(priority))
end)
