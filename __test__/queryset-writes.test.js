'use strict';
// Bulk writes (batching, conflicts, rollback), bulkUpdate, only/defer and
// `in` with a QuerySet, each checked against SQL written by hand.
const test = require('node:test');
const assert = require('node:assert/strict');
const { NOORMME, F, Q, FieldError, NoormmeError, SqliteError, DoesNotExist, MultipleObjectsReturned } = require('..');
const { copyShared, tempDb } = require('./helpers');

const chinook = new NOORMME({ database: copyShared('chinook.sqlite') });
test.after(() => chinook.close());

async function usersDb() {
  const db = new NOORMME({ database: tempDb() });
  await db.exec(`CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, visits INTEGER NOT NULL DEFAULT 0,
                   joined DATETIME DEFAULT '2020-01-01 00:00:00');`);
  db.refreshSchema();
  return db;
}

test('bulkCreate batches rows under the limit, keeps input order and fills defaults', async () => {
  const db = await usersDb();
  const User = db.model('users');
  const rows = Array.from({ length: 1234 }, (_, i) => ({ email: `u${i}@example.com`, name: `User ${i}` }));
  const made = await User.objects.bulkCreate(rows, { batchSize: 100 });
  assert.equal(made.length, 1234);
  assert.deepEqual(
    made.map((r) => r.email),
    rows.map((r) => r.email),
  );
  assert.deepEqual(made[5], { id: 6, email: 'u5@example.com', name: 'User 5', visits: 0, joined: new Date('2020-01-01T00:00:00Z') });
  assert.deepEqual(await db.query('SELECT count(*) AS n, min(id) AS lo, max(id) AS hi FROM users'), [{ n: 1234, lo: 1, hi: 1234 }]);
  // Rows with different fields go in separate statements, still in order.
  const mixed = await User.objects.bulkCreate([{ email: 'a@x' }, { email: 'b@x', visits: 7 }, { email: 'c@x', visits: 8 }]);
  assert.deepEqual(
    mixed.map((r) => [r.email, r.visits]),
    [
      ['a@x', 0],
      ['b@x', 7],
      ['c@x', 8],
    ],
  );
  // Rows come back as given (not read back), plus what the database filled in.
  const given = await User.objects.bulkCreate([{ email: 'g@x', joined: '2022-02-02 10:00:00', visits: 3 }]);
  assert.deepEqual(given, [{ email: 'g@x', joined: '2022-02-02 10:00:00', visits: 3, id: 1238, name: null }]);
  assert.deepEqual(await User.objects.get({ email: 'g@x' }), { id: 1238, email: 'g@x', name: null, visits: 3, joined: new Date('2022-02-02T10:00:00Z') });
  const whole = { id: 5000, email: 'whole@x', name: 'W', visits: 1, joined: new Date('2023-03-03T00:00:00Z') };
  assert.deepEqual(await User.objects.bulkCreate([whole]), [whole]);
  assert.deepEqual(await User.objects.get({ id: 5000 }), whole);
  // Wide rows: 32766 parameters / 5 fields per row, more rows than one statement takes.
  const wide = Array.from({ length: 7000 }, (_, i) => ({ email: `w${i}@x`, name: 'w', visits: i, joined: new Date(Date.UTC(2021, 0, 1, 0, 0, i % 60)), id: 10000 + i }));
  assert.equal((await User.objects.bulkCreate(wide)).length, 7000);
  assert.deepEqual(await db.query("SELECT count(*) AS n, sum(visits) AS s FROM users WHERE name = 'w'"), [{ n: 7000, s: (6999 * 7000) / 2 }]);
  db.close();
});

test('bulkCreate conflicts: ignore skips, update overwrites only the named fields', async () => {
  const db = await usersDb();
  const User = db.model('users');
  await User.objects.bulkCreate([
    { email: 'ada@x', name: 'Ada', visits: 1 },
    { email: 'bob@x', name: 'Bob', visits: 2 },
  ]);
  const ignored = await User.objects.bulkCreate(
    [
      { email: 'ada@x', name: 'Not Ada' },
      { email: 'cy@x', name: 'Cy' },
    ],
    { ignoreConflicts: true },
  );
  assert.deepEqual(
    ignored.map((r) => r.email),
    ['cy@x'],
  );
  assert.deepEqual(await db.query("SELECT name FROM users WHERE email = 'ada@x'"), [{ name: 'Ada' }]);
  const upserted = await User.objects.bulkCreate(
    [
      { email: 'bob@x', name: 'Robert', visits: 99 },
      { email: 'dee@x', name: 'Dee', visits: 4 },
    ],
    { updateConflicts: true, uniqueFields: ['email'], updateFields: ['name'] },
  );
  assert.deepEqual(
    upserted.map((r) => [r.email, r.name, r.visits]),
    [
      ['bob@x', 'Robert', 2],
      ['dee@x', 'Dee', 4],
    ],
  );
  assert.deepEqual(await db.query('SELECT email, name, visits FROM users ORDER BY id'), [
    { email: 'ada@x', name: 'Ada', visits: 1 },
    { email: 'bob@x', name: 'Robert', visits: 2 },
    { email: 'cy@x', name: 'Cy', visits: 0 },
    { email: 'dee@x', name: 'Dee', visits: 4 },
  ]);
  await assert.rejects(User.objects.bulkCreate([{ email: 'e@x' }], { updateConflicts: true, updateFields: ['name'] }), /needs uniqueFields/);
  await assert.rejects(User.objects.bulkCreate([{ email: 'e@x' }], { updateConflicts: true, uniqueFields: ['email'], updateFields: ['nmae'] }), (e) => e instanceof FieldError && /Did you mean 'name'/.test(e.message));
  await assert.rejects(User.objects.bulkCreate([{ email: 'e@x' }], { ignoreConflicts: true, updateConflicts: true }), /mutually exclusive/);
  await assert.rejects(User.objects.bulkCreate([{ emial: 'e@x' }]), (e) => e instanceof FieldError && /Did you mean 'email'/.test(e.message));
  await assert.rejects(User.objects.bulkCreate([{ email: undefined }]), { code: 'INVALID_LOOKUP_VALUE' });
  await assert.rejects(User.objects.bulkCreate([{ email: 'e@x' }], { batchSize: 0 }), { code: 'INVALID_ARGUMENT' });
  db.close();
});

test('a failed bulk write rolls back completely, earlier batches included', async () => {
  const db = await usersDb();
  const User = db.model('users');
  await User.objects.create({ email: 'taken@x' });
  const rows = Array.from({ length: 500 }, (_, i) => ({ email: i === 450 ? 'taken@x' : `n${i}@x` }));
  await assert.rejects(User.objects.bulkCreate(rows, { batchSize: 50 }), (e) => e instanceof SqliteError && e.code === 'SQLITE_CONSTRAINT_UNIQUE');
  assert.deepEqual(await db.query('SELECT count(*) AS n FROM users'), [{ n: 1 }]);
  // Inside an outer transaction, the whole transaction goes.
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.model('users').objects.bulkCreate([{ email: 'kept?@x' }]);
      await tx.model('users').objects.bulkCreate([{ email: 'x@x' }, { email: 'x@x' }]);
    }),
    { code: 'SQLITE_CONSTRAINT_UNIQUE' },
  );
  assert.deepEqual(await db.query('SELECT email FROM users'), [{ email: 'taken@x' }]);
  db.close();
});

test('bulkUpdate writes the named fields of each row by its key and counts matches', async () => {
  const Track = chinook.model('Track');
  const tracks = await Track.objects.filter({ AlbumId: 1 }).orderBy('TrackId');
  const changed = tracks.map((t, i) => ({ ...t, Composer: `Composer ${i}`, Milliseconds: t.Milliseconds + 1, Name: 'ignored' }));
  assert.equal(await Track.objects.bulkUpdate([...changed, { TrackId: 999999, Composer: 'x', Milliseconds: 1 }], ['Composer', 'Milliseconds']), tracks.length);
  const after = await chinook.query('SELECT TrackId, Name, Composer, Milliseconds FROM Track WHERE AlbumId = 1 ORDER BY TrackId');
  assert.deepEqual(
    after,
    tracks.map((t, i) => ({ TrackId: t.TrackId, Name: t.Name, Composer: `Composer ${i}`, Milliseconds: t.Milliseconds + 1 })),
  );
  await assert.rejects(Track.objects.bulkUpdate(changed, []), { code: 'INVALID_ARGUMENT' });
  await assert.rejects(Track.objects.bulkUpdate(changed, ['TrackId']), /part of the key/);
  await assert.rejects(Track.objects.bulkUpdate([{ Composer: 'x' }], ['Composer']), /lacks TrackId/);
  await assert.rejects(Track.objects.bulkUpdate(changed, ['Compser']), (e) => e instanceof FieldError && /Did you mean 'Composer'/.test(e.message));
});

test('only() and defer() load part of each row, always with the key', async () => {
  const Track = chinook.model('Track');
  const only = await Track.objects.filter({ AlbumId: 2 }).only('Name', 'Milliseconds');
  assert.deepEqual(only, await chinook.query('SELECT TrackId, Name, Milliseconds FROM Track WHERE AlbumId = 2 ORDER BY TrackId'));
  const deferred = await Track.objects.filter({ AlbumId: 2 }).defer('Composer', 'Bytes', 'UnitPrice');
  assert.deepEqual(deferred, await chinook.query('SELECT TrackId, Name, AlbumId, MediaTypeId, GenreId, Milliseconds FROM Track WHERE AlbumId = 2 ORDER BY TrackId'));
  // defer() after only() narrows what only() chose.
  assert.deepEqual(Object.keys((await Track.objects.only('Name', 'Composer').defer('Composer').first()) ?? {}), ['TrackId', 'Name']);
  assert.throws(() => Track.objects.only('Nmae'), (e) => e instanceof FieldError && /Did you mean 'Name'/.test(e.message));
  // With prefetch(): the rows also load the columns each relation follows.
  const albumOf = async (id) => (await chinook.query('SELECT * FROM Album WHERE AlbumId = ?', [id]))[0];
  const withAlbum = await Track.objects.filter({ AlbumId: 2 }).only('Name').prefetch('Album');
  const album2 = await albumOf(2);
  assert.deepEqual(withAlbum, (await chinook.query('SELECT TrackId, Name, AlbumId FROM Track WHERE AlbumId = 2 ORDER BY TrackId')).map((t) => ({ ...t, Album: album2 })));
  const { Prefetch } = require('..');
  const albums = await chinook.model('Album').objects.filter({ AlbumId__in: [1, 4] }).defer('Title').prefetch(new Prefetch('Track', { queryset: Track.objects.only('Name').orderBy('-TrackId') }), 'Track__Genre');
  assert.deepEqual(albums.map((a) => Object.keys(a)), [['AlbumId', 'ArtistId', 'Track'], ['AlbumId', 'ArtistId', 'Track']]);
  for (const album of albums) {
    const tracks = await chinook.query('SELECT TrackId, Name, AlbumId, GenreId FROM Track WHERE AlbumId = ? ORDER BY TrackId DESC', [album.AlbumId]);
    assert.deepEqual(album.Track.map(({ Genre, ...t }) => t), tracks);
    for (const t of album.Track) assert.equal(t.Genre.GenreId, tracks.find((x) => x.TrackId === t.TrackId).GenreId);
  }
  // With selectRelated(), in either order: the chosen fields plus the related object.
  const expected = (await chinook.query(
    `SELECT t.TrackId, t.Name, a.AlbumId, a.Title, a.ArtistId, r.ArtistId AS rid, r.Name AS artist
       FROM Track t JOIN Album a ON a.AlbumId = t.AlbumId JOIN Artist r ON r.ArtistId = a.ArtistId WHERE t.AlbumId = 2 ORDER BY t.TrackId`,
  )).map((r) => ({ TrackId: r.TrackId, Name: r.Name, Album: { AlbumId: r.AlbumId, Title: r.Title, ArtistId: r.ArtistId, Artist: { ArtistId: r.rid, Name: r.artist } } }));
  assert.deepEqual(await Track.objects.filter({ AlbumId: 2 }).only('Name').selectRelated('Album__Artist'), expected);
  assert.deepEqual(await Track.objects.filter({ AlbumId: 2 }).selectRelated('Album__Artist').only('Name'), expected);
  const slim = await Track.objects.filter({ AlbumId: 2 }).selectRelated('Genre').defer('Composer', 'Bytes', 'UnitPrice', 'Milliseconds', 'MediaTypeId').first();
  assert.deepEqual(Object.keys(slim), ['TrackId', 'Name', 'AlbumId', 'GenreId', 'Genre']);
  assert.deepEqual(slim.Genre, (await chinook.query('SELECT g.* FROM Genre g JOIN Track t ON t.GenreId = g.GenreId WHERE t.TrackId = ?', [slim.TrackId]))[0]);
  // As the right side of __in, whole rows (only() or selectRelated() included) stand for their key.
  const ac = await Track.objects.filter({ Album__in: chinook.model('Album').objects.filter({ ArtistId: 1 }).only('Title').selectRelated('Artist') }).count();
  assert.equal(ac, 18);
});

test('in with a QuerySet runs one query with a subquery', async () => {
  const Track = chinook.model('Track');
  const Album = chinook.model('Album');
  const acdc = Album.objects.filter({ Artist__Name: 'AC/DC' });
  const viaPk = await Track.objects.filter({ Album__in: acdc, Milliseconds__gt: 300000 }).valuesList('TrackId', { flat: true });
  const expected = (
    await chinook.query(
      `SELECT TrackId FROM Track WHERE AlbumId IN (SELECT a.AlbumId FROM Album a JOIN Artist r ON r.ArtistId = a.ArtistId WHERE r.Name = ?)
       AND Milliseconds > ? ORDER BY TrackId`,
      ['AC/DC', 300000],
    )
  ).map((r) => r.TrackId);
  assert.ok(expected.length > 0);
  assert.deepEqual(viaPk, expected);
  // A chosen column, values on both sides of the subquery, and exclude().
  const genres = chinook.model('Genre').objects.filter({ Name__in: ['Jazz', 'Blues'] }).valuesList('GenreId', { flat: true });
  const jazzBlues = await Track.objects.filter({ Milliseconds__lt: 200000 }).filter({ GenreId__in: genres }).exclude({ Composer__isnull: true }).count();
  const [{ n }] = await chinook.query("SELECT count(*) AS n FROM Track WHERE Milliseconds < ? AND GenreId IN (SELECT GenreId FROM Genre WHERE Name IN ('Jazz', 'Blues')) AND Composer IS NOT NULL", [200000]);
  assert.equal(jazzBlues, n);
  // The same shape with other values reuses the statement and binds the new ones.
  const other = await Track.objects.filter({ Album__in: Album.objects.filter({ Artist__Name: 'Aerosmith' }), Milliseconds__gt: 0 }).count();
  const [{ n: aero }] = await chinook.query('SELECT count(*) AS n FROM Track t JOIN Album a ON a.AlbumId = t.AlbumId JOIN Artist r ON r.ArtistId = a.ArtistId WHERE r.Name = ?', ['Aerosmith']);
  assert.equal(other, aero);
  // An empty QuerySet matches nothing; a two-column one is refused.
  assert.deepEqual(await Track.objects.filter({ Album__in: Album.objects.none() }), []);
  assert.throws(() => Track.objects.filter({ Album__in: Album.objects.values('AlbumId', 'Title') }), (e) => e instanceof NoormmeError && /needs exactly one/.test(e.message));
  // A QuerySet of another database file cannot be a subquery (Django refuses it too);
  // another NOORMME instance on the same file can.
  const otherDb = new NOORMME({ database: copyShared('chinook.sqlite') });
  const sameFile = new NOORMME({ database: chinook.shared.file });
  try {
    assert.throws(
      () => Track.objects.filter({ Album__in: otherDb.model('Album').objects.filter({ ArtistId: 1 }) }),
      (e) => e.code === 'INVALID_LOOKUP_VALUE' && /another database/.test(e.message),
    );
    assert.throws(() => Track.objects.exclude(Q.or({ Album__in: otherDb.model('Album').objects.all() }, { TrackId: 1 })), /another database/);
    assert.equal(await Track.objects.filter({ Album__in: sameFile.model('Album').objects.filter({ ArtistId: 1 }) }).count(), 18);
  } finally {
    otherDb.close();
    sameFile.close();
  }
  // Updates and deletes through a subquery touch only the rows it names.
  const Genre = chinook.model('Genre');
  const spare = await Genre.objects.bulkCreate([{ Name: 'zz-1' }, { Name: 'zz-2' }]);
  assert.equal(await Genre.objects.filter({ GenreId__in: Genre.objects.filter({ Name__startswith: 'zz-' }) }).delete(), 2);
  assert.equal(await Genre.objects.filter({ GenreId__in: spare.map((g) => g.GenreId) }).count(), 0);
});

test('get() with a plain object takes the kept plan and behaves like the QuerySet path', async () => {
  const db = new NOORMME({ database: copyShared('chinook.sqlite'), nPlusOne: false });
  const Track = db.model('Track');
  for (const id of [1, 2, 3500, 1]) {
    assert.deepEqual(await Track.objects.get({ TrackId: id }), await Track.objects.filter({ TrackId: id }).get());
  }
  assert.deepEqual(await Track.objects.get({ AlbumId: 1, Name__startswith: 'For Those' }), (await Track.objects.filter({ TrackId: 1 }))[0]);
  assert.equal(db.model('Track').getPlans.size, 2);
  // The same keys in another order are another plan, binding each value to its own key.
  assert.deepEqual(await Track.objects.get({ Name__startswith: 'For Those', AlbumId: 1 }), (await Track.objects.filter({ TrackId: 1 }))[0]);
  await assert.rejects(Track.objects.get({ Name__startswith: 'For Those', AlbumId: 2 }), DoesNotExist);
  assert.equal(db.model('Track').getPlans.size, 3);
  // Plans are kept per key, never per joined key text: a key holding the
  // others joined by NUL is its own (wrong) field, for get() and filter().
  await assert.rejects(Track.objects.get({ AlbumId: 1, GenreId: 1 }), MultipleObjectsReturned);
  await assert.rejects(Track.objects.get({ 'AlbumId\u0000GenreId': 1 }), FieldError);
  assert.equal(await Track.objects.filter({ AlbumId: 1, GenreId: 1 }).count(), 10);
  assert.throws(() => Track.objects.filter({ 'AlbumId\u0000GenreId': 1 }), FieldError);
  await assert.rejects(Track.objects.get({ TrackId: 999999 }), (e) => e instanceof DoesNotExist && /Track matching \{"TrackId":999999\} does not exist/.test(e.message));
  await assert.rejects(Track.objects.get({ AlbumId: 1 }), (e) => e instanceof MultipleObjectsReturned && /more than one Track/.test(e.message));
  await assert.rejects(Track.objects.get({ TrakId: 1 }), (e) => e instanceof FieldError && /Did you mean 'TrackId'/.test(e.message));
  // Values are bound through the column's policy, in a transaction too.
  const Invoice = db.model('Invoice');
  const first = await Invoice.objects.filter({ InvoiceId: 1 }).get();
  assert.ok(first.InvoiceDate instanceof Date);
  await db.transaction(async (tx) => {
    await tx.execute('UPDATE Invoice SET Total = 123.45 WHERE InvoiceId = 1');
    assert.equal((await tx.model('Invoice').objects.get({ InvoiceId: 1 })).Total, 123.45);
  });
  // Other value kinds take the QuerySet path and still work.
  assert.deepEqual(await Invoice.objects.get({ InvoiceId: 1, InvoiceDate: first.InvoiceDate }), { ...first, Total: 123.45 });
  db.close();
});

test('orderBy takes expressions with asc()/desc(), and alias() names order by their expression', async () => {
  const { F, Lower, Count, Length } = require('..');
  const Track = chinook.model('Track');
  const ratio = await Track.objects.filter({ AlbumId: 1 }).orderBy(F('Bytes').div(F('Milliseconds')).desc(), 'TrackId').valuesList('TrackId', { flat: true });
  assert.deepEqual(ratio, (await chinook.query('SELECT TrackId FROM Track WHERE AlbumId = 1 ORDER BY Bytes / Milliseconds DESC, TrackId')).map((r) => r.TrackId));
  const longest = await chinook.model('Artist').objects.orderBy(Length('Name').desc(), 'ArtistId').slice(0, 5).valuesList('ArtistId', { flat: true });
  assert.deepEqual(longest, (await chinook.query('SELECT ArtistId FROM Artist ORDER BY length(Name) DESC, ArtistId LIMIT 5')).map((r) => r.ArtistId));
  const biggest = await chinook.model('Album').objects.orderBy(Count('Track').desc(), 'AlbumId').slice(0, 5).valuesList('AlbumId', { flat: true });
  const byHand = 'SELECT a.AlbumId FROM Album a LEFT JOIN Track t ON t.AlbumId = a.AlbumId GROUP BY a.AlbumId ORDER BY count(t.TrackId) DESC, a.AlbumId';
  assert.deepEqual(biggest, (await chinook.query(`${byHand} LIMIT 5`)).map((r) => r.AlbumId));
  const smallestLast = await chinook.model('Album').objects.orderBy(Count('Track').desc(), 'AlbumId').reverse().slice(0, 3).valuesList('AlbumId', { flat: true });
  assert.deepEqual(smallestLast, (await chinook.query('SELECT a.AlbumId FROM Album a LEFT JOIN Track t ON t.AlbumId = a.AlbumId GROUP BY a.AlbumId ORDER BY count(t.TrackId), a.AlbumId DESC LIMIT 3')).map((r) => r.AlbumId));
  // alias(): not selected, but it orders (it used to be read as a string constant).
  const named = await chinook.model('Artist').objects.alias({ folded: Lower('Name') }).orderBy('-folded').slice(0, 3);
  assert.deepEqual(named.map((a) => a.ArtistId), (await chinook.query('SELECT ArtistId FROM Artist ORDER BY lower(Name) DESC LIMIT 3')).map((r) => r.ArtistId));
  assert.ok(!('folded' in named[0]));
  assert.throws(() => Track.objects.orderBy(F('Nmae').desc()), (e) => e instanceof FieldError && /Did you mean 'Name'/.test(e.message));
  assert.throws(() => Track.objects.orderBy(42), { code: 'INVALID_QUERY' });
});

test('decimal comparisons on NUMERIC columns, with numbers or decimal strings', async () => {
  const Track = chinook.model('Track');
  const [{ n: dear }] = await chinook.query('SELECT count(*) AS n FROM Track WHERE UnitPrice > 0.99');
  assert.ok(dear > 0);
  assert.equal(await Track.objects.filter({ UnitPrice__gt: 0.99 }).count(), dear);
  assert.equal(await Track.objects.filter({ UnitPrice__gt: '0.99' }).count(), dear);
  assert.equal(await Track.objects.filter({ UnitPrice: '1.99' }).count(), dear);
  assert.equal(await Track.objects.filter({ UnitPrice__range: ['0.50', '1.00'] }).count(), (await chinook.query('SELECT count(*) AS n FROM Track WHERE UnitPrice BETWEEN 0.5 AND 1'))[0].n);
  const asText = new NOORMME({ database: copyShared('chinook.sqlite'), decimalAsString: true });
  const row = await asText.model('Track').objects.filter({ UnitPrice__gte: '1.99' }).first();
  assert.equal(row.UnitPrice, '1.99');
  assert.equal(await asText.model('Track').objects.filter({ UnitPrice: row.UnitPrice }).count(), dear);
  asText.close();
});

test('filter({ plain }).update({ plain }) takes a kept plan and behaves like the general path', async () => {
  const db = new NOORMME({ database: copyShared('chinook.sqlite'), nPlusOne: false });
  const Track = db.model('Track');
  const sum = async (where) => (await db.query(`SELECT sum(Milliseconds) AS s, count(*) AS n FROM Track WHERE ${where}`))[0];
  assert.equal(await Track.objects.filter({ AlbumId: 1 }).update({ Milliseconds: 1000 }), 10);
  assert.equal(await Track.objects.filter({ AlbumId: 2 }).update({ Milliseconds: 2000 }), 1);
  assert.deepEqual(await sum('AlbumId IN (1, 2)'), { s: 12000, n: 11 });
  // One UPDATE kept for the clause's keys and the updated fields, whatever the values.
  assert.equal(Track.objects.filter({ AlbumId: 0 }).state.where[0].plain.updatePlans.size, 1);
  // Values are taken when filter() is called, as on the general path.
  const conditions = { AlbumId: 3, GenreId: 1 };
  const qs = Track.objects.filter(conditions);
  conditions.AlbumId = 1;
  assert.equal(await qs.update({ Composer: null, Milliseconds: 3 }), (await sum('AlbumId = 3 AND GenreId = 1')).n);
  assert.deepEqual(await db.query('SELECT DISTINCT Composer, Milliseconds FROM Track WHERE AlbumId = 3 AND GenreId = 1'), [{ Composer: null, Milliseconds: 3 }]);
  assert.deepEqual(await sum('AlbumId = 1'), { s: 10000, n: 10 });
  // The same fields in another order bind each value to its own column.
  assert.equal(await Track.objects.filter({ GenreId: 1, AlbumId: 3 }).update({ Milliseconds: 4, Composer: 'C' }), (await sum('AlbumId = 3 AND GenreId = 1')).n);
  assert.deepEqual(await db.query('SELECT DISTINCT Composer, Milliseconds FROM Track WHERE AlbumId = 3 AND GenreId = 1'), [{ Composer: 'C', Milliseconds: 4 }]);
  // exclude(), F() and other chains take the general path with the same results.
  assert.equal(await Track.objects.exclude({ AlbumId__lte: 346 }).update({ Milliseconds: F('Milliseconds').add(1) }), (await sum('AlbumId > 346')).n);
  await assert.rejects(Track.objects.filter({ AlbumId: 1 }).update({ Milliseconds: undefined }), { code: 'INVALID_LOOKUP_VALUE' });
  await assert.rejects(Track.objects.filter({ AlbumId: 1 }).update({ Milisecond: 1 }), (e) => e instanceof FieldError && /Did you mean 'Milliseconds'/.test(e.message));
  // Inside a transaction that fails, the planned update rolls back too.
  await assert.rejects(
    db.transaction(async (tx) => {
      await tx.model('Track').objects.filter({ AlbumId: 1 }).update({ Milliseconds: 7 });
      throw new Error('no');
    }),
    /no/,
  );
  assert.deepEqual(await sum('AlbumId = 1'), { s: 10000, n: 10 });
  db.close();
});
