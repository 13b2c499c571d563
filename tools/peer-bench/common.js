'use strict';
// The harness shared by the peer runners (bullmq.js, graphile.js). A runner
// is a one-shot CLI: it measures one mode once and prints one JSON object on
// stdout. The worker side runs in this process; the producer runs in a
// forked child process (the same script with --role producer), so the CPU
// time of each side is known separately.
//
// Modes:
//   queued      add all N jobs first (untimed), then start the workers; timed
//               from starting the workers to the last completion.
//   concurrent  the workers are started and idle; timed from the producer's
//               first add call to the last completion, the producer adding
//               with --in-flight calls outstanding while the workers run.
//   pickup      the workers idle-wait; the producer adds one job at a time;
//               a sample is the time from just before the add call to the
//               handler starting. The next add follows --park-ms after the
//               previous job completed.
//
// A peer module provides:
//   name, version, storeLabel
//   async openProducer(args)        -> { add(data), addMany(n, data), close() }
//   async setup(args)               fresh queue (before the producer starts)
//   async startWorkers(args, hooks) -> { ready(), close() }
//                                      hooks.onStart() in the handler,
//                                      hooks.onCompleted() once a job is completed
//   async settle(args)              optional: returns once the store shows all
//                                      completions (called after the last one)
//   async cleanup(args)             drop the queue
//   async storeVersion(args)        optional
// The queue name is shared through args.queue, chosen by the parent.

const { fork } = require('node:child_process');
const crypto = require('node:crypto');
const readline = require('node:readline');

const MODES = ['queued', 'concurrent', 'pickup'];

function usage(peer, extra) {
  return `usage: node ${peer}.js ${extra} --mode queued|concurrent|pickup
  [--tasks N (5000)] [--payload-bytes B (4096)] [--concurrency C (4)]
  [--in-flight P (32): producer adds outstanding in concurrent mode]
  [--samples S (1000): pickup samples] [--park-ms MS (3): pickup pause]
  [--seed-chunk K (500): jobs per bulk add when seeding in queued mode]
  [--time-limit-s T (300)] [--sync: print marks on stderr, wait for a line on stdin]`;
}

function parseArgs(argv, peer, storeFlag) {
  const a = {
    mode: '',
    tasks: 5000,
    payloadBytes: 4096,
    concurrency: 4,
    inFlight: 32,
    samples: 1000,
    parkMs: 3,
    seedChunk: 500,
    timeLimitS: 300,
    sync: false,
    role: 'main',
    queue: '',
  };
  a[storeFlag.key] = '';
  const ints = {
    '--tasks': 'tasks',
    '--payload-bytes': 'payloadBytes',
    '--concurrency': 'concurrency',
    '--in-flight': 'inFlight',
    '--samples': 'samples',
    '--park-ms': 'parkMs',
    '--seed-chunk': 'seedChunk',
    '--time-limit-s': 'timeLimitS',
  };
  const strs = { '--mode': 'mode', '--role': 'role', '--queue': 'queue' };
  strs[storeFlag.flag] = storeFlag.key;
  for (let i = 0; i < argv.length; ++i) {
    const f = argv[i];
    if (f === '--sync') { a.sync = true; continue; }
    if (f === '--help' || f === '-h') { process.stdout.write(usage(peer, storeFlag.usage) + '\n'); process.exit(0); }
    const v = argv[i + 1];
    if (ints[f] !== undefined) {
      const n = Number(v);
      if (!Number.isInteger(n) || n < 0) fail(`${f} wants a non-negative integer, got '${v}'`, 2);
      a[ints[f]] = n;
      ++i;
    } else if (strs[f] !== undefined) {
      if (v === undefined) fail(`${f} wants a value`, 2);
      a[strs[f]] = v;
      ++i;
    } else {
      fail(`unknown argument '${f}'\n${usage(peer, storeFlag.usage)}`, 2);
    }
  }
  if (!a[storeFlag.key]) fail(`${storeFlag.flag} is required\n${usage(peer, storeFlag.usage)}`, 2);
  if (a.role === 'main' && !MODES.includes(a.mode))
    fail(`--mode must be one of ${MODES.join(', ')}\n${usage(peer, storeFlag.usage)}`, 2);
  if (a.tasks < 1 || a.concurrency < 1 || a.inFlight < 1 || a.samples < 1 || a.seedChunk < 1)
    fail('--tasks, --concurrency, --in-flight, --samples and --seed-chunk must be at least 1', 2);
  return a;
}

function fail(message, code = 1) {
  process.stderr.write(`peer-bench: ${message}\n`);
  process.exit(code);
}

// The same bytes in every run: base64 characters from a fixed-seed stream.
function payloadString(bytes) {
  const out = Buffer.alloc(bytes);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let x = 0x5eed >>> 0;
  for (let i = 0; i < bytes; ++i) {
    // xorshift32
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    out[i] = alphabet.charCodeAt(x & 63);
  }
  return out.toString('latin1');
}

// Nearest rank on sorted samples, index round((n - 1) * q), as ff-bench.
function percentile(sorted, q) {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.round((sorted.length - 1) * q))];
}

const nowNs = () => process.hrtime.bigint();  // CLOCK_MONOTONIC, same clock in every process
const usBetween = (a, b) => Number(b - a) / 1000;
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freshQueueName(peer) {
  return `ffpeer_${peer}_${process.pid}_${crypto.randomBytes(4).toString('hex')}`;
}

// --sync: tell the caller where the timed window starts and ends, and wait
// for its answer, so it can read the store's CPU time at those moments.
let stdinLines = null;
async function mark(args, name) {
  if (!args.sync) return;
  if (!stdinLines) {
    stdinLines = [];
    stdinLines.waiters = [];
    const rl = readline.createInterface({ input: process.stdin });
    rl.on('line', (l) => {
      const w = stdinLines.waiters.shift();
      if (w) w(l);
      else stdinLines.push(l);
    });
    rl.on('close', () => { for (const w of stdinLines.waiters.splice(0)) w(null); });
  }
  process.stderr.write(`@@ff-peer-bench mark ${name}\n`);
  if (stdinLines.length > 0) return stdinLines.shift();
  return new Promise((r) => stdinLines.waiters.push(r));
}

// ---- producer process ----------------------------------------------------

async function producerMain(peer, args) {
  const data = payloadString(args.payloadBytes);
  const p = await peer.openProducer(args);
  process.on('message', async (m) => {
    try {
      if (m.cmd === 'cpu') {
        process.send({ cpuMs: cpuMs() });
      } else if (m.cmd === 'seed') {
        const t0 = nowNs();
        for (let done = 0; done < m.n;) {
          const k = Math.min(args.seedChunk, m.n - done);
          await p.addMany(k, data);
          done += k;
        }
        process.send({ seeded: m.n, ms: usBetween(t0, nowNs()) / 1000 });
      } else if (m.cmd === 'flood') {
        // m.n adds with m.inFlight calls outstanding.
        let next = 0;
        let first = null;
        const addUs = [];
        const lane = async () => {
          while (next < m.n) {
            ++next;
            const t = nowNs();
            if (first === null) first = t;
            await p.add(data);
            addUs.push(usBetween(t, nowNs()));
          }
        };
        await Promise.all(Array.from({ length: Math.min(m.inFlight, m.n) }, lane));
        process.send({ flooded: m.n, firstAddNs: first, lastAddNs: nowNs(), addUs });
      } else if (m.cmd === 'add') {
        const t0 = nowNs();
        await p.add(data);
        process.send({ added: true, t0, addUs: usBetween(t0, nowNs()) });
      } else if (m.cmd === 'exit') {
        await p.close();
        process.send({ closed: true }, () => process.exit(0));
      }
    } catch (e) {
      process.send({ error: String(e && e.stack ? e.stack : e) });
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.send({ ready: true });
}

// A request/answer channel to the producer.
function producerChannel(child) {
  const waiting = [];
  let failure = null;
  child.on('message', (m) => {
    if (m.error) failure = new Error('producer: ' + m.error);
    const w = waiting.shift();
    if (!w) return;
    if (m.error) w.reject(failure);
    else w.resolve(m);
  });
  child.on('exit', (code) => {
    const e = new Error(`producer exited with code ${code}`);
    for (const w of waiting.splice(0)) w.reject(failure || e);
  });
  return {
    next: () => new Promise((resolve, reject) => waiting.push({ resolve, reject })),
    ask(msg) {
      const p = this.next();
      child.send(msg);
      return p;
    },
  };
}

// ---- main process ----------------------------------------------------------

async function runMain(peer, args) {
  const deadline = Date.now() + args.timeLimitS * 1000;
  const timer = setTimeout(() => fail(`time limit of ${args.timeLimitS} s reached`), args.timeLimitS * 1000);
  timer.unref();
  args.queue = args.queue || freshQueueName(peer.name);
  const out = {
    peer: peer.name,
    version: peer.version,
    store: peer.storeLabel,
    store_version: null,
    mode: args.mode,
    queue: args.queue,
    tasks: 0,
    completed: 0,
    payload_bytes: args.payloadBytes,
    concurrency: args.concurrency,
    in_flight: args.inFlight,
    node_version: process.version,
  };
  if (peer.storeVersion) out.store_version = await peer.storeVersion(args).catch(() => null);
  await peer.setup(args);

  const forwarded = [];
  for (const [flag, key] of Object.entries(peer.storeArg)) forwarded.push(flag, String(args[key]));
  const child = fork(process.argv[1], [
    ...forwarded, '--role', 'producer', '--queue', args.queue,
    '--payload-bytes', String(args.payloadBytes), '--seed-chunk', String(args.seedChunk),
    '--in-flight', String(args.inFlight),
  ], { stdio: ['ignore', 2, 2, 'ipc'], serialization: 'advanced' });
  const producer = producerChannel(child);
  await producer.next();  // ready

  let workers = null;
  try {
    const state = { completed: 0, target: 0, lastCompleted: null, onStart: null, waiters: [] };
    const hooks = {
      onStart: () => { if (state.onStart) state.onStart(nowNs()); },
      onCompleted: () => {
        ++state.completed;
        if (state.completed < state.target) return;
        if (state.completed === state.target) state.lastCompleted = nowNs();
        for (const w of state.waiters.splice(0)) w();
      },
    };
    // Woken when the target is reached, and every 50 ms to check the time
    // limit.
    const until = async (pred) => {
      while (!pred()) {
        if (Date.now() > deadline) throw new Error('time limit reached');
        await new Promise((r) => {
          const t = setTimeout(r, 50);
          state.waiters.push(() => {
            clearTimeout(t);
            r();
          });
        });
      }
    };
    const cpuBoth = async () => ({ worker: cpuMs(), producer: (await producer.ask({ cmd: 'cpu' })).cpuMs });

    if (args.mode === 'queued') {
      const n = args.tasks;
      const seeded = await producer.ask({ cmd: 'seed', n });
      out.submit_ms = seeded.ms;
      state.target = n;
      await mark(args, 'start');
      const cpu0 = await cpuBoth();
      // Timed from here: the workers' connects are inside the window.
      const t0 = nowNs();
      workers = await peer.startWorkers(args, hooks);
      await until(() => state.completed >= n);
      if (peer.settle) await peer.settle(args, n);
      const tEnd = peer.settle ? nowNs() : state.lastCompleted;
      const cpu1 = await cpuBoth();
      await mark(args, 'end');
      out.tasks = n;
      out.completed = state.completed;
      out.wall_ms = usBetween(t0, tEnd) / 1000;
      out.cpu_ms_worker = cpu1.worker - cpu0.worker;
      out.cpu_ms_producer = cpu1.producer - cpu0.producer;
    } else if (args.mode === 'concurrent') {
      const n = args.tasks;
      state.target = n;
      workers = await peer.startWorkers(args, hooks);
      await workers.ready();
      await sleep(200);  // let the workers reach their idle wait
      await mark(args, 'start');
      const cpu0 = await cpuBoth();
      const flood = await producer.ask({ cmd: 'flood', n, inFlight: args.inFlight });
      await until(() => state.completed >= n);
      if (peer.settle) await peer.settle(args, n);
      const tEnd = peer.settle ? nowNs() : state.lastCompleted;
      const cpu1 = await cpuBoth();
      await mark(args, 'end');
      out.tasks = n;
      out.completed = state.completed;
      out.wall_ms = usBetween(flood.firstAddNs, tEnd) / 1000;
      out.produce_ms = usBetween(flood.firstAddNs, flood.lastAddNs) / 1000;
      const adds = flood.addUs.sort((x, y) => x - y);
      out.add_p50_us = percentile(adds, 0.5);
      out.add_p99_us = percentile(adds, 0.99);
      out.cpu_ms_worker = cpu1.worker - cpu0.worker;
      out.cpu_ms_producer = cpu1.producer - cpu0.producer;
    } else {
      const s = args.samples;
      workers = await peer.startWorkers(args, hooks);
      await workers.ready();
      await sleep(200);
      const latencies = [];
      const adds = [];
      let discarded = 0;
      await mark(args, 'start');
      const cpu0 = await cpuBoth();
      const t0 = nowNs();
      for (let i = 0; i < s; ++i) {
        let started = null;
        state.onStart = (t) => { if (started === null) started = t; };
        state.target = state.completed + 1;
        const r = await producer.ask({ cmd: 'add' });
        await until(() => state.completed >= state.target);
        state.onStart = null;
        if (started === null || started < r.t0) ++discarded;
        else latencies.push(usBetween(r.t0, started));
        adds.push(r.addUs);
        if (args.parkMs > 0) await sleep(args.parkMs);
      }
      const tEnd = nowNs();
      const cpu1 = await cpuBoth();
      await mark(args, 'end');
      out.tasks = s;
      out.completed = state.completed;
      out.samples = latencies.length;
      out.discarded_samples = discarded;
      out.wall_ms = usBetween(t0, tEnd) / 1000;
      out.latency_us = latencies.map((v) => Math.round(v * 10) / 10);
      const sorted = [...latencies].sort((x, y) => x - y);
      out.p50_us = percentile(sorted, 0.5);
      out.p99_us = percentile(sorted, 0.99);
      out.max_us = sorted.length ? sorted[sorted.length - 1] : 0;
      const addSorted = adds.sort((x, y) => x - y);
      out.add_p50_us = percentile(addSorted, 0.5);
      out.add_p99_us = percentile(addSorted, 0.99);
      out.cpu_ms_worker = cpu1.worker - cpu0.worker;
      out.cpu_ms_producer = cpu1.producer - cpu0.producer;
    }
    out.tasks_per_s = out.wall_ms > 0 ? out.completed / (out.wall_ms / 1000) : 0;
    if (args.mode === 'pickup') out.tasks_per_s = out.p50_us > 0 ? 1e6 / out.p50_us : 0;
    out.cpu_ms_worker_per_task = out.cpu_ms_worker / Math.max(1, out.tasks);
    out.cpu_ms_producer_per_task = out.cpu_ms_producer / Math.max(1, out.tasks);
  } finally {
    if (workers) await workers.close().catch((e) => process.stderr.write(`peer-bench: closing workers: ${e}\n`));
    await producer.ask({ cmd: 'exit' }).catch(() => {});
    await peer.cleanup(args).catch((e) => process.stderr.write(`peer-bench: cleanup: ${e}\n`));
  }
  // Whole-process CPU (start-up, seeding and clean-up included), for scale.
  out.cpu_ms_process_total = cpuMs();
  process.stdout.write(JSON.stringify(out) + '\n');
}

async function main(peer, storeFlag) {
  const args = parseArgs(process.argv.slice(2), peer.name, storeFlag);
  try {
    if (args.role === 'producer') await producerMain(peer, args);
    else {
      await runMain(peer, args);
      process.exit(0);
    }
  } catch (e) {
    fail(String(e && e.stack ? e.stack : e));
  }
}

module.exports = { main, payloadString, percentile, nowNs, sleep };
