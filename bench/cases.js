'use strict';
// One benchmark case for one library, in this process only (two SQLite copies
// must never open the same file in one process). Prints one JSON line.
//   node cases.js <library> <case> <database>
const path = require('node:path');
const { worstTimerGap, calibrate } = require('./timing');

const [library, name, file] = process.argv.slice(2);

function opsPerSecond(totalMs, ops) {
  return (ops * 1000) / totalMs;
}

async function timeLoop(fn, minMs = 400) {
  // Warm up, then run whole batches until minMs has passed.
  for (let i = 0; i < 200; i++) await fn(i);
  let ops = 0;
  const started = performance.now();
  while (performance.now() - started < minMs) {
    for (let i = 0; i < 500; i++) await fn(ops + i);
    ops += 500;
  }
  return opsPerSecond(performance.now() - started, ops);
}

function adapters() {
  if (library === 'noormme') {
    const { NOORMME } = require(path.resolve(__dirname, '..'));
    const db = new NOORMME({ database: file });
    const User = db.model('users');
    return {
      all: (sql, params) => db.query(sql, params),
      run: (sql, params) => db.execute(sql, params),
      tx: (fn) => db.transaction((tx) => fn((sql, params) => tx.execute(sql, params))),
      // The ORM, with the chain built fresh on every call.
      orm: {
        get: (id) => User.objects.get({ id }),
        first: (id) => User.objects.filter({ id }).first(),
        list: (age) => User.objects.filter({ age__gte: age, bio__isnull: false }).orderBy('-score').slice(0, 50),
        count: (age) => User.objects.filter({ age }).count(),
        update: (id, score) => User.objects.filter({ id }).update({ score }),
        prefetch: (from) => User.objects.filter({ id__gte: from }).orderBy('id').slice(0, 20).prefetch('posts'),
      },
    };
  }
  if (library === 'better-sqlite3') {
    const Database = require('better-sqlite3');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    const cache = new Map();
    const prepared = (sql) => {
      let s = cache.get(sql);
      if (!s) cache.set(sql, (s = db.prepare(sql)));
      return s;
    };
    const list = prepared('SELECT * FROM users WHERE age >= ? AND bio IS NOT NULL ORDER BY score DESC LIMIT 50');
    const count = prepared('SELECT count(*) AS count FROM users WHERE age = ?');
    const update = prepared('UPDATE users SET score = ? WHERE id = ?');
    const get = prepared('SELECT * FROM users WHERE id = ?');
    const firstById = prepared('SELECT * FROM users WHERE id = ? ORDER BY id LIMIT 1');
    const firstUsers = prepared('SELECT * FROM users WHERE id >= ? ORDER BY id LIMIT 20');
    return {
      orm: {
        get: async (id) => get.get(id),
        first: async (id) => firstById.get(id) ?? null,
        list: async (age) => list.all(age),
        count: async (age) => count.get(age).count,
        update: async (id, score) => update.run(score, id).changes,
        // The same two queries written by hand, grouped in JS.
        prefetch: async (from) => {
          const users = firstUsers.all(from);
          const ids = users.map((u) => u.id);
          const posts = prepared(`SELECT * FROM posts WHERE user_id IN (${ids.map(() => "?").join(", ")})`).all(...ids);
          const byUser = new Map(users.map((u) => [u.id, (u.posts = [])]));
          for (const p of posts) byUser.get(p.user_id).push(p);
          return users;
        },
      },
      all: async (sql, params = []) => prepared(sql).all(...params),
      run: async (sql, params = []) => prepared(sql).run(...params),
      tx: async (fn) => {
        db.exec('BEGIN IMMEDIATE');
        try {
          await fn(async (sql, params = []) => prepared(sql).run(...params));
          db.exec('COMMIT');
        } catch (e) {
          db.exec('ROLLBACK');
          throw e;
        }
      },
    };
  }
  throw new Error(`unknown library ${library}`);
}

const SLOW_20MS = 'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) SELECT count(*) AS n FROM c';

const cases = {
  async 'point-select'(db) {
    const value = await timeLoop((i) => db.all('SELECT * FROM users WHERE id = ?', [1 + (i % 10000)]));
    return { value, unit: 'ops/s' };
  },
  async 'select-100'(db) {
    const value = await timeLoop((i) => db.all('SELECT * FROM users WHERE id > ? LIMIT 100', [i % 9000]));
    return { value, unit: 'ops/s' };
  },
  async 'select-10k'(db) {
    const value = await timeLoop(() => db.all('SELECT * FROM users'), 1000);
    return { value, unit: 'ops/s' };
  },
  async 'insert-in-tx'(db) {
    let n = 0;
    const value = await timeLoop(
      () =>
        db.tx(async (run) => {
          for (let i = 0; i < 10; i++) await run('INSERT INTO events(kind, at) VALUES (?, ?)', [`k${n++}`, n]);
        }),
      400,
    );
    return { value: value * 10, unit: 'rows/s' };
  },
  async 'orm-get'(db) {
    return { value: await timeLoop((i) => db.orm.get(1 + (i % 10000))), unit: 'ops/s' };
  },
  async 'orm-first'(db) {
    return { value: await timeLoop((i) => db.orm.first(1 + (i % 10000))), unit: 'ops/s' };
  },
  async 'orm-list-50'(db) {
    return { value: await timeLoop((i) => db.orm.list(18 + (i % 40))), unit: 'ops/s' };
  },
  async 'orm-count'(db) {
    return { value: await timeLoop((i) => db.orm.count(18 + (i % 60))), unit: 'ops/s' };
  },
  async 'orm-update'(db) {
    return { value: await timeLoop((i) => db.orm.update(1 + (i % 10000), i / 3)), unit: 'ops/s' };
  },
  async 'orm-prefetch-20'(db) {
    return { value: await timeLoop((i) => db.orm.prefetch(1 + (i % 9000))), unit: 'ops/s' };
  },
  // A query of about 250 ms while a 5 ms timer ticks: the worst gap it sees.
  async 'event-loop-gap'(db) {
    const iterations = await calibrate((n) => db.all(SLOW_20MS, [n]), 250);
    return { value: await worstTimerGap(() => db.all(SLOW_20MS, [iterations])), unit: 'ms worst gap' };
  },
  // 8 reads of about 20 ms each, all in flight at once: total wall time.
  async 'parallel-slow-reads'(db) {
    const iterations = await calibrate((n) => db.all(SLOW_20MS, [n]), 20);
    await db.all(SLOW_20MS, [iterations]);
    const started = performance.now();
    await Promise.all(Array.from({ length: 8 }, () => db.all(SLOW_20MS, [iterations])));
    return { value: performance.now() - started, unit: 'ms for 8 × 20 ms' };
  },
};

(async () => {
  const db = adapters();
  const result = await cases[name](db);
  console.log(JSON.stringify({ library, case: name, ...result }));
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
