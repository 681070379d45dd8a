'use strict';
// __regex / __iregex against Python's re.search (what Django's SQLite backend
// runs), and key paths into JSON columns against SQLite's json_extract.
const test = require('node:test');
const assert = require('node:assert/strict');
const { execFileSync } = require('node:child_process');
const { NOORMME, FieldError, NoormmeError } = require('..');
const { copyShared, tempDb } = require('./helpers');

const PATTERNS = ['^The', 'love', '(?:rock|roll)$', '^[A-Z][a-z]+ [A-Z]', '\\d{2,}', '\\bme\\b', '^.{3}$', 'a.*?b', '[^\\w\\s]', 'ou?r\\b', '^(ab|cd|ef)', 'ção', 'x{0,1}yz', '\\.$', 'é'];

function pythonMatches(file, patterns, insensitive) {
  const script = `
import json, re, sqlite3, sys
conn = sqlite3.connect(sys.argv[1])
flags = re.I if sys.argv[2] == '1' else 0
conn.create_function('REGEXP', 2, lambda p, s: None if s is None else bool(re.search(p, str(s), flags)))
out = {p: [r[0] for r in conn.execute('SELECT TrackId FROM Track WHERE Name REGEXP ? ORDER BY TrackId', (p,))] for p in json.loads(sys.argv[3])}
print(json.dumps(out))`;
  return JSON.parse(execFileSync('python3', ['-c', script, file, insensitive ? '1' : '0', JSON.stringify(patterns)], { encoding: 'utf8' }));
}

test('regex and iregex match what Python re.search matches', async () => {
  const file = copyShared('chinook.sqlite');
  const db = new NOORMME({ database: file });
  const Track = db.model('Track');
  for (const insensitive of [false, true]) {
    const expected = pythonMatches(file, PATTERNS, insensitive);
    for (const pattern of PATTERNS) {
      const got = await Track.objects.filter({ [insensitive ? 'Name__iregex' : 'Name__regex']: pattern }).orderBy('TrackId').valuesList('TrackId', { flat: true });
      assert.deepEqual(got, expected[pattern], `${insensitive ? 'iregex' : 'regex'} ${pattern}`);
    }
    assert.ok(Object.values(expected).some((ids) => ids.length > 10));
  }
  // Across a relation, in exclude(), and a pattern from untrusted input that would backtrack forever elsewhere.
  const acdc = await Track.objects.filter({ Album__Artist__Name__regex: '^AC/DC$' }).count();
  assert.equal(acdc, (await db.query("SELECT count(*) AS n FROM Track t JOIN Album a USING (AlbumId) JOIN Artist r USING (ArtistId) WHERE r.Name = 'AC/DC'"))[0].n);
  assert.equal(await Track.objects.exclude({ Name__regex: '.' }).count(), 0);
  assert.equal(await Track.objects.filter({ Name__regex: '^(a+)+$' }).count(), 0);
  for (const bad of ['(', 'a**', '[z-a]', '\\1', '(?=x)']) {
    assert.throws(() => Track.objects.filter({ Name__regex: bad }), (e) => e instanceof NoormmeError && e.code === 'INVALID_LOOKUP_VALUE' && /Name__regex: invalid regular expression/.test(e.message), bad);
  }
  assert.throws(() => Track.objects.filter({ Name__iregex: 5 }), { code: 'INVALID_LOOKUP_VALUE' });
  db.close();
});

test('JSON columns take key paths in filter, values and orderBy', async () => {
  const db = new NOORMME({ database: tempDb() });
  await db.exec(`CREATE TABLE docs(id INTEGER PRIMARY KEY, data JSON);
    INSERT INTO docs(data) VALUES
      ('{"owner": {"name": "Ada Lovelace", "age": 36}, "tags": ["math", "engines"], "rank": 2}'),
      ('{"owner": {"name": "Grace Hopper", "age": 85}, "tags": ["cobol"], "rank": 1}'),
      ('{"owner": {"name": "ÉMILIE du Châtelet"}, "tags": [], "rank": 3}'),
      ('{"other": true}'),
      (NULL);`);
  db.refreshSchema();
  const Doc = db.model('docs');
  const ids = (qs) => qs.orderBy('id').valuesList('id', { flat: true });
  const sql = async (where) => (await db.query(`SELECT id FROM docs WHERE ${where} ORDER BY id`)).map((r) => r.id);
  assert.deepEqual(await ids(Doc.objects.filter({ data__owner__name__icontains: 'hopper' })), [2]);
  assert.deepEqual(await ids(Doc.objects.filter({ data__owner__name__istartswith: 'émilie' })), [3]);
  assert.deepEqual(await ids(Doc.objects.filter({ data__owner__age__gte: 40 })), await sql("json_extract(data, '$.owner.age') >= 40"));
  assert.deepEqual(await ids(Doc.objects.filter({ data__tags__0: 'math' })), [1]);
  assert.deepEqual(await ids(Doc.objects.filter({ data__owner__isnull: true })), await sql("json_extract(data, '$.owner') IS NULL"));
  assert.deepEqual(await ids(Doc.objects.exclude({ data__rank__lt: 2 })), await sql("NOT (json_extract(data, '$.rank') < 2) OR json_extract(data, '$.rank') IS NULL"));
  assert.deepEqual(await Doc.objects.filter({ data__rank__isnull: false }).orderBy('-data__rank').valuesList('data__owner__name', { flat: true }), ['ÉMILIE du Châtelet', 'Ada Lovelace', 'Grace Hopper']);
  assert.throws(() => Doc.objects.filter({ "data__own'er": 1 }), (e) => e instanceof FieldError && /cannot be a key in a path into the JSON column data/.test(e.message));
  db.close();
});

test('JSON key paths tell a JSON null, a missing key and SQL NULL apart, as Django does', async () => {
  const db = new NOORMME({ database: tempDb(), nPlusOne: false });
  await db.exec(`CREATE TABLE doc (id INTEGER PRIMARY KEY, data JSON);
    INSERT INTO doc VALUES (1, '{"owner": null}'), (2, '{}'), (3, NULL), (4, '{"owner": "ada"}');`);
  db.refreshSchema();
  const Doc = db.model('doc');
  const ids = async (filter) => Doc.objects.filter(filter).orderBy('id').valuesList('id', { flat: true });
  assert.deepEqual(await ids({ data__owner: null }), [1], 'a JSON null only');
  assert.deepEqual(await ids({ data__owner__isnull: true }), [2, 3], 'the key missing, or no document');
  assert.deepEqual(await ids({ data__owner__isnull: false }), [1, 4]);
  assert.deepEqual(await ids({ data__owner: 'ada' }), [4]);
  assert.deepEqual(await Doc.objects.exclude({ data__owner: null }).orderBy('id').valuesList('id', { flat: true }), [2, 3, 4]);
  db.close();
});
