'use strict';
// filterSet.apply() under 10,000 random and hostile requests on chinook:
// results only narrow, a request's undeclared parameters change nothing,
// and nothing fails (no SQL error, no exception of any kind).
const test = require('node:test');
const assert = require('node:assert/strict');
const { NOORMME } = require('..');
const { copyShared } = require('./helpers');

function rng(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s ^ (s >>> 15), 2246822507) + 0x9e3779b9) >>> 0) / 2 ** 32;
}

const pick = (rand, list) => list[Math.floor(rand() * list.length)];

const FIELDS = {
  Name: ['exact', 'icontains', 'startswith', 'iendswith', 'regex', 'in'],
  Composer: ['icontains', 'isnull'],
  Milliseconds: ['gte', 'lte', 'range', 'in'],
  UnitPrice: ['lt', 'exact'],
  Album__Title: ['exact', 'icontains'],
  Album__Artist__Name: ['istartswith'],
  Genre: ['exact', 'in'],
  InvoiceLine__Invoice__InvoiceDate: ['year', 'gte', 'date'],
  Playlist__Name: ['in'],
};
const DECLARED = Object.entries(FIELDS).flatMap(([f, lookups]) => lookups.map((l) => (l === 'exact' ? f : `${f}__${l}`)));
const UNDECLARED = ['utm_source', 'page', 'Album__Artist__ArtistId__gt', 'InvoiceLine__Invoice__Customer__Email__startswith', 'Bytes', 'Name__contains', 'Name__iregex', '__proto__', 'constructor', 'o2', 'Name__in__in', ''];
const TEXTS = [
  '',
  ' ',
  'a',
  'Love',
  'love,you',
  '1',
  '0',
  '-1',
  '2.99',
  '0.99',
  '300000',
  '200000,400000',
  '1,2,3',
  ',,,',
  'true',
  'false',
  'null',
  '2009-01-01',
  '2010-02-30',
  '2011-06-15T10:00:00Z',
  '1e308',
  '99999999999999999999999',
  'NaN',
  "x' OR '1'='1",
  '%',
  '_',
  '*',
  '[a]',
  '\\',
  '\u0000',
  'x\u0000y',
  '(a+)+$',
  '(',
  '.*',
  '😀',
  'ß',
  'Name',
  '-Name',
  'Milliseconds,-UnitPrice',
  'Milliseconds,Milliseconds',
  'a'.repeat(2000),
  Array.from({ length: 150 }, (_, i) => i).join(','),
];

test('10,000 random and hostile requests: results only narrow, undeclared parameters change nothing, nothing throws', async () => {
  const db = new NOORMME({ database: copyShared('chinook.sqlite'), nPlusOne: false });
  const Track = db.model('Track');
  const filters = Track.filterSet({ fields: FIELDS, orderBy: ['Name', 'Milliseconds', 'UnitPrice', 'Album__Title'] });
  const base = Track.objects.filter({ MediaType: 1 });
  const baseIds = new Set(await base.valuesList('TrackId', { flat: true }));
  const rand = rng(20261129);
  const outcomes = { matched: 0, empty: 0, errors: 0 };
  for (let i = 0; i < 10000; i++) {
    const declared = new URLSearchParams();
    const n = Math.floor(rand() * 4);
    for (let j = 0; j < n; j++) declared.append(rand() < 0.9 ? pick(rand, DECLARED) : 'o', pick(rand, TEXTS));
    const noisy = new URLSearchParams(declared);
    for (let j = Math.floor(rand() * 3); j > 0; j--) noisy.append(pick(rand, UNDECLARED), pick(rand, TEXTS));
    // The same request as a Next.js searchParams object (repeated keys as arrays), every third time.
    const asObject = (params) => {
      const out = {};
      for (const k of new Set(params.keys())) {
        const all = params.getAll(k);
        out[k] = all.length === 1 ? all[0] : all;
      }
      return out;
    };
    const form = i % 3 === 0 ? asObject : (p) => p;
    const label = `request ${i}: ${noisy}`.slice(0, 300);
    let rows;
    let plain;
    try {
      const result = filters.apply(form(declared), base);
      rows = await result.qs.slice(0, 50).valuesList('TrackId', { flat: true });
      const again = filters.apply(form(noisy), base);
      assert.deepEqual(again.errors, result.errors, label);
      assert.deepEqual(await again.qs.slice(0, 50).valuesList('TrackId', { flat: true }), rows, label);
      plain = result;
    } catch (err) {
      assert.fail(`${label} threw ${err && err.name}: ${err && err.message}`);
    }
    for (const id of rows) assert.ok(baseIds.has(id), `${label} widened the result with ${id}`);
    if (Object.keys(plain.errors).length) {
      assert.equal(rows.length, 0, label);
      outcomes.errors++;
    } else if (rows.length) outcomes.matched++;
    else outcomes.empty++;
  }
  assert.ok(outcomes.matched > 1000 && outcomes.errors > 500 && outcomes.empty > 500, JSON.stringify(outcomes));
  db.close();
});
