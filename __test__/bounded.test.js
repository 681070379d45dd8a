'use strict';
// Caches stay bounded whatever the workload: a server sees as many distinct
// queries as its users can vary requests (issue #16, first part).
const test = require('node:test');
const assert = require('node:assert/strict');
const { NOORMME } = require('..');
const { copyShared } = require('./helpers');

test('distinct raw SQL texts and QuerySet shapes leave the caches at their bounds, and every query still answers', async () => {
  const db = new NOORMME({ database: copyShared('chinook.sqlite'), nPlusOne: false });
  const Track = db.model('Track');
  const { statementCacheSize } = db.info();
  assert.equal(statementCacheSize, 2000);
  // A kept plan made first, and used again after thousands of other statements.
  assert.equal((await Track.objects.get({ TrackId: 1 })).Name, 'For Those About To Rock (We Salute You)');
  for (let i = 0; i < 5000; i++) {
    const [{ n }] = await db.query(`SELECT ${i} AS n`);
    assert.equal(n, i);
  }
  for (let i = 0; i < 3000; i++) {
    const [row] = await Track.objects.orderBy('TrackId').slice(i, i + 1);
    assert.equal(row.TrackId, i + 1);
  }
  const info = db.info();
  assert.ok(info.statementsCached <= statementCacheSize, JSON.stringify(info));
  assert.ok(info.compiledCached <= 3 * 1000, JSON.stringify(info));
  assert.equal((await Track.objects.get({ TrackId: 2 })).Name, 'Balls to the Wall');
  assert.equal(await Track.objects.filter({ TrackId__lte: 10 }).count(), 10);
  db.close();
});
