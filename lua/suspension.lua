-- Suspension, waitpoints, resume conditions and the waitpoint secret ring
-- (execution-model.md §7, decisions.md §3 and §5.1).
--
-- Where this differs from the reference:
--   * waitpoint tokens are HMAC-SHA256 minted and verified by the node
--     (core/waitpoint_token); this library keeps the secret ring per flow
--     partition (ff:sec:T:waitpoint_hmac) and stores each waitpoint's token,
--     but never computes a MAC.
--   * one suspension binds 1..16 waitpoints, each fresh or an activated
--     pending waitpoint, under one resume condition in the decisions.md §5.1
--     JSON form (validated and normalized by the node). The condition is
--     evaluated over a token set (suspension:current:satisfied_set), as the
--     composite model of §7.4 does, except that Count tokens are scoped to
--     their own node (`cnt:<path>:...`), so two Count nodes never satisfy
--     each other.
--   * a signal for a pending waitpoint is buffered by ff_deliver_signal too,
--     so clients need one route.
--   * the suspension keeps the ids of the signals delivered to it, in
--     acceptance order; the resumed claim hands them to the worker.
--   * a terminal transition closes the suspension and every open waitpoint
--     of the execution, so no token stays usable on a finished execution.
--
-- Everything here hangs off FF_WP (helpers.lua) to stay clear of the
-- chunk's locals limit.

-- Score of a suspended execution without a timeout in its lane's ZSET.
FF_WP.NO_TIMEOUT_SCORE = '9999999999999'
FF_WP.MAX_WAITPOINTS = 16
FF_WP.MAX_CONDITION_DEPTH = 4
FF_WP.MAX_RESUME_SIGNALS = 1000
FF_WP.DEFAULT_DEDUP_TTL_MS = 604800000
FF_WP.TIMEOUT_BEHAVIORS = {
  fail = true, cancel = true, expire = true, auto_resume = true, escalate = true,
}
-- reason_code -> blocking_reason (§7.1); unknown codes wait for a signal.
FF_WP.REASON_TO_BLOCKING = {
  waiting_for_signal = 'waiting_for_signal', waiting_for_approval = 'waiting_for_approval',
  waiting_for_callback = 'waiting_for_callback',
  waiting_for_tool_result = 'waiting_for_tool_result',
  waiting_for_operator_review = 'paused_by_operator', paused_by_policy = 'paused_by_policy',
  paused_by_budget = 'waiting_for_budget', step_boundary = 'waiting_for_signal',
  manual_pause = 'paused_by_operator',
}
FF_WP.COUNT_KINDS = {
  distinct_sources = true, distinct_signals = true, distinct_waitpoints = true,
}

-- ---- keys -----------------------------------------------------------------

-- The suspension / waitpoint / signal keys of one execution (built by the
-- Keys section of helpers.lua).
function FF_WP.keys(K)
  local tag, eid = K.tag, K.eid
  return {
    susp = ff_key.suspension_current(tag, eid),
    satisfied = ff_key.suspension_satisfied_set(tag, eid),
    satisfied_signals = ff_key.suspension_satisfied_signals(tag, eid),
    member_map = ff_key.suspension_member_map(tag, eid),
    waitpoints = ff_key.exec_waitpoints(tag, eid),
    signals = ff_key.exec_signals(tag, eid),
    timeout = ff_key.suspension_timeout(tag),
    pending_expiry = ff_key.pending_waitpoint_expiry(tag),
    delivery = ff_key.signal_delivery(tag),
  }
end

function FF_WP.split_csv(csv)
  local out = {}
  for item in string.gmatch(ff_s(csv), '[^,]+') do
    out[#out + 1] = item
  end
  return out
end

-- A flat {field, value, ...} array (stream entry) as a table.
function FF_WP.fields(flat)
  local t = {}
  for i = 1, #flat, 2 do
    t[flat[i]] = flat[i + 1]
  end
  return t
end

-- ---- resume conditions ------------------------------------------------------
-- Nodes (normalized by the node, decisions.md §5.1): single {waitpoint_key,
-- signal_name?}, any_of {waitpoint_keys}, all_of {members}, count {n,
-- count_kind, waitpoint_keys, signal_name?}, operator_only, timeout_only.
-- Paths: the root is 'r', member i (0-based) of an all_of at P is 'P.i'.

function FF_WP.is_str(v)
  return type(v) == 'string' and v ~= ''
end

-- Structural check of a decoded condition; nil when fine, else the problem.
function FF_WP.cond_check(node, depth)
  if depth > FF_WP.MAX_CONDITION_DEPTH then return 'too_deep' end
  if type(node) ~= 'table' then return 'node_not_object' end
  local t = node.type
  local name = node.signal_name
  if name ~= nil and name ~= cjson.null and not FF_WP.is_str(name) then
    return 'bad_signal_name'
  end
  if t == 'single' then
    if not FF_WP.is_str(node.waitpoint_key) then return 'bad_waitpoint_key' end
  elseif t == 'any_of' or t == 'count' then
    local list = node.waitpoint_keys
    if type(list) ~= 'table' or #list == 0 then return 'bad_waitpoint_keys' end
    for _, k in ipairs(list) do
      if not FF_WP.is_str(k) then return 'bad_waitpoint_keys' end
    end
    if t == 'count' then
      if type(node.n) ~= 'number' or node.n < 1 or node.n ~= math.floor(node.n) then
        return 'bad_n'
      end
      if not FF_WP.COUNT_KINDS[node.count_kind] then return 'bad_count_kind' end
    end
  elseif t == 'all_of' then
    if type(node.members) ~= 'table' or #node.members == 0 then return 'bad_members' end
    for _, m in ipairs(node.members) do
      local e = FF_WP.cond_check(m, depth + 1)
      if e then return e end
    end
  elseif t == 'operator_only' or t == 'timeout_only' then
    if depth ~= 1 then return 'never_by_signal_not_top_level' end
  else
    return 'unknown_type'
  end
  return nil
end

-- Appends every waitpoint key the condition names to `out`.
function FF_WP.cond_keys(node, out)
  if node.type == 'single' then
    out[#out + 1] = node.waitpoint_key
  elseif node.type == 'any_of' or node.type == 'count' then
    for _, k in ipairs(node.waitpoint_keys) do
      out[#out + 1] = k
    end
  elseif node.type == 'all_of' then
    for _, m in ipairs(node.members) do
      FF_WP.cond_keys(m, out)
    end
  end
  return out
end

function FF_WP.list_has(list, v)
  for _, x in ipairs(list or {}) do
    if x == v then return true end
  end
  return false
end

-- nil / null signal_name = any name.
function FF_WP.name_ok(node, name)
  local want = node.signal_name
  return want == nil or want == cjson.null or want == name
end

function FF_WP.add_token(tokens, st, token)
  if not tokens[token] then
    tokens[token] = true
    st.new[#st.new + 1] = token
  end
end

-- Applies one signal (sig: key, wpid, id, name, source_type,
-- source_identity) to the token table. st collects: candidate (a node
-- listens on the signal's waitpoint key), matched (a listening node accepts
-- the name), new (tokens added).
function FF_WP.cond_apply(node, path, sig, tokens, st)
  local t = node.type
  if t == 'single' or t == 'any_of' then
    local listens = (t == 'single' and node.waitpoint_key == sig.key) or
                    (t == 'any_of' and FF_WP.list_has(node.waitpoint_keys, sig.key))
    if listens then
      st.candidate = true
      if t == 'any_of' or FF_WP.name_ok(node, sig.name) then
        st.matched = true
        FF_WP.add_token(tokens, st, 'leaf:' .. path)
      end
    end
  elseif t == 'count' then
    if FF_WP.list_has(node.waitpoint_keys, sig.key) then
      st.candidate = true
      if FF_WP.name_ok(node, sig.name) then
        st.matched = true
        local v
        if node.count_kind == 'distinct_waitpoints' then
          v = 'wp:' .. sig.wpid
        elseif node.count_kind == 'distinct_signals' then
          v = 'sig:' .. sig.id
        else
          v = 'src:' .. sig.source_type .. ':' .. sig.source_identity
        end
        FF_WP.add_token(tokens, st, 'cnt:' .. path .. ':' .. v)
      end
    end
  elseif t == 'all_of' then
    for i, m in ipairs(node.members) do
      FF_WP.cond_apply(m, path .. '.' .. (i - 1), sig, tokens, st)
    end
  end
end

function FF_WP.cond_satisfied(node, path, tokens)
  local t = node.type
  if t == 'single' or t == 'any_of' then
    return tokens['leaf:' .. path] == true
  elseif t == 'count' then
    local prefix = 'cnt:' .. path .. ':'
    local n = 0
    for token in pairs(tokens) do
      if string.sub(token, 1, #prefix) == prefix then n = n + 1 end
    end
    return n >= node.n
  elseif t == 'all_of' then
    for i, m in ipairs(node.members) do
      if not FF_WP.cond_satisfied(m, path .. '.' .. (i - 1), tokens) then return false end
    end
    return true
  end
  -- operator_only / timeout_only: never by a signal.
  return false
end

-- §7.6 effect names.
function FF_WP.effect_of(st, satisfied)
  if not st.candidate then return 'signal_ignored_not_in_condition' end
  if not st.matched then return 'signal_ignored_matcher_failed' end
  if #st.new == 0 then return 'appended_to_waitpoint_duplicate' end
  if satisfied then return 'resume_condition_satisfied' end
  return 'appended_to_waitpoint'
end

-- Names a signal on `key` must carry: {} when any name matches (a wildcard
-- node listens on it, or none does).
function FF_WP.required_names(node, key)
  local acc = {names = {}, seen = {}, wildcard = false}
  local function walk(n)
    if n.type == 'all_of' then
      for _, m in ipairs(n.members) do walk(m) end
      return
    end
    local listens = (n.type == 'single' and n.waitpoint_key == key) or
                    ((n.type == 'any_of' or n.type == 'count') and
                     FF_WP.list_has(n.waitpoint_keys, key))
    if not listens then return end
    local name = n.signal_name
    if n.type == 'any_of' or name == nil or name == cjson.null then
      acc.wildcard = true
    elseif not acc.seen[name] then
      acc.seen[name] = true
      acc.names[#acc.names + 1] = name
    end
  end
  walk(node)
  if acc.wildcard then return {} end
  table.sort(acc.names)
  return acc.names
end

function FF_WP.load_tokens(S)
  local tokens = {}
  for _, token in ipairs(redis.call('SMEMBERS', S.satisfied)) do
    tokens[token] = true
  end
  return tokens
end

-- ---- closing ------------------------------------------------------------------

-- Closes one waitpoint and its condition hash unless already closed.
-- `signalled`: ff_deliver_signal read this waitpoint open in this call and
-- would have set its condition's updated_at (creating the hash if missing)
-- just before, so neither the state nor the condition is read here.
function FF_WP.close_waitpoint(tag, wpid, now_s, reason, satisfied, signalled)
  local wk = ff_key.waitpoint_hash(tag, wpid)
  if not signalled then
    local state = redis.call('HGET', wk, 'state')
    if not state or state == 'closed' then
      return false
    end
  end
  if satisfied then
    redis.call('HSET', wk, 'state', 'closed', 'closed_at', now_s, 'close_reason', reason,
               'satisfied_at', now_s)
  else
    redis.call('HSET', wk, 'state', 'closed', 'closed_at', now_s, 'close_reason', reason)
  end
  local condition = ff_key.waitpoint_condition(tag, wpid)
  if signalled then
    redis.call('HSET', condition, 'updated_at', now_s, 'closed', '1',
               'closed_at', now_s, 'closed_reason', reason, 'updated_at', now_s)
  elseif redis.call('EXISTS', condition) == 1 then
    redis.call('HSET', condition, 'closed', '1', 'closed_at', now_s,
               'closed_reason', reason, 'updated_at', now_s)
  end
  redis.call('ZREM', ff_key.pending_waitpoint_expiry(tag), wpid)
  return true
end

-- Closes the open suspension `susp` and its waitpoints (the caller wrote
-- exec_core first). `closer` = the signal that satisfied the condition.
-- opts (ff_deliver_signal): signalled = the waitpoint it read open,
-- satisfiers = the satisfier ids (instead of reading the set back).
-- Returns true when the signalled waitpoint was among the suspension's.
function FF_WP.close_suspension(K, S, susp, lane, now, reason, closer, opts)
  local now_s = ff_int_str(now)
  local signalled = opts and opts.signalled
  local seen = false
  for _, wpid in ipairs(FF_WP.split_csv(susp.waitpoint_ids)) do
    local this = wpid == signalled
    if this then seen = true end
    FF_WP.close_waitpoint(K.tag, wpid, now_s, reason, closer ~= nil, this)
  end
  local f = {'closed_at', now_s, 'close_reason', reason}
  if closer then
    local all = opts and opts.satisfiers
    if all == nil then
      all = redis.call('SMEMBERS', S.satisfied_signals)
      table.sort(all)
    end
    f[#f + 1] = 'satisfied_at'
    f[#f + 1] = now_s
    f[#f + 1] = 'closer_signal_id'
    f[#f + 1] = closer
    f[#f + 1] = 'all_satisfier_signals'
    f[#f + 1] = #all == 0 and '[]' or cjson.encode(all)
  end
  redis.call('HSET', S.susp, unpack(f))
  redis.call('DEL', S.satisfied, S.satisfied_signals, S.member_map)
  redis.call('ZREM', S.timeout, K.eid)
  redis.call('ZREM', ff_key.lane_index(K.tag, lane, 'suspended'), K.eid)
  return seen
end

-- Called by ff_make_terminal after its exec_core write: the open suspension
-- closes with `reason`, every other open waitpoint (pending ones) with
-- never_committed.
function FF_WP.close_for_terminal(K, core, now, reason)
  -- Most executions never suspended: only the waitpoint set is needed then,
  -- not the nine keys of FF_WP.keys.
  local waitpoints = ff_key.exec_waitpoints(K.tag, K.eid)
  local closed = nil
  if core.lifecycle_phase == 'suspended' then
    local S = FF_WP.keys(K)
    waitpoints = S.waitpoints
    -- The two fields used, not the whole hash (a missing hash reads as
    -- both false).
    local h = redis.call('HMGET', S.susp, 'closed_at', 'waitpoint_ids')
    if not ff_is_set(h[1]) and (h[1] or h[2] or redis.call('EXISTS', S.susp) == 1) then
      FF_WP.close_suspension(K, S, {waitpoint_ids = h[2]}, core.lane_id, now, reason, nil)
      -- Its waitpoints are closed (or were closed or gone) now: closing
      -- them again below would only read their state.
      closed = {}
      for _, wpid in ipairs(FF_WP.split_csv(h[2])) do closed[wpid] = true end
    end
  end
  local wpids = redis.call('SMEMBERS', waitpoints)
  if #wpids > 0 then
    local now_s = ff_int_str(now)
    for _, wpid in ipairs(wpids) do
      if not (closed and closed[wpid]) then
        FF_WP.close_waitpoint(K.tag, wpid, now_s, 'never_committed', false)
      end
    end
  end
end

-- Transition 17: the suspended execution becomes runnable, eligible now
-- (queued with its original score, so the lane's next acquire takes it as
-- a resumed attempt) or after delay_ms. Writes exec_core first, then the
-- lane indexes; the caller closes the suspension. True when eligible now.
function FF_WP.resume_core(K, core, now, delay_ms, detail)
  local now_s = ff_int_str(now)
  local delayed = delay_ms ~= nil and delay_ms > 0
  local until_s = delayed and ff_int_str(now + delay_ms) or ''
  -- One literal HSET in the pairs() order of the table this used to be.
  redis.call('HSET', K.core,
             'eligibility_state', delayed and 'not_eligible_until_time' or 'eligible_now',
             'last_mutation_at', now_s, 'public_state', delayed and 'delayed' or 'waiting',
             'attempt_state', 'attempt_interrupted', 'delay_until', until_s,
             'ownership_state', 'unowned', 'last_transition_at', now_s,
             'terminal_outcome', 'none', 'blocking_detail', delayed and detail or '',
             'blocking_reason', delayed and 'waiting_for_resume_delay' or 'waiting_for_worker',
             'lifecycle_phase', 'runnable')
  redis.call('ZREM', ff_key.lane_index(K.tag, core.lane_id, 'suspended'), K.eid)
  if delayed then
    redis.call('ZADD', ff_key.lane_index(K.tag, core.lane_id, 'delayed'), until_s, K.eid)
  else
    redis.call('ZADD', ff_key.lane_index(K.tag, core.lane_id, 'eligible'), ff_queue_score(core),
               K.eid)
  end
  return not delayed
end

-- The signals of the suspension a resumed claim continues from, as a flat
-- (signal_id, signal_name, source_identity, payload) list in acceptance
-- order. Handed out once per suspension (a later resume of the same
-- attempt, after a worker delay, must not see them again).
function FF_WP.resumed_signals(K, core, now)
  local susp = ff_key.suspension_current(K.tag, K.eid)
  local s = redis.call('HMGET', susp, 'closed_at', 'attempt_index', 'signal_ids',
                       'resume_claimed_at')
  if not ff_is_set(s[1]) or s[2] ~= core.current_attempt_index or ff_is_set(s[4]) then
    return {}
  end
  redis.call('HSET', susp, 'resume_claimed_at', ff_int_str(now))
  local out = {}
  for _, sid in ipairs(FF_WP.split_csv(s[3])) do
    if #out >= 4 * FF_WP.MAX_RESUME_SIGNALS then break end
    local v = redis.call('HMGET', ff_key.signal_hash(K.tag, sid), 'signal_name',
                         'source_identity')
    if v[1] then
      out[#out + 1] = sid
      out[#out + 1] = v[1]
      out[#out + 1] = ff_s(v[2])
      out[#out + 1] = ff_s(redis.call('GET', ff_key.signal_payload(K.tag, sid)))
    end
  end
  return out
end

-- ---- the waitpoint secret ring ------------------------------------------------

function FF_WP.valid_kid(kid)
  return type(kid) == 'string' and #kid > 0 and #kid <= 64 and
         not string.find(kid, '[^!-~]') and not string.find(kid, ':', 1, true)
end

function FF_WP.valid_secret_hex(hex)
  return type(hex) == 'string' and #hex > 0 and #hex % 2 == 0 and
         not string.find(hex, '[^0-9a-fA-F]')
end

-- KEYS: 1 ff:sec:T:waitpoint_hmac. ARGV: 1 kid, 2 secret_hex.
-- Boot seeding: installs `kid` as the current kid when there is none, and
-- repairs a missing secret of the current kid when it is `kid`; a
-- different secret (or another current kid, after a rotation) is left alone.
-- Returns {1,'OK','installed'|'repaired'|'present'|'kept_existing',current_kid}
--       | {0,'invalid_kid'} | {0,'invalid_secret_hex'}.
redis.register_function('ff_seed_waitpoint_hmac_secret', function(keys, args)
  if #keys ~= 1 or ff_waitpoint_hmac_key_tag(keys[1]) == nil then
    return ff_err('invalid_input', 'keys:mismatch')
  end
  local kid, hex = args[1], args[2]
  if not FF_WP.valid_kid(kid) then return ff_err('invalid_kid') end
  if not FF_WP.valid_secret_hex(hex) then return ff_err('invalid_secret_hex') end
  hex = string.lower(hex)
  local current = redis.call('HGET', keys[1], 'current_kid')
  if not ff_is_set(current) then
    redis.call('HSET', keys[1], 'current_kid', kid, 'secret:' .. kid, hex)
    redis.call('HDEL', keys[1], 'expires_at:' .. kid)
    return ff_ok('installed', kid)
  end
  local stored = redis.call('HGET', keys[1], 'secret:' .. current)
  if current == kid and not ff_is_set(stored) then
    redis.call('HSET', keys[1], 'secret:' .. kid, hex)
    return ff_ok('repaired', kid)
  end
  if current == kid and stored == hex then
    return ff_ok('present', kid)
  end
  return ff_ok('kept_existing', current)
end)

-- KEYS: 1 ff:sec:T:waitpoint_hmac. ARGV: 1 new_kid, 2 new_secret_hex,
-- 3 grace_ms (how long the outgoing kid keeps verifying).
-- Returns {1,'OK','rotated',previous_kid ('' = none),new_kid,gc_count}
--       | {1,'OK','noop',current_kid,new_kid,'0'} (same kid and secret; a
--         missing secret is repaired)
--       | {0,'invalid_kid'|'invalid_secret_hex'|'invalid_grace_ms'}
--       | {0,'rotation_conflict',kid} (same kid, another secret).
-- Retired kids whose grace has passed are removed (gc_count).
redis.register_function('ff_rotate_waitpoint_hmac_secret', function(keys, args)
  if #keys ~= 1 or ff_waitpoint_hmac_key_tag(keys[1]) == nil then
    return ff_err('invalid_input', 'keys:mismatch')
  end
  local key, kid, hex = keys[1], args[1], args[2]
  if not FF_WP.valid_kid(kid) then return ff_err('invalid_kid') end
  if not FF_WP.valid_secret_hex(hex) then return ff_err('invalid_secret_hex') end
  hex = string.lower(hex)
  local grace = ff_parse_int(args[3])
  if grace == nil or grace < 0 then return ff_err('invalid_grace_ms') end
  local now = ff_now_ms()
  local current = redis.call('HGET', key, 'current_kid')
  if current == kid then
    local stored = redis.call('HGET', key, 'secret:' .. kid)
    if not ff_is_set(stored) then
      redis.call('HSET', key, 'secret:' .. kid, hex)
      return ff_ok('noop', kid, kid, '0')
    end
    if stored == hex then return ff_ok('noop', kid, kid, '0') end
    return ff_err('rotation_conflict', kid)
  end
  local gc = 0
  local all = ff_hgetall(key) or {}
  for field, value in pairs(all) do
    local old = string.match(field, '^expires_at:(.+)$')
    if old then
      local at = tonumber(value)
      if at == nil or at <= 0 or at < now then
        redis.call('HDEL', key, field, 'secret:' .. old)
        gc = gc + 1
      end
    end
  end
  if ff_is_set(current) then
    local until_s = ff_int_str(now + grace)
    redis.call('HSET', key, 'expires_at:' .. current, until_s, 'previous_kid', current,
               'previous_expires_at', until_s)
  end
  redis.call('HDEL', key, 'expires_at:' .. kid)
  redis.call('HSET', key, 'secret:' .. kid, hex, 'current_kid', kid)
  return ff_ok('rotated', ff_s(current), kid, ff_int_str(gc))
end)

-- KEYS: 1 ff:sec:T:waitpoint_hmac. ARGV: none.
-- Returns {1,'OK',current_kid ('' = none),n,(kid,secret_hex,expires_at)*n}:
-- the current kid (expires_at '0') and each retired kid still inside its
-- grace.
redis.register_function{
  function_name = 'ff_get_waitpoint_hmac_ring',
  flags = {'no-writes'},
  callback = function(keys, args)
    if #keys ~= 1 or ff_waitpoint_hmac_key_tag(keys[1]) == nil then
      return ff_err('invalid_input', 'keys:mismatch')
    end
    local all = ff_hgetall(keys[1]) or {}
    local current = ff_s(all.current_kid)
    local kids = {}
    for field, secret in pairs(all) do
      local kid = string.match(field, '^secret:(.+)$')
      if kid then
        local at = tonumber(all['expires_at:' .. kid])
        if kid == current then
          kids[#kids + 1] = {kid, secret, '0'}
        elseif at ~= nil and at > 0 then
          -- Past its grace too: the node then tells a genuine but expired
          -- token (token_expired) from a forged one (invalid_token).
          kids[#kids + 1] = {kid, secret, ff_int_str(at)}
        end
      end
    end
    table.sort(kids, function(a, b) return a[1] < b[1] end)
    local reply = {1, 'OK', current, ff_int_str(#kids)}
    for _, k in ipairs(kids) do
      reply[#reply + 1] = k[1]
      reply[#reply + 1] = k[2]
      reply[#reply + 1] = k[3]
    end
    return reply
  end,
}

-- ---- suspend --------------------------------------------------------------------

-- Remembers a suspend outcome under its idempotency key.
function FF_WP.store_suspend_dedup(key, reply, ttl)
  if key == nil then return end
  redis.call('HSET', key, 'outcome', cjson.encode(reply))
  redis.call('PEXPIRE', key, ttl or FF_WP.DEFAULT_DEDUP_TTL_MS)
end

-- The buffered signals of the pending waitpoints being activated, in
-- acceptance order (stream ids across the waitpoints' streams).
function FF_WP.buffered_signals(tag, wps)
  local out = {}
  for order, w in ipairs(wps) do
    if w.mode == 'pending' then
      local stream = ff_key.waitpoint_signals(tag, w.id)
      for _, entry in ipairs(redis.call('XRANGE', stream, '-', '+')) do
        local e = FF_WP.fields(entry[2])
        local ms, seq = string.match(entry[1], '^(%d+)-(%d+)$')
        out[#out + 1] = {
          ms = tonumber(ms) or 0, seq = tonumber(seq) or 0, order = order,
          sig = {key = w.key, wpid = w.id, id = ff_s(e.signal_id), name = ff_s(e.signal_name),
                 source_type = ff_s(e.source_type), source_identity = ff_s(e.source_identity)},
        }
      end
    end
  end
  table.sort(out, function(a, b)
    if a.ms ~= b.ms then return a.ms < b.ms end
    if a.order ~= b.order then return a.order < b.order end
    return a.seq < b.seq
  end)
  return out
end

-- Reads the waitpoint list of ff_suspend_execution (ARGV 16..).
function FF_WP.suspend_waitpoints(args, n)
  if #args ~= 15 + 4 * n then
    return nil, ff_err('invalid_input', 'arity:expected_' .. (15 + 4 * n) .. '_args')
  end
  local wps, ids = {}, {}
  for i = 1, n do
    local b = 15 + 4 * (i - 1)
    local w = {mode = args[b + 1], id = ff_s(args[b + 2]), key = ff_s(args[b + 3]),
               token = ff_s(args[b + 4])}
    if (w.mode ~= 'fresh' and w.mode ~= 'pending') or w.id == '' or
       string.find(w.id, ',', 1, true) or
       (w.mode == 'fresh' and (w.key == '' or w.token == '')) then
      return nil, ff_err('additional_waitpoint_binding_malformed', ff_int_str(i))
    end
    if ids[w.id] then return nil, ff_err('invalid_input', 'waitpoints:duplicate_id') end
    ids[w.id] = true
    wps[i] = w
  end
  return wps, nil
end

-- KEYS: the execution key block (FF_EXEC_BLOCK).
-- ARGV: 1 execution_id, 2 lease_id, 3 lease_epoch, 4 attempt_index,
--       5 attempt_id ('' = not checked), 6 suspension_id, 7 reason_code
--       ('' = waiting_for_signal), 8 requested_by, 9 timeout_at (ms, '' =
--       none), 10 timeout_behavior ('' = fail), 11 resume_condition_json
--       (normalized), 12 resume_policy_json, 13 idempotency_key ('' = none),
--       14 dedup_ttl_ms ('' = 7 days), 15 n (1..16), then n x (mode
--       'fresh'|'pending', waitpoint_id, waitpoint_key, waitpoint_token);
--       a pending entry sends '' key and token (the stored ones are used).
-- Returns {1,'OK'|'ALREADY_SATISFIED',suspension_id,n,(wp_id,wp_key,token)*n,
--          m,(signal_id,signal_name,source_identity,payload)*m}; m > 0 only
--          with ALREADY_SATISFIED (the buffered signals that satisfied it)
--       | {0, fence_required | execution_not_found | execution_not_active...
--          | stale_lease | lease_revoked | lease_expired
--          | invalid_lease_for_suspend | already_suspended
--          | waitpoint_not_found | invalid_waitpoint_for_execution
--          | waitpoint_not_pending | pending_waitpoint_expired
--          | waitpoint_not_token_bound | waitpoint_already_exists
--          | additional_waitpoint_binding_malformed | invalid_input, ...}.
-- A repeat with the same idempotency key answers the stored outcome and
-- changes nothing.
redis.register_function('ff_suspend_execution', function(keys, args)
  local K, bad = ff_exec_keys(keys, args[1])
  if bad then return bad end
  local f
  f, bad = ff_read_fence(args, 2)
  if bad then return bad end
  local suspension_id, reason_code = ff_s(args[6]), ff_s(args[7])
  if suspension_id == '' then return ff_err('invalid_input', 'suspension_id:empty') end
  if reason_code == '' then reason_code = 'waiting_for_signal' end
  local timeout_at
  timeout_at, bad = ff_arg_int(args[9], 'timeout_at', true, 1)
  if bad then return bad end
  local behavior = ff_s(args[10])
  if behavior == '' then behavior = 'fail' end
  if not FF_WP.TIMEOUT_BEHAVIORS[behavior] then
    return ff_err('invalid_input', 'timeout_behavior:unknown')
  end
  local cond_json = ff_s(args[11])
  local cond = ff_decode_json_object(cond_json)
  if cond == nil then return ff_err('invalid_input', 'resume_condition:not_a_json_object') end
  local problem = FF_WP.cond_check(cond, 1)
  if problem then return ff_err('invalid_input', 'resume_condition:' .. problem) end
  if cond.type == 'timeout_only' and timeout_at == nil then
    return ff_err('invalid_input', 'resume_condition:timeout_only_without_timeout')
  end
  local dedup_ttl
  dedup_ttl, bad = ff_arg_int(args[14], 'dedup_ttl_ms', true, 1)
  if bad then return bad end
  local n
  n, bad = ff_arg_int(args[15], 'waitpoint_count', false, 1, FF_WP.MAX_WAITPOINTS)
  if bad then return bad end
  local wps
  wps, bad = FF_WP.suspend_waitpoints(args, n)
  if bad then return bad end

  local dedup_key = nil
  if ff_is_set(args[13]) then
    dedup_key = ff_key.suspend_dedup(K.tag, K.eid, args[13])
    local stored = redis.call('HGET', dedup_key, 'outcome')
    if stored then
      local ok, reply = pcall(cjson.decode, stored)
      if ok and type(reply) == 'table' then return reply end
    end
  end

  if f == nil then return ff_err('fence_required') end
  -- exec_core has ~60 fields and HGETALL of it (plus the table) costs
  -- several times this HMGET. When the fields say the caller holds a live
  -- lease they are all this call needs (the exec_core write below does not
  -- compare); anything else reads the whole hash and takes ff_check_lease's
  -- answer as before.
  local c = redis.call('HMGET', K.core, 'lifecycle_phase', 'current_lease_id',
                       'current_lease_epoch', 'current_attempt_index', 'current_attempt_id',
                       'ownership_state', 'lease_revoked_at', 'lease_expires_at',
                       'attempt_state', 'lane_id', 'current_worker_instance_id')
  local now = ff_now_ms()
  local core
  if c[1] == 'active' and f.lease_id ~= '' and c[2] == f.lease_id and c[3] == f.epoch and
     c[4] == f.index and (f.attempt_id == '' or f.attempt_id == c[5]) and
     c[6] ~= 'lease_revoked' and not ff_is_set(c[7]) and
     c[6] ~= 'lease_expired_reclaimable' and (tonumber(c[8]) or now) > now then
    core = {lifecycle_phase = c[1], current_lease_id = c[2], current_lease_epoch = c[3],
            current_attempt_index = c[4], current_attempt_id = c[5] or nil,
            ownership_state = c[6] or nil, attempt_state = c[9] or nil, lane_id = c[10] or nil,
            current_worker_instance_id = c[11] or nil}
  else
    core = ff_hgetall(K.core)
    if not core then return ff_err('execution_not_found') end
    local err = ff_check_lease(K, core, f, now)
    if err then return err end
  end
  if core.attempt_state ~= 'running_attempt' then return ff_err('invalid_lease_for_suspend') end
  local S = FF_WP.keys(K)
  if redis.call('HGET', S.susp, 'closed_at') == '' then return ff_err('already_suspended') end

  -- Bind every waitpoint before the first write (no rollback).
  local by_key = {}
  for _, w in ipairs(wps) do
    local h = ff_hgetall(ff_key.waitpoint_hash(K.tag, w.id))
    if w.mode == 'pending' then
      if not h then return ff_err('waitpoint_not_found', w.id) end
      if h.execution_id ~= K.eid or h.attempt_index ~= core.current_attempt_index then
        return ff_err('invalid_waitpoint_for_execution', w.id)
      end
      if h.state ~= 'pending' then return ff_err('waitpoint_not_pending', w.id) end
      local expires = tonumber(h.expires_at)
      if expires ~= nil and expires > 0 and expires <= now then
        return ff_err('pending_waitpoint_expired', w.id)
      end
      if not ff_is_set(h.waitpoint_token) then
        return ff_err('waitpoint_not_token_bound', w.id)
      end
      w.key, w.token = ff_s(h.waitpoint_key), h.waitpoint_token
    elseif h and h.state ~= 'closed' then
      return ff_err('waitpoint_already_exists', w.id)
    end
    if by_key[w.key] then return ff_err('invalid_input', 'waitpoints:duplicate_key') end
    by_key[w.key] = w
  end
  for _, key in ipairs(FF_WP.cond_keys(cond, {})) do
    if not by_key[key] then
      return ff_err('invalid_input', 'resume_condition:unknown_waitpoint_key')
    end
  end

  -- Signals buffered on the pending waitpoints go through the condition.
  local tokens, contributed = {}, {}
  local buffered = FF_WP.buffered_signals(K.tag, wps)
  local satisfied = false
  for _, b in ipairs(buffered) do
    local st = {new = {}}
    FF_WP.cond_apply(cond, 'r', b.sig, tokens, st)
    if #st.new > 0 then
      contributed[#contributed + 1] = b.sig.id
      if FF_WP.cond_satisfied(cond, 'r', tokens) then satisfied = true end
    end
  end

  local now_s = ff_int_str(now)
  local reply = {1, satisfied and 'ALREADY_SATISFIED' or 'OK', suspension_id, ff_int_str(n)}
  for _, w in ipairs(wps) do
    reply[#reply + 1] = w.id
    reply[#reply + 1] = w.key
    reply[#reply + 1] = w.token
  end
  if satisfied then
    -- §7.1 step 5: the caller keeps its lease and the execution does not
    -- move; the activated pending waitpoints are consumed, and their
    -- signals handed to the caller.
    reply[#reply + 1] = ff_int_str(#buffered)
    for _, b in ipairs(buffered) do
      reply[#reply + 1] = b.sig.id
      reply[#reply + 1] = b.sig.name
      reply[#reply + 1] = b.sig.source_identity
      reply[#reply + 1] = ff_s(redis.call('GET', ff_key.signal_payload(K.tag, b.sig.id)))
    end
    for _, w in ipairs(wps) do
      if w.mode == 'pending' then
        FF_WP.close_waitpoint(K.tag, w.id, now_s, 'resumed', true)
      end
    end
    FF_WP.store_suspend_dedup(dedup_key, reply, dedup_ttl)
    return reply
  end
  reply[#reply + 1] = '0'

  -- Transition 16: exec_core first; one literal HSET in the pairs() order
  -- of the table (with the cleared lease mirror) this used to be.
  redis.call('HSET', K.core, 'current_worker_id', '', 'ownership_state', 'unowned',
             'current_worker_instance_id', '', 'last_transition_at', now_s,
             'lifecycle_phase', 'suspended', 'lease_acquired_at', '',
             'eligibility_state', 'not_applicable', 'last_mutation_at', now_s,
             'public_state', 'suspended', 'attempt_state', 'attempt_interrupted',
             'current_waitpoint_id', wps[1].id, 'lease_expires_at', '',
             'blocking_reason', FF_WP.REASON_TO_BLOCKING[reason_code] or 'waiting_for_signal',
             'current_suspension_id', suspension_id, 'lease_renewal_deadline', '',
             'blocking_detail', 'suspended: ' .. reason_code .. ' on waitpoint ' .. wps[1].key,
             'lease_last_renewed_at', '', 'terminal_outcome', 'none')

  -- The attempt pauses; a resumed claim continues it with the attempt
  -- timeout it had left (read first, so the attempt takes one HSET).
  local ak = ff_key.attempt(K.tag, K.eid, core.current_attempt_index)
  local attempt_deadline = tonumber(redis.call('HGET', ak, 'timeout_at'))
  if attempt_deadline ~= nil then
    redis.call('HSET', ak, 'attempt_state', 'suspended', 'suspended_at', now_s,
               'suspension_id', suspension_id, 'timeout_remaining_ms',
               ff_int_str(math.max(1, attempt_deadline - now)))
  else
    redis.call('HSET', ak, 'attempt_state', 'suspended', 'suspended_at', now_s,
               'suspension_id', suspension_id)
  end
  ff_drop_lease(K, core)
  ff_history(K, 'released', {
    'lease_id', ff_s(core.current_lease_id), 'lease_epoch', ff_s(core.current_lease_epoch),
    'attempt_index', ff_s(core.current_attempt_index),
    'attempt_id', ff_s(core.current_attempt_id), 'reason', 'suspend', 'ts', now_s})

  -- The previous (closed) suspension is replaced; its waitpoints stay
  -- listed in the execution's waitpoints SET.
  redis.call('DEL', S.susp, S.satisfied, S.satisfied_signals, S.member_map)
  local expires_s = timeout_at and ff_int_str(timeout_at) or ''
  local ids, bindings = {}, {}
  for _, w in ipairs(wps) do
    local wk = ff_key.waitpoint_hash(K.tag, w.id)
    local condition = ff_key.waitpoint_condition(K.tag, w.id)
    if w.mode == 'fresh' then
      redis.call('DEL', wk, ff_key.waitpoint_signals(K.tag, w.id), condition)
      -- One literal HSET in the pairs() order of the table this used to be.
      redis.call('HSET', wk, 'signal_count', '0', 'waitpoint_id', w.id,
                 'matched_signal_count', '0', 'attempt_index', core.current_attempt_index,
                 'close_reason', '', 'last_signal_at', '', 'created_at', now_s,
                 'expires_at', expires_s, 'state', 'active', 'waitpoint_key', w.key,
                 'suspension_id', suspension_id, 'satisfied_at', '', 'closed_at', '',
                 'waitpoint_token', w.token, 'execution_id', K.eid, 'activated_at', now_s)
      redis.call('SADD', S.waitpoints, w.id)
    else
      redis.call('HSET', wk, 'state', 'active', 'suspension_id', suspension_id,
                 'activated_at', now_s, 'expires_at', expires_s)
      redis.call('ZREM', S.pending_expiry, w.id)
      redis.call('DEL', condition)
    end
    redis.call('HSET', condition, 'waitpoint_id', w.id, 'suspension_id',
               suspension_id, 'closed', '0', 'created_at', now_s, 'updated_at', now_s,
               'closed_at', '', 'closed_reason', '')
    ids[#ids + 1] = w.id
    bindings[#bindings + 1] = {waitpoint_id = w.id, waitpoint_key = w.key}
  end
  local signal_ids = {}
  for _, b in ipairs(buffered) do
    signal_ids[#signal_ids + 1] = b.sig.id
  end
  -- One literal HSET in the pairs() order of the table this used to be.
  redis.call('HSET', S.susp, 'resume_condition_json', cond_json, 'waitpoint_key', wps[1].key,
             'reason_code', reason_code, 'resume_claimed_at', '',
             'requested_by', ff_s(args[8]), 'closer_signal_id', '', 'closed_at', '',
             'waitpoint_id', wps[1].id, 'signal_ids', table.concat(signal_ids, ','),
             'suspension_id', suspension_id, 'close_reason', '', 'last_signal_at', '',
             'created_at', now_s, 'timeout_behavior', behavior, 'satisfied_at', '',
             'timeout_at', expires_s, 'resume_policy_json', ff_s(args[12]),
             'waitpoints_json', cjson.encode(bindings), 'signal_count', ff_int_str(#signal_ids),
             'attempt_index', core.current_attempt_index, 'execution_id', K.eid,
             'waitpoint_ids', table.concat(ids, ','))
  local token_list = {}
  for token in pairs(tokens) do
    token_list[#token_list + 1] = token
  end
  if #token_list > 0 then redis.call('SADD', S.satisfied, unpack(token_list)) end
  if #contributed > 0 then redis.call('SADD', S.satisfied_signals, unpack(contributed)) end

  redis.call('ZADD', ff_key.lane_index(K.tag, core.lane_id, 'suspended'),
             timeout_at and expires_s or FF_WP.NO_TIMEOUT_SCORE, K.eid)
  if timeout_at then
    redis.call('ZADD', S.timeout, expires_s, K.eid)
  end
  FF_WP.store_suspend_dedup(dedup_key, reply, dedup_ttl)
  return reply
end)

-- ---- pending waitpoints -------------------------------------------------------------

-- KEYS: the execution key block.
-- ARGV: 1 execution_id, 2 lease_id, 3 lease_epoch, 4 attempt_index,
--       5 attempt_id ('' = not checked), 6 waitpoint_id, 7 waitpoint_key,
--       8 waitpoint_token, 9 expires_at (ms, '' = never).
-- A waitpoint created ahead of the suspend, so external senders can signal
-- it early (the signals are buffered until a suspend activates it).
-- Returns {1,'OK',waitpoint_id,waitpoint_key,waitpoint_token}
--       | {0, fence_required | execution_not_found | execution_not_active...
--          | stale_lease | lease_revoked | lease_expired
--          | waitpoint_already_exists | invalid_input}.
redis.register_function('ff_create_pending_waitpoint', function(keys, args)
  local K, bad = ff_exec_keys(keys, args[1])
  if bad then return bad end
  local f
  f, bad = ff_read_fence(args, 2)
  if bad then return bad end
  if f == nil then return ff_err('fence_required') end
  local wpid, key, token = ff_s(args[6]), ff_s(args[7]), ff_s(args[8])
  if wpid == '' or string.find(wpid, ',', 1, true) then
    return ff_err('invalid_input', 'waitpoint_id:malformed')
  end
  if key == '' then return ff_err('invalid_input', 'waitpoint_key:empty') end
  if token == '' then return ff_err('invalid_input', 'waitpoint_token:empty') end
  local expires
  expires, bad = ff_arg_int(args[9], 'expires_at', true, 1)
  if bad then return bad end
  local core = ff_hgetall(K.core)
  if not core then return ff_err('execution_not_found') end
  local now = ff_now_ms()
  local err = ff_check_lease(K, core, f, now)
  if err then return err end
  local wk = ff_key.waitpoint_hash(K.tag, wpid)
  local state = redis.call('HGET', wk, 'state')
  if state and state ~= 'closed' then return ff_err('waitpoint_already_exists', wpid) end

  local now_s = ff_int_str(now)
  redis.call('DEL', wk, ff_key.waitpoint_signals(K.tag, wpid),
             ff_key.waitpoint_condition(K.tag, wpid))
  ff_hset_table(wk, {
    waitpoint_id = wpid, execution_id = K.eid, attempt_index = core.current_attempt_index,
    suspension_id = '', waitpoint_key = key, waitpoint_token = token, state = 'pending',
    created_at = now_s, activated_at = '', satisfied_at = '', closed_at = '',
    expires_at = expires and ff_int_str(expires) or '', close_reason = '',
    signal_count = '0', matched_signal_count = '0', last_signal_at = ''})
  local S = FF_WP.keys(K)
  redis.call('SADD', S.waitpoints, wpid)
  if expires then
    redis.call('ZADD', S.pending_expiry, ff_int_str(expires), wpid)
  end
  redis.call('HSET', K.core, 'last_mutation_at', now_s)
  return ff_ok(wpid, key, token)
end)

-- KEYS: 1 ff:idx:T:pending_waitpoint_expiry. ARGV: 1 now_ms, 2 limit.
-- Closes pending waitpoints past their expires_at (never_committed); the
-- scanner reply of scanner.lua (no became_eligible).
redis.register_function('ff_expire_pending_waitpoints', function(keys, args)
  local tag = ff_scan_tag(keys[1], ff_key.pending_waitpoint_expiry)
  if tag == nil or #keys ~= 1 then return ff_err('invalid_input', 'keys:mismatch') end
  local now, limit, bad = ff_scan_params(args, 1)
  if bad then return bad end
  local s = {examined = 0, changed = 0, cleaned = 0, failed = 0}
  local now_s = ff_int_str(now)
  local due = redis.call('ZRANGEBYSCORE', keys[1], '-inf', now_s, 'LIMIT', 0, limit)
  for _, wpid in ipairs(due) do
    s.examined = s.examined + 1
    local h = redis.call('HMGET', ff_key.waitpoint_hash(tag, wpid), 'state', 'expires_at')
    local expires = tonumber(h[2])
    if h[1] ~= 'pending' or expires == nil then
      redis.call('ZREM', keys[1], wpid)
      s.cleaned = s.cleaned + 1
    elseif expires > now then
      redis.call('ZADD', keys[1], h[2], wpid)
    else
      FF_WP.close_waitpoint(tag, wpid, now_s, 'never_committed', false)
      s.changed = s.changed + 1
    end
  end
  return ff_scan_reply(s, {}, nil, '')
end)

-- ---- suspension timeout -------------------------------------------------------------

-- KEYS: 1 ff:idx:T:suspension_timeout. ARGV: 1 now_ms, 2 limit.
-- Due suspensions act on their timeout_behavior (§7.8): auto_resume ->
-- eligible now (became_eligible); escalate -> stays suspended, paused for an
-- operator, no timeout; fail / cancel / expire -> terminal, stream closed
-- `suspension_timeout`, suspension and waitpoints closed timed_out_<b>.
redis.register_function('ff_expire_suspensions', function(keys, args)
  local tag = ff_scan_tag(keys[1], ff_key.suspension_timeout)
  if tag == nil or #keys ~= 1 then return ff_err('invalid_input', 'keys:mismatch') end
  local now, limit, bad = ff_scan_params(args, 1)
  if bad then return bad end
  local s = {examined = 0, changed = 0, cleaned = 0, failed = 0}
  local became = {}
  local now_s = ff_int_str(now)
  local due = redis.call('ZRANGEBYSCORE', keys[1], '-inf', now_s, 'LIMIT', 0, limit)
  for _, eid in ipairs(due) do
    s.examined = s.examined + 1
    local K, core = ff_scan_load(eid, tag)
    local S = K and FF_WP.keys(K)
    local susp = core and core.lifecycle_phase == 'suspended' and ff_hgetall(S.susp)
    local timeout_at = susp and tonumber(susp.timeout_at)
    if not susp or ff_is_set(susp.closed_at) or timeout_at == nil then
      redis.call('ZREM', keys[1], eid)
      s.cleaned = s.cleaned + 1
    elseif timeout_at > now then
      redis.call('ZADD', keys[1], susp.timeout_at, eid)
    else
      local b = susp.timeout_behavior
      if b == 'auto_resume' then
        FF_WP.resume_core(K, core, now, 0, '')
        FF_WP.close_suspension(K, S, susp, core.lane_id, now, 'timed_out_auto_resume', nil)
        became[#became + 1] = eid
        became[#became + 1] = core.lane_id
      elseif b == 'escalate' then
        -- Transition 18: an operator decides; no timeout any more.
        ff_hset_table(K.core, {
          blocking_reason = 'paused_by_operator',
          blocking_detail = 'suspension timed out: waiting for operator review',
          last_transition_at = now_s, last_mutation_at = now_s})
        redis.call('HSET', S.susp, 'reason_code', 'waiting_for_operator_review',
                   'timeout_at', '', 'escalated_at', now_s)
        for _, wpid in ipairs(FF_WP.split_csv(susp.waitpoint_ids)) do
          local wk = ff_key.waitpoint_hash(K.tag, wpid)
          if redis.call('HGET', wk, 'state') == 'active' then
            redis.call('HSET', wk, 'expires_at', '')
          end
        end
        redis.call('ZREM', keys[1], eid)
        redis.call('ZADD', ff_key.lane_index(K.tag, core.lane_id, 'suspended'),
                   FF_WP.NO_TIMEOUT_SCORE, eid)
      else
        if b ~= 'cancel' and b ~= 'expire' then b = 'fail' end
        local outcome = ({cancel = 'cancelled', expire = 'expired', fail = 'failed'})[b]
        local reason = 'suspension_timeout:' .. b
        local fields = {failure_reason = reason}
        if b == 'cancel' then
          fields.cancellation_reason = reason
          fields.cancelled_by = 'system_timeout'
        end
        ff_make_terminal(K, core, now, {
          outcome = outcome, public_state = outcome,
          attempt_end = b == 'cancel' and 'ended_cancelled' or 'ended_failure',
          attempt_reason = reason, stream_reason = 'suspension_timeout',
          history_reason = reason, waitpoint_reason = 'timed_out_' .. b, fields = fields})
      end
      s.changed = s.changed + 1
    end
  end
  return ff_scan_reply(s, became, nil, '')
end)

-- ---- reads ------------------------------------------------------------------------------

-- KEYS: the execution key block. ARGV: 1 execution_id, 2 cursor (exclusive
-- waitpoint id, '' = start), 3 limit (1..1000).
-- Returns {1,'OK',next_cursor,n, n x (waitpoint_id, waitpoint_key, state,
--          created_at, activated_at, expires_at, execution_id, token,
--          k, k required signal names)} over the execution's pending and
--          active waitpoints with a stored token, in id order
--       | {0,'execution_not_found'}.
redis.register_function{
  function_name = 'ff_list_pending_waitpoints',
  flags = {'no-writes'},
  callback = function(keys, args)
    local K, bad = ff_exec_keys(keys, args[1])
    if bad then return bad end
    local cursor = ff_s(args[2])
    local limit
    limit, bad = ff_arg_int(args[3], 'limit', false, 1, 1000)
    if bad then return bad end
    if redis.call('EXISTS', K.core) == 0 then return ff_err('execution_not_found') end
    local ids = redis.call('SMEMBERS', ff_key.exec_waitpoints(K.tag, K.eid))
    table.sort(ids)
    local susp = redis.call('HMGET', ff_key.suspension_current(K.tag, K.eid), 'suspension_id',
                            'closed_at', 'resume_condition_json')
    -- Decoded on first use: only an active waitpoint of the open suspension
    -- needs it.
    local open = susp[1] and not ff_is_set(susp[2])
    local cond = nil
    local decoded = false
    -- Entries go straight into the reply; [3] and [4] are filled at the end.
    local reply, n = {1, 'OK', '', '0'}, 4
    local count, last = 0, ''
    local next_cursor = ''
    for _, id in ipairs(ids) do
      if cursor == '' or id > cursor then
        if count >= limit then
          next_cursor = last
          break
        end
        -- Only the fields listed (HMGET gives false for a missing one;
        -- a missing hash reads as no state).
        local h = redis.call('HMGET', ff_key.waitpoint_hash(K.tag, id), 'state', 'waitpoint_token',
                             'suspension_id', 'waitpoint_key', 'created_at', 'activated_at',
                             'expires_at')
        local state = h[1]
        if (state == 'pending' or state == 'active') and ff_is_set(h[2]) then
          local names = nil
          if state == 'active' and open and h[3] == susp[1] then
            if not decoded then
              cond = ff_decode_json_object(ff_s(susp[3]))
              decoded = true
            end
            if cond then names = FF_WP.required_names(cond, h[4]) end
          end
          reply[n + 1] = id
          reply[n + 2] = ff_s(h[4])
          reply[n + 3] = state
          reply[n + 4] = ff_s(h[5])
          reply[n + 5] = ff_s(h[6])
          reply[n + 6] = ff_s(h[7])
          reply[n + 7] = K.eid
          reply[n + 8] = h[2]
          n = n + 9
          if names then
            reply[n] = ff_int_str(#names)
            for i = 1, #names do reply[n + i] = names[i] end
            n = n + #names
          else
            reply[n] = '0'
          end
          count = count + 1
          last = id
        end
      end
    end
    reply[3] = next_cursor
    reply[4] = ff_int_str(count)
    return reply
  end,
}

-- KEYS: 1 ff:wp:T:<waitpoint_id>. ARGV: 1 execution_id, 2 waitpoint_id.
-- Returns {1,'OK',token} when the waitpoint belongs to the execution, is not
-- closed and holds a token, else {1,'NOT_FOUND'}.
redis.register_function{
  function_name = 'ff_get_waitpoint_token',
  flags = {'no-writes'},
  callback = function(keys, args)
    local eid, wpid = ff_s(args[1]), ff_s(args[2])
    local tag = ff_tag_of(eid)
    if tag == nil or wpid == '' or #keys ~= 1 or keys[1] ~= ff_key.waitpoint_hash(tag, wpid) then
      return ff_err('invalid_input', 'keys:mismatch')
    end
    local h = redis.call('HMGET', keys[1], 'execution_id', 'state', 'waitpoint_token')
    if h[1] ~= eid or not h[2] or h[2] == 'closed' or not ff_is_set(h[3]) then
      return ff_status('NOT_FOUND')
    end
    return ff_ok(h[3])
  end,
}
