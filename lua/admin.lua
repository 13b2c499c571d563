-- Library identity and boot-time records.

-- No keys. Returns the bare version string (not an envelope) so a loader
-- can compare it with the version it embeds.
redis.register_function{
  function_name = 'ff_version',
  flags = {'no-writes'},
  callback = function(keys, args)
    return FF_LIBRARY_VERSION
  end,
}

-- KEYS: 1 ff:config:partitions. ARGV: 1 flow, 2 budget, 3 quota partition counts.
-- Writes the record on first boot and validates it afterwards.
-- Returns {1,'OK','written'} | {1,'OK','matched'}
--       | {0,'partition_config_mismatch','stored flow=F budget=B quota=Q'}
--       | {0,'invalid_input',detail}.
redis.register_function('ff_init_partition_config', function(keys, args)
  local names = {'flow', 'budget', 'quota'}
  local fields = {'num_flow_partitions', 'num_budget_partitions', 'num_quota_partitions'}
  local configured = {}
  for i = 1, 3 do
    local n, bad = ff_arg_int(args[i], names[i], false, 1, 65535)
    if bad then return bad end
    configured[i] = ff_int_str(n)
  end

  local stored = redis.call('HMGET', keys[1], fields[1], fields[2], fields[3])
  if not stored[1] and not stored[2] and not stored[3] then
    redis.call('HSET', keys[1], fields[1], configured[1], fields[2], configured[2],
               fields[3], configured[3])
    return ff_ok('written')
  end
  local matches = true
  local described = {}
  for i = 1, 3 do
    local value = stored[i] or 'missing'
    if value ~= configured[i] then matches = false end
    described[i] = names[i] .. '=' .. value
  end
  if matches then
    return ff_ok('matched')
  end
  return ff_err('partition_config_mismatch', 'stored ' .. table.concat(described, ' '))
end)
