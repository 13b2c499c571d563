#!/usr/bin/env node
'use strict';
// BullMQ runner: one Worker (one process) with --concurrency, one Queue as
// the producer (in its own process), on the Redis at --redis host:port.
// Jobs keep BullMQ's defaults (kept in the completed set; no retries); the
// queue is fresh per run and obliterated after it. See README.md.

const { Queue, Worker } = require('bullmq');
const IORedis = require('ioredis');
const common = require('./common');

function connection(args) {
  const at = args.redis.lastIndexOf(':');
  if (at <= 0) throw new Error(`--redis wants host:port, got '${args.redis}'`);
  return { host: args.redis.slice(0, at), port: Number(args.redis.slice(at + 1)) };
}

const JOB = 'bench';

const peer = {
  name: 'bullmq',
  version: require('bullmq/package.json').version,
  storeLabel: 'redis',
  storeArg: { '--redis': 'redis' },

  async storeVersion(args) {
    const client = new IORedis({ ...connection(args), lazyConnect: true });
    try {
      await client.connect();
      const m = /redis_version:([^\r\n]+)/.exec(await client.info('server'));
      return m ? m[1] : null;
    } finally {
      client.disconnect();
    }
  },

  async setup() {},

  async openProducer(args) {
    const queue = new Queue(args.queue, { connection: connection(args) });
    await queue.waitUntilReady();
    return {
      add: (data) => queue.add(JOB, { data }),
      addMany: (n, data) => queue.addBulk(Array.from({ length: n }, () => ({ name: JOB, data: { data } }))),
      close: () => queue.close(),
    };
  },

  async startWorkers(args, hooks) {
    const worker = new Worker(
      args.queue,
      async () => {
        hooks.onStart();
      },
      { connection: connection(args), concurrency: args.concurrency },
    );
    // Emitted once moveToCompleted has returned, i.e. the job is completed
    // in Redis.
    worker.on('completed', () => hooks.onCompleted());
    worker.on('failed', (job, err) => process.stderr.write(`bullmq: job ${job && job.id} failed: ${err}\n`));
    worker.on('error', (err) => process.stderr.write(`bullmq: worker error: ${err}\n`));
    return {
      ready: () => worker.waitUntilReady(),
      close: () => worker.close(),
    };
  },

  async cleanup(args) {
    const queue = new Queue(args.queue, { connection: connection(args) });
    try {
      await queue.obliterate({ force: true });
    } finally {
      await queue.close();
    }
  },
};

common.main(peer, { flag: '--redis', key: 'redis', usage: '--redis HOST:PORT' });
