-- Attempt output streams (execution-model.md §8). Tailing blocks, which a
-- function cannot do: the backend runs XREAD BLOCK itself.

local FF_STREAM_DEFAULT_MAXLEN = 10000
local FF_STREAM_MAX_PAYLOAD = 65536
local FF_STREAM_MAX_READ = 10000
local FF_PATCH_MAX_DEPTH = 16
-- Best-effort retention bounds and rate smoothing (§8.3).
local FF_BEST_EFFORT = {floor = 64, ceiling = 16384, alpha = 0.2}
-- How a summary patch stores an explicit JSON null.
local FF_NULL_SENTINEL = '__ff_null__'

-- A decoded JSON value is an object (cjson decodes {} and [] alike; an
-- empty table counts as an object).
local function ff_json_is_object(v)
  return type(v) == 'table' and v[1] == nil
end

-- RFC 7396 merge of `patch` into `target` (both objects). Returns the
-- merged object, or nil plus the failure detail.
local function ff_merge_patch(target, patch, depth)
  if depth > FF_PATCH_MAX_DEPTH then
    return nil, 'patch_depth_exceeded'
  end
  for k, v in pairs(patch) do
    if v == cjson.null then
      target[k] = nil
    elseif ff_json_is_object(v) and next(v) ~= nil then
      local base = target[k]
      if not ff_json_is_object(base) then
        base = {}
      end
      local merged, why = ff_merge_patch(base, v, depth + 1)
      if merged == nil then return nil, why end
      target[k] = merged
    else
      target[k] = v
    end
  end
  return target, nil
end

-- Replaces every string leaf equal to the null sentinel by JSON null.
local function ff_apply_null_sentinel(v, depth)
  if depth > FF_PATCH_MAX_DEPTH + 1 then
    return v
  end
  for k, x in pairs(v) do
    if x == FF_NULL_SENTINEL then
      v[k] = cjson.null
    elseif type(x) == 'table' then
      ff_apply_null_sentinel(x, depth + 1)
    end
  end
  return v
end

-- Applies a summary patch to the attempt's summary hash (§8.4). Returns the
-- new version, or nil plus the error reply.
local function ff_apply_summary(summary_key, patch_text, now_s)
  local ok, patch = pcall(cjson.decode, patch_text)
  if not ok or not ff_json_is_object(patch) then
    return nil, ff_err('invalid_input', 'summary_patch:not_a_json_object')
  end
  local doc = {}
  local stored = redis.call('HGET', summary_key, 'document')
  if stored then
    local decoded_ok, decoded = pcall(cjson.decode, stored)
    if not decoded_ok or not ff_json_is_object(decoded) then
      return nil, ff_err('corruption', 'summary_document')
    end
    doc = decoded
  end
  local merged, why = ff_merge_patch(doc, patch, 1)
  if merged == nil then
    return nil, ff_err('invalid_input', why)
  end
  ff_apply_null_sentinel(merged, 1)
  local version = redis.call('HINCRBY', summary_key, 'version', 1)
  redis.call('HSET', summary_key, 'document', cjson.encode(merged),
             'patch_kind', 'json-merge-patch', 'last_updated_ms', now_s)
  if version == 1 then
    redis.call('HSET', summary_key, 'first_applied_ms', now_s)
  end
  return version, nil
end

-- Best-effort trim target K from an EMA of the append rate (§8.3).
local function ff_best_effort_maxlen(meta_key, now, ttl_ms)
  local ttl_s = math.max(ttl_ms, 1) / 1000
  local prev = redis.call('HMGET', meta_key, 'ema_rate_hz', 'last_append_ts_ms')
  local rate
  if not prev[1] or not prev[2] then
    rate = FF_BEST_EFFORT.floor / (2 * ttl_s)
  else
    local dt = math.max(now - (tonumber(prev[2]) or now), 1)
    rate = FF_BEST_EFFORT.alpha * (1000 / dt) +
           (1 - FF_BEST_EFFORT.alpha) * (tonumber(prev[1]) or 0)
  end
  local k = math.ceil(rate * ttl_s * 2)
  if k < FF_BEST_EFFORT.floor then k = FF_BEST_EFFORT.floor end
  if k > FF_BEST_EFFORT.ceiling then k = FF_BEST_EFFORT.ceiling end
  redis.call('HSET', meta_key, 'ema_rate_hz', tostring(rate),
             'last_append_ts_ms', ff_int_str(now), 'maxlen_applied_last', ff_int_str(k))
  return k
end

-- KEYS: 1 core, 2 policy, 3 stream, 4 stream meta, 5 attempt summary (the
-- attempt is ARGV 2).
-- ARGV: 1 execution_id, 2 attempt_index, 3 lease_id, 4 lease_epoch,
--       5 attempt_id ('' = not checked), 6 frame_type, 7 ts ('' = now),
--       8 payload, 9 encoding, 10 correlation_id, 11 source,
--       12 mode ('durable' | 'best_effort'; '' = durable), 13 summary_patch
--       (JSON merge patch or ''), 14 retention_maxlen (0 = the policy's
--       stream_policy.retention_maxlen, else ~10000), 15 max_payload_bytes
--       ('' = 65536), 16 ttl_ms (best effort).
-- Returns {1,'OK',entry_id,frame_count,summary_version or ''}
--       | {0, retention_limit_exceeded | stream_closed
--          | stale_owner_cannot_append | invalid_frame_type | invalid_input ...}.
redis.register_function('ff_append_frame', function(keys, args)
  local K = ff_exec_keyset(ff_s(args[1]))
  if K == nil then return ff_err('invalid_input', 'execution_id:malformed') end
  local index, bad = ff_arg_int(args[2], 'attempt_index', false, 0)
  if bad then return bad end
  local index_s = ff_int_str(index)
  local k_stream = ff_key.stream(K.tag, K.eid, index_s)
  local k_meta = ff_key.stream_meta(K.tag, K.eid, index_s)
  local k_summary = ff_key.attempt_summary(K.tag, K.eid, index_s)
  if #keys ~= 5 or keys[1] ~= K.core or keys[2] ~= K.policy or keys[3] ~= k_stream or
     keys[4] ~= k_meta or keys[5] ~= k_summary then
    return ff_err('invalid_input', 'keys:mismatch')
  end
  local lease_id, attempt_id = ff_s(args[3]), ff_s(args[5])
  local epoch
  epoch, bad = ff_arg_int(args[4], 'lease_epoch', false, 0)
  if bad then return bad end
  local frame_type, payload, mode = ff_s(args[6]), ff_s(args[8]), ff_s(args[12])
  if frame_type == '' then return ff_err('invalid_frame_type', 'empty') end
  if mode == '' then mode = 'durable' end
  if mode ~= 'durable' and mode ~= 'best_effort' then
    return ff_err('invalid_input', 'mode:unknown')
  end
  local ts
  ts, bad = ff_arg_int(args[7], 'ts', true, 0)
  if bad then return bad end
  local retention
  retention, bad = ff_arg_int(args[14], 'retention_maxlen', true, 0)
  if bad then return bad end
  local max_payload
  max_payload, bad = ff_arg_int(args[15], 'max_payload_bytes', true, 1)
  if bad then return bad end
  local ttl_ms
  ttl_ms, bad = ff_arg_int(args[16], 'ttl_ms', true, 0)
  if bad then return bad end
  if #payload > (max_payload or FF_STREAM_MAX_PAYLOAD) then
    return ff_err('retention_limit_exceeded', 'payload_bytes:' .. #payload)
  end

  local c = redis.call('HMGET', K.core, 'lifecycle_phase', 'ownership_state',
                       'current_attempt_index', 'current_lease_id', 'current_lease_epoch',
                       'current_attempt_id', 'lease_expires_at')
  if not c[1] then return ff_err('execution_not_found') end
  if c[1] ~= 'active' then return ff_err('stream_closed') end
  local now = ff_now_ms()
  if c[3] ~= index_s or c[4] ~= lease_id or c[5] ~= ff_int_str(epoch) or
     (attempt_id ~= '' and attempt_id ~= c[6]) or c[2] ~= 'leased' or
     (tonumber(c[7]) or 0) <= now then
    return ff_err('stale_owner_cannot_append')
  end

  local now_s = ff_int_str(now)
  if redis.call('EXISTS', k_meta) == 0 then
    if retention == nil or retention == 0 then
      retention = ff_json_uint(ff_policy(K).stream_policy, 'retention_maxlen') or 0
    end
    redis.call('HSET', k_meta, 'stream_id', K.eid .. ':' .. index_s, 'execution_id', K.eid,
               'attempt_id', ff_s(c[6]), 'attempt_index', index_s, 'created_at', now_s,
               'closed_at', '', 'closed_reason', '', 'durability_mode', 'durable_full',
               'retention_maxlen', ff_int_str(retention), 'last_sequence', '',
               'frame_count', '0', 'total_bytes', '0', 'last_frame_at', '',
               'has_durable_frame', '0')
  else
    local meta = redis.call('HMGET', k_meta, 'closed_at', 'retention_maxlen')
    if ff_is_set(meta[1]) then return ff_err('stream_closed') end
    -- A caller's explicit bound wins over the one resolved at creation.
    if retention == nil or retention == 0 then
      retention = tonumber(meta[2]) or 0
    end
  end

  local version = nil
  local patch = ff_s(args[13])
  if patch ~= '' then
    version, bad = ff_apply_summary(k_summary, patch, now_s)
    if bad then return bad end
  end

  local entry = {'frame_type', frame_type, 'ts', ts and ff_int_str(ts) or now_s,
                 'payload', payload, 'encoding', ff_s(args[9]), 'source', ff_s(args[11]),
                 'mode', mode}
  if ff_is_set(args[10]) then
    entry[#entry + 1] = 'correlation_id'
    entry[#entry + 1] = args[10]
  end
  if version ~= nil then
    entry[#entry + 1] = 'summary_version'
    entry[#entry + 1] = ff_int_str(version)
  end
  if mode == 'best_effort' and ttl_ms and ttl_ms > 0 then
    entry[#entry + 1] = 'ttl_ms'
    entry[#entry + 1] = ff_int_str(ttl_ms)
  end
  local id = redis.call('XADD', k_stream, '*', unpack(entry))
  local count = redis.call('HINCRBY', k_meta, 'frame_count', 1)
  redis.call('HINCRBY', k_meta, 'total_bytes', #payload)
  redis.call('HSET', k_meta, 'last_sequence', id, 'last_frame_at', now_s)

  if mode == 'durable' then
    if retention > 0 then
      redis.call('XTRIM', k_stream, 'MAXLEN', '=', retention)
    else
      redis.call('XTRIM', k_stream, 'MAXLEN', '~', FF_STREAM_DEFAULT_MAXLEN)
    end
    if redis.call('HGET', k_meta, 'has_durable_frame') ~= '1' then
      redis.call('HSET', k_meta, 'has_durable_frame', '1')
      redis.call('PERSIST', k_stream)
    end
  else
    local maxlen = ff_best_effort_maxlen(k_meta, now, ttl_ms or 0)
    redis.call('XTRIM', k_stream, 'MAXLEN', '~', maxlen)
    if ttl_ms and ttl_ms > 0 and redis.call('HGET', k_meta, 'has_durable_frame') ~= '1' then
      redis.call('PEXPIRE', k_stream, ff_int_str(2 * ttl_ms))
    end
  end
  return ff_ok(id, ff_int_str(count), version and ff_int_str(version) or '')
end)

-- KEYS: 1 core, 2 stream, 3 stream meta.
-- ARGV: 1 execution_id, 2 attempt_index, 3 from ('-' or id), 4 to ('+' or
--       id), 5 count (1..10000), 6 visibility ('' | 'exclude_best_effort').
-- Returns {1,'OK',closed_at,closed_reason,{id,{field,value,...}},...}
--       | {0,'invalid_input',...}.
redis.register_function{
  function_name = 'ff_read_attempt_stream',
  flags = {'no-writes'},
  callback = function(keys, args)
    local K = ff_exec_keyset(ff_s(args[1]))
    if K == nil then return ff_err('invalid_input', 'execution_id:malformed') end
    local index, bad = ff_arg_int(args[2], 'attempt_index', false, 0)
    if bad then return bad end
    local index_s = ff_int_str(index)
    if #keys ~= 3 or keys[1] ~= K.core or
       keys[2] ~= ff_key.stream(K.tag, K.eid, index_s) or
       keys[3] ~= ff_key.stream_meta(K.tag, K.eid, index_s) then
      return ff_err('invalid_input', 'keys:mismatch')
    end
    local count
    count, bad = ff_arg_int(args[5], 'count', false, 1, FF_STREAM_MAX_READ)
    if bad then return bad end
    local from, to = ff_s(args[3]), ff_s(args[4])
    if from == '' then from = '-' end
    if to == '' then to = '+' end
    -- A stream that was never written reads as empty, whether or not the
    -- execution exists (rest-api.md §3.15).
    local entries = redis.pcall('XRANGE', keys[2], from, to, 'COUNT', count)
    if type(entries) == 'table' and entries.err then
      return ff_err('invalid_input', 'range:invalid_id')
    end
    local meta = redis.call('HMGET', keys[3], 'closed_at', 'closed_reason')
    local reply = {1, 'OK', ff_s(meta[1]), ff_s(meta[2])}
    local exclude = ff_s(args[6]) == 'exclude_best_effort'
    for _, e in ipairs(entries) do
      local keep = true
      if exclude then
        local fields = e[2]
        for i = 1, #fields, 2 do
          if fields[i] == 'mode' and fields[i + 1] == 'best_effort' then
            keep = false
          end
        end
      end
      if keep then
        reply[#reply + 1] = e
      end
    end
    return reply
  end,
}
