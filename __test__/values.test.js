'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { NOORMME, NoormmeError } = require('..');
const { tempDb } = require('./helpers');

const db = new NOORMME({ database: tempDb() });
test.after(() => db.close());

async function roundTrip(value) {
  const [row] = await db.query('SELECT ? AS v, typeof(?) AS t', [value, value]);
  return row;
}

test('integers stay numbers up to ±(2^53−1) and become bigint beyond', async () => {
  assert.deepEqual(await roundTrip(0), { v: 0, t: 'integer' });
  assert.deepEqual(await roundTrip(-42), { v: -42, t: 'integer' });
  assert.deepEqual(await roundTrip(Number.MAX_SAFE_INTEGER), { v: Number.MAX_SAFE_INTEGER, t: 'integer' });
  assert.deepEqual(await roundTrip(Number.MIN_SAFE_INTEGER), { v: Number.MIN_SAFE_INTEGER, t: 'integer' });
  assert.deepEqual(await roundTrip(2n ** 53n), { v: 2n ** 53n, t: 'integer' });
  assert.deepEqual(await roundTrip(-(2n ** 53n)), { v: -(2n ** 53n), t: 'integer' });
  assert.deepEqual(await roundTrip(2n ** 63n - 1n), { v: 2n ** 63n - 1n, t: 'integer' });
  assert.deepEqual(await roundTrip(-(2n ** 63n)), { v: -(2n ** 63n), t: 'integer' });
  // A small bigint comes back as a number: it is exact either way.
  assert.deepEqual(await roundTrip(7n), { v: 7, t: 'integer' });
});

test('a bigint outside 64 bits is refused, not truncated', async () => {
  await assert.rejects(roundTrip(2n ** 63n), (e) => e instanceof NoormmeError && e.code === 'INVALID_PARAMETER' && /64-bit/.test(e.message));
});

test('reals, text, blobs and null', async () => {
  assert.deepEqual(await roundTrip(1.25), { v: 1.25, t: 'real' });
  assert.deepEqual(await roundTrip(-0.1), { v: -0.1, t: 'real' });
  assert.deepEqual(await roundTrip(''), { v: '', t: 'text' });
  const unicode = 'Ωmega — 日本語 😀 \u0000 end';
  assert.deepEqual(await roundTrip(unicode), { v: unicode, t: 'text' });
  const blob = Buffer.from([0, 1, 2, 255]);
  const row = await roundTrip(blob);
  assert.ok(Buffer.isBuffer(row.v));
  assert.deepEqual([...row.v], [0, 1, 2, 255]);
  assert.equal(row.t, 'blob');
  const u8 = new Uint8Array([9, 8, 7]).subarray(1);
  assert.deepEqual([...(await roundTrip(u8)).v], [8, 7]);
  assert.deepEqual(await roundTrip(Buffer.alloc(0)).then((r) => [r.v.length, r.t]), [0, 'blob']);
  assert.deepEqual(await roundTrip(null), { v: null, t: 'null' });
});

test('booleans bind as 1/0 and dates as ISO-8601 text', async () => {
  assert.deepEqual(await roundTrip(true), { v: 1, t: 'integer' });
  assert.deepEqual(await roundTrip(false), { v: 0, t: 'integer' });
  const when = new Date('2024-02-29T13:45:00.123Z');
  assert.deepEqual(await roundTrip(when), { v: '2024-02-29T13:45:00.123Z', t: 'text' });
});

test('text cells mixed with other types in many rows decode in place', async () => {
  await db.exec('CREATE TABLE mix(id INTEGER PRIMARY KEY, a TEXT, b REAL, c TEXT, d BLOB, e INTEGER)');
  await db.transaction(async (tx) => {
    for (let i = 0; i < 300; i++) {
      await tx.execute('INSERT INTO mix(a, b, c, d, e) VALUES (?, ?, ?, ?, ?)', [
        i % 3 === 0 ? null : `a${i}é`,
        i / 4,
        '😀'.repeat(i % 5),
        i % 7 === 0 ? Buffer.from([i & 255]) : null,
        i % 11 === 0 ? 2n ** 60n + BigInt(i) : i,
      ]);
    }
  });
  const rows = await db.query('SELECT * FROM mix ORDER BY id');
  assert.equal(rows.length, 300);
  for (const [i, r] of rows.entries()) {
    assert.equal(r.id, i + 1);
    assert.equal(r.a, i % 3 === 0 ? null : `a${i}é`);
    assert.equal(r.b, i / 4);
    assert.equal(r.c, '😀'.repeat(i % 5));
    assert.deepEqual(r.d === null ? null : [...r.d], i % 7 === 0 ? [i & 255] : null);
    assert.equal(r.e, i % 11 === 0 ? 2n ** 60n + BigInt(i) : i);
  }
  // Rows are plain objects: serialisable and free of class instances.
  assert.equal(Object.getPrototypeOf(rows[1]), Object.prototype);
});

test('lastInsertRowid is a bigint when beyond 2^53', async () => {
  await db.exec('CREATE TABLE big(id INTEGER PRIMARY KEY, v)');
  const small = await db.execute('INSERT INTO big(id, v) VALUES (?, 1)', [5]);
  assert.deepEqual(small, { changes: 1, lastInsertRowid: 5 });
  const big = await db.execute('INSERT INTO big(id, v) VALUES (?, 1)', [2n ** 62n]);
  assert.deepEqual(big, { changes: 1, lastInsertRowid: 2n ** 62n });
});

test('undefined, objects and NaN are refused with the parameter named', async () => {
  await assert.rejects(db.query('SELECT ?, ?', [1, undefined]), {
    name: 'NoormmeError',
    code: 'INVALID_PARAMETER',
    message: /parameter 2 is undefined/,
  });
  await assert.rejects(db.query('SELECT :who', { who: { a: 1 } }), { message: /parameter 'who' is an object \(Object\)/ });
  await assert.rejects(db.query('SELECT ?', [NaN]), { message: /parameter 1 is NaN/ });
});

test('named parameters with :, @ and $ prefixes, and their mistakes', async () => {
  const [row] = await db.query('SELECT :a AS a, @b AS b, $c AS c, :a AS again', { a: 1, b: 'two', c: null });
  assert.deepEqual(row, { a: 1, b: 'two', c: null, again: 1 });
  await assert.rejects(db.query('SELECT :a, :b', { a: 1 }), { code: 'MISSING_PARAMETER', message: /missing named parameter 'b'/ });
  await assert.rejects(db.query('SELECT ?', { a: 1 }), { code: 'INVALID_PARAMETER', message: /pass an array/ });
  await assert.rejects(db.query('SELECT ?, ?', [1]), { code: 'PARAMETER_COUNT', message: /expects 2 parameter\(s\) but 1/ });
});

test('a column named __proto__ is an own property, not the prototype', async () => {
  const [row] = await db.query('SELECT 1 AS "__proto__", 2 AS "constructor"');
  assert.equal(Object.getPrototypeOf(row), Object.prototype);
  assert.ok(Object.prototype.hasOwnProperty.call(row, '__proto__'));
  assert.equal(Object.getOwnPropertyDescriptor(row, '__proto__').value, 1);
  assert.equal(row.constructor, 2);
});

test('the tagged template binds every value', async () => {
  const evil = "x'); DROP TABLE mix; --";
  const rows = await db.sql`SELECT ${evil} AS v, ${3} + 1 AS n`;
  assert.deepEqual(rows, [{ v: evil, n: 4 }]);
  assert.equal((await db.query("SELECT count(*) AS n FROM sqlite_master WHERE name = 'mix'"))[0].n, 1);
});

test('results larger than the scratch buffer decode correctly', async () => {
  const rows = await db.query(
    'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 40000) SELECT i, i * 0.5 AS h, i % 2 AS odd, NULL AS z FROM c',
  );
  assert.equal(rows.length, 40000);
  assert.deepEqual(rows[39999], { i: 40000, h: 20000, odd: 0, z: null });
});

test('column names follow ALTER TABLE on a cached statement', async () => {
  await db.exec('CREATE TABLE evolve(a); INSERT INTO evolve VALUES (1)');
  assert.deepEqual(await db.query('SELECT * FROM evolve'), [{ a: 1 }]);
  await db.exec('ALTER TABLE evolve ADD COLUMN b DEFAULT 2');
  assert.deepEqual(await db.query('SELECT * FROM evolve'), [{ a: 1, b: 2 }]);
});

test('canonical ISO text parses by the fast path with the same checks as the general one', () => {
  const { parseDate } = require('../lib/policies');
  assert.equal(parseDate('2024-02-29T23:59:59.999Z').getTime(), Date.UTC(2024, 1, 29, 23, 59, 59, 999));
  assert.equal(parseDate('2024-03-05T10:11:12.123Z').toISOString(), '2024-03-05T10:11:12.123Z');
  for (const bad of ['2024-02-30T00:00:00.000Z', '2023-02-29T00:00:00.000Z', '2024-13-01T00:00:00.000Z', 'abcd-01-01T00:00:00.000Z', '2024-01-01T25:00:00.000Z']) {
    assert.equal(parseDate(bad), undefined, bad);
  }
  // Other shapes still go the general way.
  assert.equal(parseDate('2024-03-05 10:11:12').toISOString(), '2024-03-05T10:11:12.000Z');
  assert.equal(parseDate('2024-03-05T10:11:12+02:00').toISOString(), '2024-03-05T08:11:12.000Z');
});

test('a Date keeps its milliseconds in a DATETIME column sampled without them: the format widens, comparisons stay right', async () => {
  const file = tempDb();
  const setup = new NOORMME({ database: file });
  await setup.exec("CREATE TABLE ev (id INTEGER PRIMARY KEY, at DATETIME NOT NULL); INSERT INTO ev (at) VALUES ('2024-01-01 08:30:00'), ('2024-01-01 09:00:00')");
  setup.close();
  const db = new NOORMME({ database: file, nPlusOne: false });
  const Ev = db.model('ev');
  const at = new Date('2024-01-01T08:30:00.123Z');
  const row = await Ev.objects.create({ at });
  assert.deepEqual(await db.query('SELECT at FROM ev WHERE id = ?', [row.id]), [{ at: '2024-01-01 08:30:00.123000' }]);
  assert.equal((await Ev.objects.get({ id: row.id })).at.toISOString(), '2024-01-01T08:30:00.123Z');
  const after = async (iso) => Ev.objects.filter({ at__gt: new Date(iso) }).orderBy('id').valuesList('id', { flat: true });
  assert.deepEqual(await after('2024-01-01T08:30:00.500Z'), [2]);
  assert.deepEqual(await after('2024-01-01T08:30:00.100Z'), [2, 3]);
  assert.deepEqual(await after('2024-01-01T08:29:59.999Z'), [1, 2, 3]);
  // Whole seconds are written as the stored values are.
  const whole = await Ev.objects.create({ at: new Date('2024-01-02T00:00:00.000Z') });
  assert.deepEqual(await db.query('SELECT at FROM ev WHERE id = ?', [whole.id]), [{ at: '2024-01-02 00:00:00' }]);
  db.close();
});
