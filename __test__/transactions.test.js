'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { NOORMME, NoormmeError } = require('..');
const { tempDb } = require('./helpers');

async function fresh() {
  const db = new NOORMME({ database: tempDb() });
  await db.exec('CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT UNIQUE)');
  return db;
}

const values = async (db) => (await db.query('SELECT v FROM t ORDER BY id')).map((r) => r.v);

test('commits when the callback resolves and returns its value', async () => {
  const db = await fresh();
  const out = await db.transaction(async (tx) => {
    await tx.execute('INSERT INTO t(v) VALUES (?)', ['a']);
    const [{ n }] = await tx.query('SELECT count(*) AS n FROM t');
    return n;
  });
  assert.equal(out, 1);
  assert.deepEqual(await values(db), ['a']);
  db.close();
});

test('rolls back everything when the callback throws, and rethrows', async () => {
  const db = await fresh();
  const boom = new Error('boom');
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.execute('INSERT INTO t(v) VALUES (?)', ['a']);
      await tx.execute('INSERT INTO t(v) VALUES (?)', ['b']);
      throw boom;
    }),
    (e) => e === boom,
  );
  assert.deepEqual(await values(db), []);
  // A failing statement inside rolls back too, and leaves no lock behind.
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.execute('INSERT INTO t(v) VALUES (?)', ['x']);
      await tx.execute('INSERT INTO t(v) VALUES (?)', ['x']);
    }),
    { code: 'SQLITE_CONSTRAINT_UNIQUE' },
  );
  assert.deepEqual(await values(db), []);
  await db.execute('INSERT INTO t(v) VALUES (?)', ['after']);
  assert.deepEqual(await values(db), ['after']);
  db.close();
});

test('nested transactions are savepoints: an inner failure keeps the outer work', async () => {
  const db = await fresh();
  await db.transaction(async (tx) => {
    await tx.execute('INSERT INTO t(v) VALUES (?)', ['outer']);
    await assert.rejects(
      tx.transaction(async (inner) => {
        await inner.execute('INSERT INTO t(v) VALUES (?)', ['inner-lost']);
        throw new Error('inner');
      }),
      /inner/,
    );
    await tx.transaction(async (inner) => {
      await inner.execute('INSERT INTO t(v) VALUES (?)', ['inner-kept']);
      // db.transaction inside a transaction nests as well.
      await db.transaction((deeper) => deeper.execute('INSERT INTO t(v) VALUES (?)', ['deeper']));
    });
  });
  assert.deepEqual(await values(db), ['outer', 'inner-kept', 'deeper']);
  db.close();
});

test('db.query inside the callback joins the transaction; readers outside see only committed rows', async () => {
  const db = await fresh();
  await db.transaction(async (tx) => {
    await tx.execute('INSERT INTO t(v) VALUES (?)', ['pending']);
    // Not `tx`, yet it runs inside the transaction and sees the row.
    assert.deepEqual(await values(db), ['pending']);
  });
  const other = new NOORMME({ database: db.info().path });
  let release;
  const open = db.transaction(async (tx) => {
    await tx.execute('INSERT INTO t(v) VALUES (?)', ['uncommitted']);
    await new Promise((resolve) => (release = resolve));
  });
  while (!release) await new Promise((r) => setImmediate(r));
  // Same pool (same file), different async context: the read goes to a reader.
  assert.deepEqual(await currentValuesFromOutside(other), ['pending']);
  release();
  await open;
  assert.deepEqual(await values(other), ['pending', 'uncommitted']);
  other.close();
  db.close();
});

function currentValuesFromOutside(db) {
  return new Promise((resolve, reject) => setTimeout(() => values(db).then(resolve, reject), 0));
}

test('other writes wait for an open transaction and then run in order', async () => {
  const db = await fresh();
  const order = [];
  let release;
  const tx = db.transaction(async (t) => {
    await t.execute('INSERT INTO t(v) VALUES (?)', ['tx-1']);
    await new Promise((resolve) => (release = resolve));
    await t.execute('INSERT INTO t(v) VALUES (?)', ['tx-2']);
    order.push('tx');
  });
  while (!release) await new Promise((r) => setImmediate(r));
  const outside = setTimeoutPromise().then(() => db.execute('INSERT INTO t(v) VALUES (?)', ['outside']).then(() => order.push('outside')));
  await setTimeoutPromise();
  assert.deepEqual(order, []);
  release();
  await Promise.all([tx, outside]);
  assert.deepEqual(order, ['tx', 'outside']);
  assert.deepEqual(await values(db), ['tx-1', 'tx-2', 'outside']);
  db.close();
});

function setTimeoutPromise() {
  return new Promise((resolve) => setTimeout(resolve, 5));
}

test('a finished transaction object refuses further queries', async () => {
  const db = await fresh();
  let leaked;
  await db.transaction(async (tx) => {
    leaked = tx;
  });
  await assert.rejects(leaked.execute('INSERT INTO t(v) VALUES (1)'), (e) => e instanceof NoormmeError && e.code === 'TRANSACTION_CLOSED');
  assert.deepEqual(await values(db), []);
  db.close();
});
