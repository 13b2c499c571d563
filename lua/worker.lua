-- Worker registry (flows-budgets-scanners.md §7, execution-model.md §10).
-- A namespace's worker keys share the hash tag {wk:<namespace>}, so
-- register and heartbeat are single-slot calls (the reference keys have no
-- tag and cannot be updated atomically on a cluster).

local FF_MAX_WORKER_TTL_MS = 86400000

-- KEYS: 1 ff:worker:{wk:<ns>}:<instance>:alive, 2 ff:worker:{wk:<ns>}:<instance>:caps,
--       3 ff:idx:{wk:<ns>}:workers.
-- ARGV: 1 worker_instance_id, 2 worker_id, 3 lanes_csv, 4 caps_csv (sorted),
--       5 ttl_ms, 6 now_ms.
-- Returns {1,'OK','registered'|'refreshed',next_expiry_ms}
--       | {0,'conflict','instance_id_reassigned'} (a live instance id under
--         another worker_id).
redis.register_function('ff_register_worker', function(keys, args)
  if #keys ~= 3 then return ff_err('invalid_input', 'arity:expected_3_keys') end
  local instance_id, worker_id = ff_s(args[1]), ff_s(args[2])
  if instance_id == '' then return ff_err('invalid_input', 'worker_instance_id:empty') end
  if worker_id == '' then return ff_err('invalid_input', 'worker_id:empty') end
  local ttl, bad = ff_arg_int(args[5], 'ttl_ms', false, 1, FF_MAX_WORKER_TTL_MS)
  if bad then return bad end
  local now
  now, bad = ff_arg_int(args[6], 'now_ms', false, 0)
  if bad then return bad end
  local alive = redis.call('EXISTS', keys[1]) == 1
  local registered_at = ff_int_str(now)
  if alive then
    local stored = redis.call('HMGET', keys[2], 'worker_id', 'registered_at_ms')
    if stored[1] and stored[1] ~= worker_id then
      return ff_err('conflict', 'instance_id_reassigned')
    end
    if stored[2] then registered_at = stored[2] end
  end
  local ttl_s = ff_int_str(ttl)
  redis.call('SET', keys[1], '1', 'PX', ttl_s)
  redis.call('DEL', keys[2])
  redis.call('HSET', keys[2], 'worker_id', worker_id, 'worker_instance_id', instance_id,
             'lanes_csv', ff_s(args[3]), 'caps_csv', ff_s(args[4]), 'ttl_ms', ttl_s,
             'registered_at_ms', registered_at, 'last_heartbeat_ms', ff_int_str(now))
  redis.call('PEXPIRE', keys[2], ttl_s)
  redis.call('SADD', keys[3], instance_id)
  return ff_ok(alive and 'refreshed' or 'registered', ff_int_str(now + ttl))
end)

-- KEYS: 1 alive, 2 caps (as ff_register_worker). ARGV: 1 now_ms.
-- Re-arms both TTLs with the stored ttl_ms.
-- Returns {1,'OK','refreshed',next_expiry_ms} | {1,'NOT_REGISTERED'}.
redis.register_function('ff_heartbeat_worker', function(keys, args)
  if #keys ~= 2 then return ff_err('invalid_input', 'arity:expected_2_keys') end
  local now, bad = ff_arg_int(args[1], 'now_ms', false, 0)
  if bad then return bad end
  local ttl = tonumber(redis.call('HGET', keys[2], 'ttl_ms'))
  if ttl == nil or ttl <= 0 then
    return ff_status('NOT_REGISTERED')
  end
  local ttl_s = ff_int_str(ttl)
  redis.call('SET', keys[1], '1', 'PX', ttl_s)
  redis.call('PEXPIRE', keys[2], ttl_s)
  redis.call('HSET', keys[2], 'last_heartbeat_ms', ff_int_str(now))
  return ff_ok('refreshed', ff_int_str(now + ttl))
end)
