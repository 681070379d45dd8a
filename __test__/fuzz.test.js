'use strict';
// Hostile filter keys and values, as they could arrive from searchParams:
// every call must either run as a bound query or throw a NOORMME error. No
// SQL syntax error may escape and nothing in the database may change.
const test = require('node:test');
const assert = require('node:assert/strict');
const crypto = require('node:crypto');
const { NOORMME, NoormmeError, SqliteError } = require('..');
const { copyShared } = require('./helpers');

// A seeded generator keeps failures reproducible.
function rng(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0) / 2 ** 32;
}

const FIELDS = ['TrackId', 'Name', 'AlbumId', 'Composer', 'Milliseconds', 'Bytes', 'UnitPrice', 'Album', 'Genre', 'Playlist', 'InvoiceLine'];
const DEEP = ['Title', 'Artist', 'Name', 'ArtistId', 'GenreId'];
const LOOKUPS = ['exact', 'iexact', 'contains', 'icontains', 'in', 'gt', 'gte', 'lt', 'lte', 'startswith', 'iendswith', 'range', 'isnull', 'year', 'month', 'date', 'regex'];
const NASTY = [
  "'; DROP TABLE Track; --",
  '" OR 1=1 --',
  'Name") OR ("1"="1',
  '1; DELETE FROM Track',
  '__proto__',
  'constructor',
  'toString',
  '%',
  '_',
  '\\',
  '\u0000',
  'ß',
  '😀',
  'Name\n',
  ' Name',
  'Name ',
  '',
  '__',
  'rowid',
  'sqlite_schema',
  '*',
  'Name AS x',
  'count(*)',
  'ǅ'.repeat(300),
];
const VALUES = [
  "x' OR '1'='1",
  "'); DROP TABLE Track; --",
  '%',
  '_',
  '\\%',
  '',
  0,
  -1,
  1.5,
  Number.MAX_SAFE_INTEGER,
  Infinity,
  -Infinity,
  NaN,
  2n ** 63n - 1n,
  2n ** 64n,
  true,
  false,
  null,
  undefined,
  [],
  [1, 2],
  [null],
  ['a', "b'"],
  [1],
  { $gt: 1 },
  { toString: () => 'x' },
  new Date('2022-01-01T00:00:00Z'),
  new Date('invalid'),
  Buffer.from('hi'),
  Symbol('s'),
  () => 1,
  new Set([1, 2]),
];

function pick(rand, list) {
  return list[Math.floor(rand() * list.length)];
}

function key(rand) {
  const parts = [];
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const r = rand();
    parts.push(r < 0.35 ? pick(rand, FIELDS) : r < 0.5 ? pick(rand, DEEP) : r < 0.75 ? pick(rand, LOOKUPS) : pick(rand, NASTY));
  }
  return parts.join(rand() < 0.9 ? '__' : pick(rand, ['_', '___', '.', ' ', '"']));
}

async function fingerprint(db) {
  const hash = crypto.createHash('sha256');
  const tables = await db.query("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name");
  for (const { name } of tables) {
    const rows = await db.query(`SELECT * FROM "${name.replace(/"/g, '""')}" ORDER BY rowid`).catch(() => db.query(`SELECT * FROM "${name}"`));
    hash.update(name);
    hash.update(JSON.stringify(rows, (k, v) => (typeof v === 'bigint' ? `${v}n` : Buffer.isBuffer(v) ? v.toString('hex') : v)));
  }
  hash.update(JSON.stringify(await db.query('SELECT type, name, sql FROM sqlite_schema ORDER BY name')));
  return hash.digest('hex');
}

test('10,000 hostile keys and values: bound queries or NOORMME errors, never SQL errors, no changes', async () => {
  const db = new NOORMME({ database: copyShared('chinook.sqlite') });
  const before = await fingerprint(db);
  const Track = db.model('Track');
  const rand = rng(20261124);
  const outcomes = { ran: 0, refused: 0 };
  for (let i = 0; i < 10000; i++) {
    const k = key(rand);
    const v = pick(rand, VALUES);
    const which = Math.floor(rand() * 4);
    try {
      let qs = Track.objects;
      if (which === 0) qs = qs.filter({ [k]: v });
      else if (which === 1) qs = qs.exclude({ [k]: v });
      else if (which === 2) qs = qs.orderBy(typeof v === 'string' ? v : k);
      else qs = qs.values(k);
      await (i % 2 ? qs.count() : qs.slice(0, 3));
      outcomes.ran++;
    } catch (err) {
      if (!(err instanceof NoormmeError) || err instanceof SqliteError) {
        assert.fail(`call ${i} ${JSON.stringify(k)} = ${String(v)} escaped as ${err && err.name}: ${err && err.message}`);
      }
      outcomes.refused++;
    }
  }
  assert.equal(outcomes.ran + outcomes.refused, 10000);
  assert.ok(outcomes.ran > 500, `enough calls ran as queries: ${JSON.stringify(outcomes)}`);
  assert.ok(outcomes.refused > 500, `enough calls were refused: ${JSON.stringify(outcomes)}`);
  assert.equal(await fingerprint(db), before, 'the database is unchanged');
  db.close();
});
