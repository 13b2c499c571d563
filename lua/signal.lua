-- Signal delivery and buffering (execution-model.md §7.6).
--
-- The node verifies the waitpoint token before it calls these functions
-- (decisions.md §3: the MAC covers only the ids the caller presents, so a
-- bad token is answered before any state is read); they never see it.
-- Everything is checked and the condition evaluated in memory first, then
-- exec_core is written (when the signal resumes the execution), then the
-- signal, the waitpoint and the suspension.

FF_WP.MAX_SIGNAL_MAXLEN = 100000
FF_WP.MAX_RESUME_DELAY_MS = 86400000 * 365
FF_WP.DELIVERY_STREAM_MAXLEN = 1000

-- KEYS: the execution key block.
-- ARGV: 1 execution_id, 2 waitpoint_id, 3 signal_id, 4 signal_name,
--       5 signal_category, 6 source_type, 7 source_identity, 8 payload,
--       9 payload_encoding, 10 idempotency_key ('' = none), 11 correlation_id,
--       12 target_scope, 13 created_at (ms, '' = now), 14 dedup_ttl_ms
--       (0 = no dedup), 15 resume_delay_ms, 16 signal_maxlen,
--       17 max_signals_per_execution (0 = no limit).
-- buffer_only: the waitpoint must be pending.
-- Returns {1,'OK',signal_id,effect,lane_id,became_eligible ('0'|'1')}
--       | {1,'DUPLICATE',first_signal_id}
--       | {0, execution_not_found | waitpoint_not_found | target_not_signalable
--          | waitpoint_closed | waitpoint_not_pending | signal_limit_exceeded
--          | invalid_input, ...}.
function FF_WP.deliver(keys, args, buffer_only)
  local K, bad = ff_exec_keys(keys, args[1])
  if bad then return bad end
  local wpid, sid = ff_s(args[2]), ff_s(args[3])
  if wpid == '' then return ff_err('invalid_input', 'waitpoint_id:empty') end
  if sid == '' or string.find(sid, ',', 1, true) then
    return ff_err('invalid_input', 'signal_id:malformed')
  end
  local created_at, ttl, delay, maxlen, max_signals
  created_at, bad = ff_arg_int(args[13], 'created_at', true, 0)
  if bad then return bad end
  ttl, bad = ff_arg_int(args[14], 'dedup_ttl_ms', false, 0)
  if bad then return bad end
  delay, bad = ff_arg_int(args[15], 'resume_delay_ms', false, 0, FF_WP.MAX_RESUME_DELAY_MS)
  if bad then return bad end
  maxlen, bad = ff_arg_int(args[16], 'signal_maxlen', false, 1, FF_WP.MAX_SIGNAL_MAXLEN)
  if bad then return bad end
  max_signals, bad = ff_arg_int(args[17], 'max_signals_per_execution', false, 0)
  if bad then return bad end

  -- exec_core has ~60 fields: HGETALL of it (and building the table) costs
  -- several times the HMGET of the four read here; the resume write below
  -- does not compare old values. Likewise only the waitpoint and suspension
  -- fields used are read (HMGET gives false for a missing field, compared
  -- and formatted the same as nil below).
  local c = redis.call('HMGET', K.core, 'lifecycle_phase', 'lane_id', 'created_at', 'priority')
  if not c[1] and redis.call('EXISTS', K.core) == 0 then
    return ff_err('execution_not_found')
  end
  local core = {lifecycle_phase = c[1] or nil, lane_id = c[2] or nil,
                created_at = c[3] or nil, priority = c[4] or nil}
  local wk = ff_key.waitpoint_hash(K.tag, wpid)
  local w = redis.call('HMGET', wk, 'execution_id', 'state', 'suspension_id', 'waitpoint_key')
  if w[1] ~= K.eid then return ff_err('waitpoint_not_found') end
  local wp = {state = w[2], suspension_id = w[3], waitpoint_key = w[4]}
  -- A repeated signal id, or the idempotency key within its ttl, answers
  -- the first signal and is counted once; this comes before the state
  -- checks, so a client retrying after a timeout learns its signal was
  -- taken even though it closed the waitpoint (decisions.md §2b).
  local sk = ff_key.signal_hash(K.tag, sid)
  if redis.call('EXISTS', sk) == 1 then return ff_status('DUPLICATE', sid) end
  local idem = ff_s(args[10])
  local dedup = nil
  if idem ~= '' and ttl > 0 then
    dedup = ff_key.signal_dedup(K.tag, wpid, idem)
    local first = redis.call('GET', dedup)
    if first then return ff_status('DUPLICATE', first) end
  end
  if core.lifecycle_phase == 'terminal' then return ff_err('target_not_signalable') end
  if wp.state == 'closed' then return ff_err('waitpoint_closed') end
  local pending = wp.state == 'pending'
  if buffer_only and not pending then return ff_err('waitpoint_not_pending') end
  local S = FF_WP.keys(K)
  local susp = nil
  if not pending then
    if wp.state ~= 'active' or core.lifecycle_phase ~= 'suspended' then
      return ff_err('target_not_signalable')
    end
    local h = redis.call('HMGET', S.susp, 'suspension_id', 'closed_at', 'resume_condition_json',
                         'signal_ids', 'waitpoint_ids')
    if (not h[1] and redis.call('EXISTS', S.susp) == 0) or ff_is_set(h[2]) or
       h[1] ~= wp.suspension_id then
      return ff_err('waitpoint_closed')
    end
    susp = {suspension_id = h[1], resume_condition_json = h[3], signal_ids = h[4],
            waitpoint_ids = h[5]}
  end

  local total = redis.call('ZCARD', S.signals)
  if max_signals > 0 and total >= max_signals then
    return ff_err('signal_limit_exceeded', ff_int_str(max_signals))
  end

  local now = ff_now_ms()
  local now_s = ff_int_str(now)
  local sig = {key = ff_s(wp.waitpoint_key), wpid = wpid, id = sid, name = ff_s(args[4]),
               source_type = ff_s(args[6]), source_identity = ff_s(args[7])}
  local effect, satisfied, st = 'buffered_for_pending_waitpoint', false, {new = {}}
  if not pending then
    local cond = ff_decode_json_object(ff_s(susp.resume_condition_json)) or {}
    -- Tokens and satisfiers are only ever added together with a signal id
    -- in signal_ids, so with none listed both sets are empty.
    local tokens = ff_is_set(susp.signal_ids) and FF_WP.load_tokens(S) or {}
    FF_WP.cond_apply(cond, 'r', sig, tokens, st)
    satisfied = #st.new > 0 and FF_WP.cond_satisfied(cond, 'r', tokens)
    effect = FF_WP.effect_of(st, satisfied)
  end

  local eligible = false
  if satisfied then
    -- Transition 17, exec_core first.
    eligible = FF_WP.resume_core(K, core, now, delay, 'resume delayed after signal ' .. sid)
  end

  local payload = ff_s(args[8])
  -- One literal HSET in the pairs() order of the table this used to be
  -- (field order of the stored hash), without building the table.
  redis.call('HSET', sk, 'suspension_id', susp and ff_s(susp.suspension_id) or '',
             'accepted_at', now_s, 'target_execution_id', K.eid,
             'source_identity', sig.source_identity, 'signal_name', sig.name,
             'payload_encoding', ff_s(args[9]), 'signal_category', ff_s(args[5]),
             'target_waitpoint_id', wpid, 'idempotency_key', idem, 'observed_effect', effect,
             'matched_waitpoint_id', st.matched and wpid or '',
             'created_at', created_at and created_at > 0 and ff_int_str(created_at) or now_s,
             'correlation_id', ff_s(args[11]), 'source_type', sig.source_type,
             'signal_id', sid, 'target_scope', ff_s(args[12]))
  if payload ~= '' then
    redis.call('SET', ff_key.signal_payload(K.tag, sid), payload)
  end
  redis.call('XADD', ff_key.waitpoint_signals(K.tag, wpid), 'MAXLEN', '~', ff_int_str(maxlen), '*',
             'signal_id', sid, 'signal_name', sig.name, 'signal_category', ff_s(args[5]),
             'source_type', sig.source_type, 'source_identity', sig.source_identity,
             'matched', st.matched and '1' or '0', 'accepted_at', now_s)
  redis.call('ZADD', S.signals, now_s, sid)
  if dedup then
    redis.call('SET', dedup, sid, 'PX', ff_int_str(ttl))
  end
  redis.call('HINCRBY', wk, 'signal_count', 1)
  if st.matched then
    redis.call('HINCRBY', wk, 'matched_signal_count', 1)
  end
  redis.call('HSET', wk, 'last_signal_at', now_s)

  if susp then
    local ids = ff_s(susp.signal_ids)
    ids = ids == '' and sid or (ids .. ',' .. sid)
    if satisfied then
      -- The suspension closes now and its token sets are deleted: the
      -- satisfiers are computed here instead of added and read back.
      local all = {}
      if ff_is_set(susp.signal_ids) then
        all = redis.call('SMEMBERS', S.satisfied_signals)
      end
      if not FF_WP.list_has(all, sid) then all[#all + 1] = sid end
      table.sort(all)
      redis.call('HSET', S.susp, 'signal_ids', ids, 'last_signal_at', now_s)
      redis.call('HINCRBY', S.susp, 'signal_count', 1)
      local done = FF_WP.close_suspension(K, S, susp, core.lane_id, now, 'resumed', sid,
                                          {signalled = wpid, satisfiers = all})
      if not done then
        redis.call('HSET', ff_key.waitpoint_condition(K.tag, wpid), 'updated_at', now_s)
      end
    else
      if #st.new > 0 then
        redis.call('SADD', S.satisfied, unpack(st.new))
        redis.call('SADD', S.satisfied_signals, sid)
      end
      redis.call('HSET', S.susp, 'signal_ids', ids, 'last_signal_at', now_s)
      redis.call('HINCRBY', S.susp, 'signal_count', 1)
      redis.call('HSET', ff_key.waitpoint_condition(K.tag, wpid), 'updated_at', now_s)
    end
  end
  redis.call('XADD', S.delivery, 'MAXLEN', '~', ff_int_str(FF_WP.DELIVERY_STREAM_MAXLEN), '*',
             'signal_id', sid, 'execution_id', K.eid, 'waitpoint_id', wpid,
             'source_identity', sig.source_identity, 'effect', effect,
             'delivered_at_ms', now_s)
  return ff_ok(sid, effect, ff_s(core.lane_id), eligible and '1' or '0')
end

-- KEYS / ARGV / replies: see FF_WP.deliver. A pending waitpoint buffers the
-- signal (effect buffered_for_pending_waitpoint) until a suspend activates
-- it; an active one evaluates the resume condition and may resume the
-- execution (transition 17; resume_delay_ms > 0 makes it delayed).
redis.register_function('ff_deliver_signal', function(keys, args)
  return FF_WP.deliver(keys, args, false)
end)

-- As ff_deliver_signal, but only for a pending waitpoint
-- (waitpoint_not_pending otherwise).
redis.register_function('ff_buffer_signal_for_pending_waitpoint', function(keys, args)
  return FF_WP.deliver(keys, args, true)
end)
