'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { NOORMME } = require('..');
const { tempDb, copyShared, watchEventLoop } = require('./helpers');

test('a file opens in WAL with one writer and several readers', () => {
  const db = new NOORMME({ database: tempDb() });
  const info = db.info();
  assert.equal(info.journalMode, 'wal');
  assert.equal(info.wal, true);
  assert.ok(info.readers >= 2 && info.readers <= 4, `readers ${info.readers}`);
  assert.equal(info.fallbackReason, undefined);
  db.close();
});

test(':memory: falls back to one connection and says so', async () => {
  const db = new NOORMME({ database: ':memory:' });
  const info = db.info();
  assert.equal(info.wal, false);
  assert.equal(info.readers, 0);
  assert.match(info.fallbackReason, /in-memory/);
  await db.exec('CREATE TABLE t(x)');
  await db.execute('INSERT INTO t VALUES (1)');
  assert.deepEqual(await db.query('SELECT x FROM t'), [{ x: 1 }]);
  // Two :memory: handles are two databases, never shared.
  const other = new NOORMME({ database: ':memory:' });
  await assert.rejects(other.query('SELECT x FROM t'), /no such table/);
  other.close();
  db.close();
});

test('defaults are applied and each is overridable', async () => {
  const db = new NOORMME({ database: tempDb() });
  const pragma = async (name) => Object.values((await db.query(`PRAGMA ${name}`))[0])[0];
  assert.equal(await pragma('foreign_keys'), 1);
  assert.equal(await pragma('synchronous'), 1); // NORMAL
  assert.equal(await pragma('temp_store'), 2); // MEMORY
  assert.equal(await pragma('journal_size_limit'), 67108864);
  assert.equal(await pragma('cache_size'), -16000);
  db.close();
  const custom = new NOORMME({ database: tempDb(), pragmas: { foreign_keys: false, synchronous: 'FULL', cache_size: -1000 } });
  const p2 = async (name) => Object.values((await custom.query(`PRAGMA ${name}`))[0])[0];
  assert.equal(await p2('foreign_keys'), 0);
  assert.equal(await p2('synchronous'), 2);
  assert.equal(await p2('cache_size'), -1000);
  custom.close();
});

test('opening the same path again reuses the open pool', async () => {
  const file = tempDb();
  const a = new NOORMME({ database: file });
  const b = new NOORMME({ database: path.relative(process.cwd(), file) });
  assert.equal(a.shared.native, b.shared.native);
  a.close();
  // The pool stays open while a handle remains.
  await b.exec('CREATE TABLE t(x)');
  b.close();
  await assert.rejects(b.query('SELECT 1'), { code: 'POOL_CLOSED' });
  // After the last close a new handle opens a new pool on the same file.
  const c = new NOORMME({ database: file });
  assert.notEqual(c.shared.native, a.shared.native);
  assert.deepEqual(await c.query("SELECT name FROM sqlite_master WHERE type = 'table'"), [{ name: 't' }]);
  c.close();
});

test('more distinct statements than a connection keeps prepared still run, on every connection', async () => {
  const db = new NOORMME({ database: tempDb() });
  await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)');
  // 300 texts of their own: past the 256 a connection keeps, so the oldest are finalized and prepared again.
  for (let round = 0; round < 2; round++) {
    for (let i = 0; i < 300; i++) {
      await db.execute(`INSERT INTO t(v) VALUES (? || '${i}')`, [`r${round}-`]);
      assert.deepEqual(await db.query(`SELECT count(*) AS n, ${i} AS i FROM t WHERE v = ?`, [`r${round}-${i}`]), [{ n: 1, i }]);
    }
  }
  assert.deepEqual(await db.query('SELECT count(*) AS n FROM t'), [{ n: 600 }]);
  db.close();
});

test('a reloaded module (Next.js dev) finds the pool through globalThis', () => {
  const file = tempDb();
  const first = new NOORMME({ database: file });
  for (const key of Object.keys(require.cache)) if (key.includes(`${path.sep}lib${path.sep}`) || key.endsWith('index.js')) delete require.cache[key];
  const reloaded = require('..');
  assert.notEqual(reloaded.NOORMME, NOORMME);
  const second = new reloaded.NOORMME({ database: file });
  assert.equal(second.shared.native, first.shared.native);
  second.close();
  first.close();
});

test('a slow read leaves the event loop free and runs on a reader', async () => {
  const db = new NOORMME({ database: tempDb() });
  const slow = 'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2500000) SELECT count(*) AS n FROM c';
  const loop = watchEventLoop();
  const started = performance.now();
  const [{ n }] = await db.query(slow);
  const took = performance.now() - started;
  const worst = loop.stop();
  assert.equal(n, 2500000);
  // Generous bounds: this checks where the query ran, not how fast.
  assert.ok(took > 100, `query took ${took} ms`);
  assert.ok(worst < took / 2, `event loop stalled ${worst} ms during a ${took} ms query`);
  db.close();
});

test('a write that stays over the budget moves to the writer thread; quick writes stay inline', async () => {
  const runs = [];
  // A 20 ms budget: a quick insert (microseconds) stays far below it even on
  // a loaded machine, the heavy one (~100 ms) far above.
  const db = new NOORMME({ database: tempDb(), log: (e) => runs.push(e), inlineBudgetMs: 20 });
  await db.exec('CREATE TABLE t(n INTEGER)');
  const heavy = 'INSERT INTO t SELECT i FROM (WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 1000000) SELECT i FROM c) WHERE i % 1000 = 0';
  const quick = 'INSERT INTO t(n) VALUES (?)';
  runs.length = 0;
  for (let i = 0; i < 4; i++) {
    await db.execute(heavy);
    await db.execute(quick, [i]);
  }
  const where = (sql) => runs.filter((e) => e.sql === sql).map((e) => e.where);
  // Two slow runs in a row (one could be a WAL checkpoint): then the writer thread.
  assert.deepEqual(where(heavy), ['inline', 'inline', 'writer', 'writer']);
  assert.deepEqual(where(quick), ['inline', 'inline', 'inline', 'inline']);
  assert.deepEqual(await db.query('SELECT count(*) AS n FROM t'), [{ n: 4 * 1000 + 4 }]);
  db.close();
});

test('the WAL is checkpointed when writes go quiet', async () => {
  const file = tempDb();
  const db = new NOORMME({ database: file, checkpointIntervalMs: 50 });
  await db.exec('CREATE TABLE t(x)');
  await db.transaction(async (tx) => {
    for (let i = 0; i < 2000; i++) await tx.execute('INSERT INTO t VALUES (?)', [`row ${i} `.repeat(10)]);
  });
  assert.ok(fs.statSync(`${file}-wal`).size > 100000);
  const deadline = Date.now() + 5000;
  while (fs.statSync(`${file}-wal`).size > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(fs.statSync(`${file}-wal`).size, 0);
  assert.equal((await db.query('SELECT count(*) AS n FROM t'))[0].n, 2000);
  db.close();
});

test('reads a real database (Chinook) with joins', async () => {
  const db = new NOORMME({ database: copyShared('chinook.sqlite') });
  const rows = await db.query(
    `SELECT ar.Name AS artist, count(*) AS albums FROM Artist ar JOIN Album al ON al.ArtistId = ar.ArtistId
     GROUP BY ar.ArtistId ORDER BY albums DESC, artist LIMIT 3`,
  );
  assert.deepEqual(rows[0], { artist: 'Iron Maiden', albums: 21 });
  assert.equal(rows.length, 3);
  db.close();
});
