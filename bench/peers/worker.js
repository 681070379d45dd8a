'use strict';
// One peer in this process, on its own copy of the bench database.
//   node worker.js <peer> <database> check|time|cold <workload,...>
// Prints one JSON line: check results (normalized), timings, or cold start.
const { PEERS } = require('./adapters');
const { USERS, isoAt } = require('./seed');
const { worstTimerGap, calibrate } = require('../timing');

const [peer, file, mode, list = ''] = process.argv.slice(2);

/** Plain JSON for comparison: Dates as ISO text, booleans and bigints as numbers, keys sorted. */
function normalize(value) {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(normalize);
  if (value && typeof value === 'object') {
    const out = {};
    for (const key of Object.keys(value).sort()) out[key] = normalize(value[key]);
    if (Array.isArray(out.posts)) out.posts.sort((a, b) => a.id - b.id);
    return out;
  }
  return value === undefined ? null : value;
}

const newPost = (i) => ({ author_id: 1 + (i % USERS), title: `Bulk ${i}`, body: 'Inserted in bulk.', published: i % 2, created_at: isoAt(500000 + i) });
const posts10k = (from) => Array.from({ length: 10000 }, (_, i) => newPost(from + i));
let inserted = 0;
const newUser = () => {
  inserted++;
  return { email: `new${process.pid}-${inserted}@example.com`, name: `New ${inserted}`, is_active: 1, created_at: isoAt(900000 + inserted) };
};

// Each workload: `check` gives a result to compare with raw better-sqlite3's;
// `op(i)` is one timed operation.
const WORKLOADS = {
  'get-by-pk': { check: (p) => Promise.all([p.getUser(1), p.getUser(4321), p.getUser(USERS)]), op: (p, i) => p.getUser(1 + ((i * 7) % USERS)) },
  'filtered-list-50': { check: (p) => p.listActive(), op: (p) => p.listActive() },
  'users-with-posts-20': { check: (p) => Promise.all([p.usersWithPosts(1), p.usersWithPosts(USERS - 10)]), op: (p, i) => p.usersWithPosts(1 + ((i * 20) % (USERS - 20))) },
  'insert-one': {
    check: async (p) => {
      const id = await p.insertUser({ email: 'check@example.com', name: 'Check', is_active: 1, created_at: isoAt(1) });
      return [id, await p.sql(`SELECT * FROM users WHERE id = ${Number(id)}`)];
    },
    op: (p) => p.insertUser(newUser()),
  },
  'bulk-insert-10k': {
    check: async (p) => {
      await p.bulkPosts(posts10k(0));
      return p.sql('SELECT count(*) AS n, sum(author_id) AS a, sum(published) AS p, min(title) AS t, max(created_at) AS c FROM posts WHERE id > 100000');
    },
    op: (p, i) => p.bulkPosts(posts10k(i * 10000)),
    slow: true,
  },
  'count-range': { check: (p) => Promise.all([p.countPosts(1, 100), p.countPosts(5000, 5099)]), op: (p, i) => p.countPosts(1 + ((i * 100) % 9900), 100 + ((i * 100) % 9900)) },
  'update-author': {
    check: async (p) => [await p.publishAuthor(31, 0), await p.publishAuthor(32, 1), await p.sql('SELECT sum(published) AS p FROM posts WHERE author_id IN (31, 32)')],
    op: (p, i) => p.publishAuthor(1 + (i % USERS), i % 2),
  },
};

async function timeLoop(fn, { warmup = 100, minMs = 500, minOps = 5 } = {}) {
  for (let i = 0; i < warmup; i++) await fn(i);
  let ops = 0;
  const started = performance.now();
  let batch = 1;
  while (performance.now() - started < minMs || ops < minOps) {
    for (let i = 0; i < batch; i++) await fn(warmup + ops + i);
    ops += batch;
    if (batch < 256) batch *= 2;
  }
  return (ops * 1000) / (performance.now() - started);
}

/** timeLoop for a synchronous peer: each call returns its result, nothing is awaited. */
function timeLoopSync(fn, { warmup = 100, minMs = 500, minOps = 5 } = {}) {
  for (let i = 0; i < warmup; i++) fn(i);
  let ops = 0;
  const started = performance.now();
  let batch = 1;
  while (performance.now() - started < minMs || ops < minOps) {
    for (let i = 0; i < batch; i++) fn(warmup + ops + i);
    ops += batch;
    if (batch < 256) batch *= 2;
  }
  return (ops * 1000) / (performance.now() - started);
}

const SPECIAL = {
  // Workload 8: the worst gap a 5 ms timer sees while a ~250 ms query runs.
  async 'event-loop-lag'(p) {
    const n = await calibrate((k) => p.slow(k), 250);
    return { value: await worstTimerGap(() => p.slow(n)), unit: 'ms worst gap' };
  },
  // Workload 9: 8 reads of ~20 ms in flight at once: total wall time.
  async 'parallel-slow-reads'(p) {
    const n = await calibrate((k) => p.slow(k), 20);
    await p.slow(n);
    const started = performance.now();
    await Promise.all(Array.from({ length: 8 }, () => p.slow(n)));
    return { value: performance.now() - started, unit: 'ms for 8 × 20 ms' };
  },
};

(async () => {
  if (mode === 'cold') {
    // Workload 10: from process start to the first query's result.
    const p = await PEERS[peer](file);
    await p.getUser(1);
    const value = performance.now();
    console.log(JSON.stringify({ value, unit: 'ms to first result', rssMb: process.resourceUsage().maxRSS / 1024 }));
    await p.close();
    return;
  }
  const p = await PEERS[peer](file);
  const out = {};
  for (const name of list.split(',').filter(Boolean)) {
    try {
      if (mode === 'check') {
        if (WORKLOADS[name]) out[name] = { result: normalize(await WORKLOADS[name].check(p)) };
        else out[name] = { result: null };
      } else if (SPECIAL[name]) {
        out[name] = await SPECIAL[name](p);
      } else {
        const w = WORKLOADS[name];
        const options = w.slow ? { warmup: 1, minMs: 1500, minOps: 3 } : undefined;
        const value = p.sync ? timeLoopSync((i) => w.op(p, i), options) : await timeLoop((i) => w.op(p, i), options);
        out[name] = { value, unit: 'ops/s' };
      }
    } catch (err) {
      out[name] = { error: String(err && err.message ? err.message.split('\n').slice(0, 3).join(' ') : err) };
    }
  }
  await p.close();
  console.log(JSON.stringify(out));
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
