'use strict';
// Inputs a request can carry must not change what a later query means, nor
// fail with anything but a NoormmeError: values captured when a QuerySet is
// built, `__proto__` keys, lone surrogates, deep trees (issue #14, part 4).
const test = require('node:test');
const assert = require('node:assert/strict');
const { NOORMME, NoormmeError, Q, F, Coalesce, Value } = require('..');
const { tempDb } = require('./helpers');

async function notes() {
  const db = new NOORMME({ database: tempDb(), nPlusOne: false });
  await db.exec(`CREATE TABLE note (id INTEGER PRIMARY KEY, owner INTEGER NOT NULL, body TEXT NOT NULL, at DATETIME, data JSON);
    INSERT INTO note (id, owner, body, at) VALUES (1, 1, 'a', '2024-01-01 00:00:00'), (2, 1, 'b', '2024-06-01 00:00:00'), (3, 1, 'c', '2025-01-01 00:00:00'),
      (4, 2, 'd', '2024-01-01 00:00:00'), (5, 2, 'e', '2024-01-01 00:00:00');`);
  db.refreshSchema();
  return { db, Note: db.model('note') };
}

test('a QuerySet captures its values when built: changing the array afterwards changes neither it nor a later query', async () => {
  const { db, Note } = await notes();
  const ids = [1, 2, 3];
  const qs = Note.objects.filter({ id__in: ids, owner: 1 });
  ids.pop();
  assert.deepEqual((await qs).map((r) => r.id), [1, 2, 3]);
  // Three ids again: the cached SQL for three slots must bind three values.
  assert.deepEqual((await Note.objects.filter({ id__in: [3, 4, 2], owner: 1 })).map((r) => r.id), [2, 3]);
  assert.deepEqual((await Note.objects.filter({ id__in: [3, 4], owner: 1 })).map((r) => r.id), [3]);
  // The same through Q, a Set, exclude() and delete().
  const set = new Set([4, 5]);
  const byQ = Note.objects.filter(Q.or({ id__in: set }, { id: 1 })).orderBy('id');
  set.add(2);
  set.add(3);
  assert.deepEqual((await byQ).map((r) => r.id), [1, 4, 5]);
  const keep = [1, 2];
  const doomed = Note.objects.exclude({ id__in: keep }).filter({ owner: 2 });
  keep.push(4, 5);
  assert.equal(await doomed.delete(), 2);
  assert.deepEqual((await Note.objects.all()).map((r) => r.id), [1, 2, 3]);
  // A Date is cloned too.
  const since = new Date('2024-03-01T00:00:00Z');
  const recent = Note.objects.filter({ at__gte: since });
  since.setUTCFullYear(2000);
  assert.deepEqual((await recent).map((r) => r.id), [2, 3]);
  // And a range.
  const range = [2, 3];
  const between = Note.objects.filter({ id__range: range });
  range[1] = 1;
  assert.deepEqual((await between).map((r) => r.id), [2, 3]);
  db.close();
});

test('update() with a parsed __proto__ key raises the FieldError create() raises, and writes nothing', async () => {
  const { db, Note } = await notes();
  const body = JSON.parse('{"body": "changed", "__proto__": {"owner": 2}}');
  await assert.rejects(Note.objects.filter({ id: 1 }).update(body), (e) => e.code === 'FIELD_ERROR' && /__proto__/.test(e.message));
  await assert.rejects(Note.objects.filter({ id: 1, owner: 1 }).update(body), (e) => e.code === 'FIELD_ERROR');
  await assert.rejects(Note.objects.create(JSON.parse('{"owner": 1, "body": "x", "__proto__": {"id": 9}}')), (e) => e.code === 'FIELD_ERROR');
  assert.throws(() => Note.objects.filter(JSON.parse('{"__proto__": {"owner": 2}}')), (e) => e instanceof NoormmeError && e.code === 'INVALID_QUERY');
  assert.deepEqual(await db.query('SELECT id, owner, body FROM note WHERE id = 1'), [{ id: 1, owner: 1, body: 'a' }]);
  db.close();
});

test('lone surrogate halves are refused, never merged into one character', async () => {
  const { db, Note } = await notes();
  for (const run of [
    () => db.query('SELECT ? || ? AS x', ['\uD83D', '\uDE00']),
    () => db.query('SELECT ? AS x', ['ok\uDE00']),
    () => Note.objects.filter({ body: '\uD83D' }),
    () => Note.objects.create({ owner: 1, body: 'x\uD83D' }),
    () => Note.objects.filter({ id: 1 }).update({ body: '\uDE00' }),
    () => db.query('SELECT ? AS a, ? AS b, ? AS c', [1n, '\uD83D', '\uDE00']),
  ]) {
    await assert.rejects(async () => run(), (e) => e instanceof NoormmeError && e.code === 'INVALID_PARAMETER' && /surrogate/.test(e.message));
  }
  // Paired halves are one well-formed character and pass.
  assert.deepEqual(await db.query('SELECT ? AS x', ['\uD83D\uDE00']), [{ x: '😀' }]);
  assert.deepEqual(await db.query('SELECT count(*) AS n FROM note WHERE body LIKE ?', ['%\uFFFD%']), [{ n: 0 }]);
  db.close();
});

test('deep Q trees and expressions are a NoormmeError (QUERY_TOO_DEEP), not a RangeError', async () => {
  const { db, Note } = await notes();
  const deep = (n, make) => {
    let node = { id: 1 };
    for (let i = 0; i < n; i++) node = make(node);
    return node;
  };
  for (const make of [(q) => Q.and(q, { id: 1 }), (q) => Q.or(q), (q) => Q.not(q)]) {
    assert.throws(() => deep(10000, make), (e) => e instanceof NoormmeError && e.code === 'QUERY_TOO_DEEP');
  }
  assert.throws(() => {
    let f = F('id');
    for (let i = 0; i < 10000; i++) f = f.add(1);
  }, { code: 'QUERY_TOO_DEEP' });
  assert.throws(() => {
    let c = Coalesce('body', Value('x'));
    for (let i = 0; i < 10000; i++) c = Coalesce(c, Value('x'));
  }, { code: 'QUERY_TOO_DEEP' });
  // Within the limit a tree works.
  assert.equal((await Note.objects.filter(deep(20, (q) => Q.and(q, { owner: 1 })))).length, 1);
  // A JSON value nested past the stack is a typed error too.
  let nested = 'x';
  for (let i = 0; i < 100000; i++) nested = [nested];
  await assert.rejects(Note.objects.filter({ id: 1 }).update({ data: nested }), (e) => e instanceof NoormmeError && e.code === 'INVALID_VALUE');
  db.close();
});

test('startswith, endswith and contains are exact with NUL and long values', async () => {
  const { db, Note } = await notes();
  await db.execute('DELETE FROM note');
  const bodies = ['x\u0000y', 'x', 'ab\u0000zzz', 'zzz', 'a\u0000b', 'A\u0000B', 'plain'];
  for (const [i, body] of bodies.entries()) await Note.objects.create({ id: i + 1, owner: 1, body });
  const match = async (filter) => (await Note.objects.filter(filter).orderBy('id')).map((r) => r.body);
  assert.deepEqual(await match({ body__endswith: '\u0000zzz' }), ['ab\u0000zzz']);
  assert.deepEqual(await match({ body__startswith: 'x\u0000' }), ['x\u0000y']);
  assert.deepEqual(await match({ body__startswith: 'x' }), ['x\u0000y', 'x']);
  assert.deepEqual(await match({ body__contains: '\u0000' }), ['x\u0000y', 'ab\u0000zzz', 'a\u0000b', 'A\u0000B']);
  assert.deepEqual(await match({ body__contains: 'a\u0000b' }), ['a\u0000b']);
  assert.deepEqual(await match({ body__icontains: 'a\u0000b' }), ['a\u0000b', 'A\u0000B']);
  assert.deepEqual(await match({ body__iendswith: '\u0000B' }), ['a\u0000b', 'A\u0000B']);
  assert.deepEqual(await match({ body__istartswith: 'X\u0000' }), ['x\u0000y']);
  assert.deepEqual(await match({ body__iexact: 'a\u0000B' }), ['a\u0000b', 'A\u0000B']);
  // Django: an empty value is contained in, starts and ends every (non-null) value.
  for (const lookup of ['contains', 'icontains', 'startswith', 'istartswith', 'endswith', 'iendswith']) {
    assert.equal((await match({ [`body__${lookup}`]: '' })).length, bodies.length, lookup);
  }
  // Long values compare exactly too.
  const long = `${'a'.repeat(100000)}b`;
  await Note.objects.create({ id: 100, owner: 1, body: long });
  assert.deepEqual((await Note.objects.filter({ body__endswith: `a${'a'.repeat(7998)}b` })).map((r) => r.id), [100]);
  assert.deepEqual((await Note.objects.filter({ body__contains: `${'a'.repeat(8000)}b` })).map((r) => r.id), [100]);
  assert.equal(await Note.objects.filter({ body__contains: `${'a'.repeat(8000)}c` }).count(), 0);
  db.close();
});

test('transaction statements are refused however they are written, and later reads stay fresh', async () => {
  const { db } = await notes();
  for (const sql of ['BEGIN', ';BEGIN', ' ;; BEGIN IMMEDIATE', '/* x */ BEGIN', '-- c\nBEGIN', 'begin exclusive transaction', 'SAVEPOINT a', 'RELEASE a', 'COMMIT', 'END', 'ROLLBACK']) {
    await assert.rejects(db.query(sql), (e) => e instanceof NoormmeError && e.code === 'TRANSACTION_STATEMENT', sql);
    await assert.rejects(db.execute(sql), (e) => e instanceof NoormmeError && e.code === 'TRANSACTION_STATEMENT', sql);
  }
  // A write through another handle is seen at once: no transaction was left open.
  const other = new NOORMME({ database: db.shared.native.info().path, nPlusOne: false });
  await other.execute("UPDATE note SET body = 'fresh' WHERE id = 1");
  assert.deepEqual(await db.query('SELECT body FROM note WHERE id = 1'), [{ body: 'fresh' }]);
  other.close();
  // db.transaction() still works.
  await db.transaction(async (tx) => tx.execute("UPDATE note SET body = 'tx' WHERE id = 1"));
  assert.deepEqual(await db.query('SELECT body FROM note WHERE id = 1'), [{ body: 'tx' }]);
  db.close();
});

test('no QuerySet path treats an undefined value as "no condition"', async () => {
  const { db, Note } = await notes();
  db.refreshSchema();
  const before = JSON.stringify(await db.query('SELECT * FROM note ORDER BY id'));
  const refused = (e) => e instanceof NoormmeError && ['INVALID_LOOKUP_VALUE', 'INVALID_PARAMETER'].includes(e.code);
  const paths = [
    () => Note.objects.filter({ id: undefined }),
    () => Note.objects.filter({ owner: 1, id: undefined }).delete(),
    () => Note.objects.exclude({ id: undefined }).delete(),
    () => Note.objects.filter({ id: undefined }).update({ body: 'x' }),
    () => Note.objects.filter({ id: 1 }).update({ body: undefined }),
    () => Note.objects.get({ id: undefined }),
    () => Note.objects.get({ owner: 1, id: undefined }),
    () => Note.objects.filter(Q({ id: undefined })).delete(),
    () => Note.objects.filter(Q.or({ id: undefined }, { id: undefined })).delete(),
    () => Note.objects.exclude({ id__in: [undefined] }).delete(),
    () => Note.objects.exclude({ id__in: [1, undefined] }).delete(),
    () => Note.objects.filter({ id__range: [undefined, 10] }).delete(),
    () => Note.objects.filter({ id__in: [1] }).exclude({ owner__in: new Set([undefined]) }).update({ body: 'x' }),
    () => Note.objects.getOrCreate({ id: undefined }),
    () => Note.objects.updateOrCreate({ id: undefined }, { defaults: { body: 'x' } }),
    () => Note.objects.inBulk([undefined]),
  ];
  for (const [i, run] of paths.entries()) {
    await assert.rejects(async () => run(), refused, `path ${i}`);
  }
  assert.equal(JSON.stringify(await db.query('SELECT * FROM note ORDER BY id')), before);
  db.close();
});
