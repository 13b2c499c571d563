#!/usr/bin/env node
'use strict';
// graphile-worker runner: one worker pool (one process, run()) with
// --concurrency, and WorkerUtils.addJob as the producer (in its own
// process), on the PostgreSQL at --pg (a connection string). Every run
// migrates a fresh schema (named like the queue) and drops it afterwards,
// so runs share no tables. Success logging is off (a log line per job
// would be most of the work). See README.md.

const { EventEmitter } = require('node:events');
const { Client } = require('pg');
const { run, makeWorkerUtils, Logger } = require('graphile-worker');
const common = require('./common');

const TASK = 'bench';

// Warnings and errors only.
const logger = new Logger(() => (level, message) => {
  if (level === 'error' || level === 'warning') process.stderr.write(`graphile-worker ${level}: ${message}\n`);
});

async function withClient(args, fn) {
  const c = new Client({ connectionString: args.pg });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

const quoted = (name) => '"' + name.replace(/"/g, '""') + '"';

let settleClient = null;

const peer = {
  name: 'graphile',
  version: require('graphile-worker/package.json').version,
  storeLabel: 'postgres',
  storeArg: { '--pg': 'pg' },

  async storeVersion(args) {
    return withClient(args, async (c) => (await c.query('show server_version')).rows[0].server_version);
  },

  async setup(args) {
    // Untimed: the fresh schema's migrations.
    const utils = await makeWorkerUtils({ connectionString: args.pg, schema: args.queue, logger });
    try {
      await utils.migrate();
    } finally {
      await utils.release();
    }
    settleClient = new Client({ connectionString: args.pg });
    await settleClient.connect();
  },

  async openProducer(args) {
    // A pool as large as the adds in flight.
    const utils = await makeWorkerUtils({
      connectionString: args.pg,
      maxPoolSize: Math.max(1, args.inFlight),
      schema: args.queue,
      logger,
    });
    // Open every connection of the pool now, outside the timed window.
    let connected = 0;
    let allConnected;
    const barrier = new Promise((r) => (allConnected = r));
    const n = Math.max(1, args.inFlight);
    await Promise.all(Array.from({ length: n }, () => utils.withPgClient(async (c) => {
      await c.query('select 1');
      if (++connected === n) allConnected();
      await barrier;
    })));
    return {
      add: (data) => utils.addJob(TASK, { data }),
      addMany: (n, data) => utils.addJobs(Array.from({ length: n }, () => ({ identifier: TASK, payload: { data } }))),
      close: () => utils.release(),
    };
  },

  async startWorkers(args, hooks) {
    const events = new EventEmitter();
    let listening = false;
    const listeners = [];
    events.on('pool:listen:success', () => {
      listening = true;
      for (const l of listeners.splice(0)) l();
    });
    // job:complete comes right after the handler returned; the job's row is
    // deleted asynchronously after it. settle() waits for the deletes.
    events.on('job:complete', ({ error }) => {
      if (error) process.stderr.write(`graphile-worker: job failed: ${error}\n`);
      hooks.onCompleted();
    });
    const runner = await run({
      connectionString: args.pg,
      schema: args.queue,
      concurrency: args.concurrency,
      noHandleSignals: true,
      logger,
      events,
      taskList: {
        [TASK]: async () => {
          hooks.onStart();
        },
      },
    });
    return {
      ready: () => (listening ? Promise.resolve() : new Promise((r) => listeners.push(r))),
      close: () => runner.stop(),
    };
  },

  // After the last job:complete: poll until every job row is gone, i.e.
  // every completion is committed. The time this takes is in the window.
  async settle(args) {
    const sql = `select count(*)::int as n from ${quoted(args.queue)}._private_jobs`;
    for (;;) {
      const { rows } = await settleClient.query(sql);
      if (rows[0].n === 0) return;
      await common.sleep(1);
    }
  },

  async cleanup(args) {
    if (settleClient) {
      await settleClient.end().catch(() => {});
      settleClient = null;
    }
    await withClient(args, (c) => c.query(`drop schema if exists ${quoted(args.queue)} cascade`));
  },
};

common.main(peer, { flag: '--pg', key: 'pg', usage: '--pg postgres://USER@HOST:PORT/DB' });
