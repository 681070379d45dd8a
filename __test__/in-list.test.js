'use strict';
// `__in` binds its list as one parameter (a JSON array read by json_each):
// any length works, every length shares one statement, and each item meets
// the column as a bound parameter would (issue #16).
const test = require('node:test');
const assert = require('node:assert/strict');
const { NOORMME } = require('..');
const { tempDb, copyShared } = require('./helpers');

test('100,000 ids: filter, count, inBulk, update and delete over one __in', async () => {
  const db = new NOORMME({ database: tempDb(), nPlusOne: false });
  await db.exec('CREATE TABLE item (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)');
  await db.exec(`INSERT INTO item (id, n) WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 150000) SELECT i, 0 FROM c`);
  db.refreshSchema();
  const Item = db.model('item');
  const ids = Array.from({ length: 100000 }, (_, i) => 2 * i + 1);
  assert.equal(await Item.objects.filter({ id__in: ids }).count(), 75000);
  assert.equal(Object.keys(await Item.objects.inBulk(ids.slice(0, 40000))).length, 40000);
  assert.equal(await Item.objects.filter({ id__in: ids }).update({ n: 1 }), 75000);
  assert.deepEqual(await db.query('SELECT sum(n) AS s FROM item'), [{ s: 75000 }]);
  assert.equal(await Item.objects.exclude({ id__in: ids }).delete(), 75000);
  assert.equal(await Item.objects.count(), 75000);
  // Every length shares one statement.
  const before = db.info().statementsCached;
  for (let n = 1; n <= 50; n++) await Item.objects.filter({ id__in: ids.slice(0, n) }).count();
  assert.ok(db.info().statementsCached - before <= 1);
  db.close();
});

test('list items meet the column as bound parameters do: affinity, dates, booleans, bytes, bigints', async () => {
  const db = new NOORMME({ database: tempDb(), nPlusOne: false });
  await db.exec(`CREATE TABLE thing (id INTEGER PRIMARY KEY, code TEXT, at DATETIME, flag BOOLEAN, raw BLOB, big INTEGER);
    INSERT INTO thing VALUES (1, '10', '2024-01-01 00:00:00', 1, x'00ff', 9007199254740993),
      (2, 'abc', '2024-06-01 12:30:00', 0, x'0102', 5), (3, NULL, NULL, NULL, NULL, NULL);`);
  db.refreshSchema();
  const T = db.model('thing');
  const ids = async (filter) => (await T.objects.filter(filter).orderBy('id').valuesList('id', { flat: true }));
  assert.deepEqual(await ids({ code__in: [10, 'abc'] }), [1, 2], 'TEXT affinity applies to a number, as for a parameter');
  assert.deepEqual(await ids({ id__in: ['1', 2] }), [1, 2], 'INTEGER affinity applies to a text');
  assert.deepEqual(await ids({ at__in: [new Date('2024-06-01T12:30:00Z')] }), [2], 'dates in the column storage format');
  assert.deepEqual(await ids({ flag__in: [true] }), [1]);
  assert.deepEqual(await ids({ raw__in: [Buffer.from([0x01, 0x02]), new Uint8Array([0x00, 0xff])] }), [1, 2]);
  assert.deepEqual(await ids({ big__in: [9007199254740993n] }), [1], 'a bigint keeps its last digit');
  assert.deepEqual(await ids({ code__in: ['a"b', '\\', '\u0000', '😀', 'abc'] }), [2]);
  assert.deepEqual(await ids({ code__in: [null, 'abc'] }), [2], 'null never matches, as in Django');
  assert.deepEqual(await ids({ code__in: [] }), []);
  assert.deepEqual(await T.objects.exclude({ code__in: ['abc'] }).orderBy('id').valuesList('id', { flat: true }), [1, 3]);
  for (const bad of [[Infinity], [NaN], [{}], ['\ud800'], [Symbol('s')]]) {
    await assert.rejects(async () => T.objects.filter({ code__in: bad }), (e) => e.code === 'INVALID_PARAMETER', String(bad[0]?.toString?.()));
  }
  db.close();
});

test('prefetch and many-to-many writes over one __in list', async () => {
  const db = new NOORMME({ database: copyShared('chinook.sqlite'), nPlusOne: false });
  const Playlist = db.model('Playlist');
  const all = await db.model('Track').objects.valuesList('TrackId', { flat: true });
  await Playlist.objects.create({ PlaylistId: 100, Name: 'Everything' });
  assert.equal(await Playlist.related(100, 'Track').add(...all), all.length);
  assert.equal(await Playlist.related(100, 'Track').count(), 3503);
  await Playlist.related(100, 'Track').set(all.slice(0, 2000));
  assert.equal(await Playlist.related(100, 'Track').count(), 2000);
  const [withTracks] = await Playlist.objects.filter({ PlaylistId: 100 }).prefetch('Track');
  assert.equal(withTracks.Track.length, 2000);
  db.close();
});

test('whole numbers past 2^53 and bigints at the 64-bit edges match in a list as they do alone', async () => {
  const db = new NOORMME({ database: tempDb(), nPlusOne: false });
  await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, r REAL); INSERT INTO t VALUES (2305843009213693952, 1e300), (-9223372036854775808, 2.5), (9223372036854775807, 0)');
  db.refreshSchema();
  const T = db.model('t');
  const ids = async (filter) => (await T.objects.filter(filter).orderBy('id').valuesList('id', { flat: true })).map(String);
  for (const value of [2 ** 61, -(2n ** 63n), 2n ** 63n - 1n]) {
    assert.deepEqual(await ids({ id__in: [value] }), await ids({ id: value }), String(value));
  }
  assert.equal(Object.keys(await T.objects.inBulk([2 ** 61])).length, 1);
  assert.deepEqual(await ids({ r__in: [1e300, 2.5] }), ['-9223372036854775808', '2305843009213693952']);
  for (const out of [2n ** 63n, -(2n ** 63n) - 1n, 2n ** 64n]) {
    await assert.rejects(async () => T.objects.filter({ id__in: [out] }), (e) => e.code === 'INVALID_PARAMETER', String(out));
  }
  db.close();
});
