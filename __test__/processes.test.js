'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { NOORMME } = require('..');
const { tempDb } = require('./helpers');

function run(script, args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', script), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

test('6 processes × 300 transactions holding the lock across an await take turns: no BusyError, the counter at exactly 1,800', async () => {
  const file = tempDb();
  const setup = new NOORMME({ database: file });
  await setup.exec('CREATE TABLE counter(n INTEGER NOT NULL); INSERT INTO counter VALUES (0)');
  setup.close();
  const results = await Promise.all([0, 1, 2, 3, 4, 5].map(() => run('contended-counter.js', [file, '300'])));
  for (const r of results) assert.equal(r.code, 0, r.err);
  const reports = results.map((r) => JSON.parse(r.out));
  assert.deepEqual(reports.map((r) => r.busy), [0, 0, 0, 0, 0, 0], JSON.stringify(reports));
  const db = new NOORMME({ database: file });
  assert.deepEqual(await db.query('SELECT n FROM counter'), [{ n: 1800 }]);
  db.close();
});

test('4 processes × 500 transactions with reads: 2000 rows, no errors, integrity ok', async () => {
  const file = tempDb();
  const setup = new NOORMME({ database: file });
  await setup.exec('CREATE TABLE events(id INTEGER PRIMARY KEY, worker INTEGER NOT NULL, seq INTEGER NOT NULL, note TEXT, UNIQUE(worker, seq))');
  setup.close();
  const results = await Promise.all([0, 1, 2, 3].map((w) => run('mp-writer.js', [file, String(w), '500'])));
  for (const r of results) assert.equal(r.code, 0, r.err);
  assert.deepEqual(
    results.map((r) => JSON.parse(r.out).written),
    [500, 500, 500, 500],
  );
  const db = new NOORMME({ database: file });
  assert.deepEqual(await db.query('SELECT count(*) AS n, count(DISTINCT worker) AS workers FROM events'), [{ n: 2000, workers: 4 }]);
  assert.deepEqual(await db.query('SELECT worker, max(seq) AS last FROM events GROUP BY worker ORDER BY worker'), [
    { worker: 0, last: 499 },
    { worker: 1, last: 499 },
    { worker: 2, last: 499 },
    { worker: 3, last: 499 },
  ]);
  assert.deepEqual(await db.query('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
  db.close();
});

async function crashMidStream(checkpointPages) {
  const file = tempDb();
  const setup = new NOORMME({ database: file });
  await setup.exec('CREATE TABLE ledger(id INTEGER PRIMARY KEY, payload TEXT); CREATE TABLE totals(n INTEGER); INSERT INTO totals VALUES (0);');
  setup.close();
  const child = spawn(process.execPath, [path.join(__dirname, 'fixtures', 'crash-writer.js'), file, ...checkpointPages], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  await new Promise((resolve) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (out.split('\n').length > 300) {
        child.kill('SIGKILL');
        resolve();
      }
    });
  });
  await new Promise((resolve) => child.on('exit', resolve));
  const acknowledged = out.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  assert.ok(acknowledged.length >= 300);
  const lastAck = acknowledged.at(-1);
  const db = new NOORMME({ database: file });
  assert.deepEqual(await db.query('PRAGMA integrity_check'), [{ integrity_check: 'ok' }]);
  const [{ n, max }] = await db.query('SELECT count(*) AS n, max(id) AS max FROM ledger');
  // Every acknowledged commit survived; at most the one in flight also did.
  assert.ok(max >= lastAck && max <= lastAck + 1, `acknowledged ${lastAck}, found ${max}`);
  assert.equal(n, max, 'ids are contiguous: no transaction half-applied');
  const [{ n: total }] = await db.query('SELECT n FROM totals');
  assert.equal(total, n, 'both statements of each transaction landed together');
  db.close();
}

test('SIGKILL mid-stream: integrity ok and every resolved transaction is there', () => crashMidStream([]));

// With a small threshold the background thread checkpoints every few
// transactions, so the kill lands while checkpoints are running.
test('SIGKILL while background checkpoints run: the same guarantees', () => crashMidStream(['20']));
