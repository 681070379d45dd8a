'use strict';
// QuerySet behaviour on real databases, each result checked against SQL
// written by hand for the same question.
const test = require('node:test');
const assert = require('node:assert/strict');
const { NOORMME, Q, F, FieldError, DoesNotExist, MultipleObjectsReturned, NoormmeError } = require('..');
const { copyShared } = require('./helpers');

const chinook = new NOORMME({ database: copyShared('chinook.sqlite') });
const sakila = new NOORMME({ database: copyShared('sakila.sqlite') });
test.after(() => {
  chinook.close();
  sakila.close();
});

const ids = (rows, key) => rows.map((r) => r[key]);

test('filter, orderBy, slice and values across forward relations', async () => {
  const Track = chinook.model('Track');
  const got = await Track.objects
    .filter({ Album__Artist__Name: 'AC/DC', Milliseconds__gte: 250000 })
    .orderBy('-Milliseconds', 'Name')
    .values('Name', 'Album__Title')
    .slice(1, 4);
  const want = await chinook.query(
    `SELECT t.Name AS Name, al.Title AS Album__Title FROM Track t JOIN Album al ON al.AlbumId = t.AlbumId JOIN Artist ar ON ar.ArtistId = al.ArtistId
     WHERE ar.Name = 'AC/DC' AND t.Milliseconds >= 250000 ORDER BY t.Milliseconds DESC, t.Name LIMIT 3 OFFSET 1`,
  );
  assert.deepEqual(got, want);
  assert.equal(got.length, 3);
});

test('every lookup matches its hand-written SQL', async () => {
  const Track = chinook.model('Track');
  const cases = [
    [{ Name: 'Balls to the Wall' }, "Name = 'Balls to the Wall'"],
    [{ Name__iexact: 'BALLS TO THE WALL' }, "lower(Name) = 'balls to the wall'"],
    [{ Name__contains: 'Love' }, "instr(Name, 'Love') > 0"],
    [{ Name__icontains: 'love' }, "lower(Name) LIKE '%love%'"],
    [{ Name__startswith: 'The' }, "substr(Name, 1, 3) = 'The'"],
    [{ Name__istartswith: 'the' }, "lower(Name) LIKE 'the%'"],
    [{ Name__endswith: 'Blues' }, "substr(Name, -5) = 'Blues'"],
    [{ Name__iendswith: 'BLUES' }, "lower(Name) LIKE '%blues'"],
    [{ TrackId__in: [1, 2, 3, null] }, 'TrackId IN (1, 2, 3)'],
    [{ Milliseconds__gt: 500000 }, 'Milliseconds > 500000'],
    [{ Milliseconds__lte: 30000 }, 'Milliseconds <= 30000'],
    [{ Bytes__range: [1000000, 2000000] }, 'Bytes BETWEEN 1000000 AND 2000000'],
    [{ Composer__isnull: true }, 'Composer IS NULL'],
    [{ Composer: null }, 'Composer IS NULL'],
    [{ Composer__isnull: false, GenreId: 1 }, 'Composer IS NOT NULL AND GenreId = 1'],
    [{ UnitPrice__gt: 0.99 }, 'UnitPrice > 0.99'],
    [{ GenreId__lt: F('MediaTypeId') }, 'GenreId < MediaTypeId'],
    [{ Milliseconds__gt: F('Bytes').div(30) }, 'Milliseconds > Bytes / 30'],
  ];
  for (const [filter, where] of cases) {
    const got = ids(await Track.objects.filter(filter).orderBy('TrackId').values('TrackId'), 'TrackId');
    const want = ids(await chinook.query(`SELECT TrackId FROM Track WHERE ${where} ORDER BY TrackId`), 'TrackId');
    assert.ok(want.length > 0, `${where} selects something`);
    assert.deepEqual(got, want, JSON.stringify(filter));
  }
});

test('contains is case-sensitive and i-lookups fold Unicode; % and _ are literal', async () => {
  const Artist = chinook.model('Artist');
  const exact = await Artist.objects.filter({ Name__contains: 'Antônio' }).values('Name');
  assert.ok(exact.length > 0);
  assert.deepEqual(await Artist.objects.filter({ Name__contains: 'antônio' }).values('Name'), []);
  assert.deepEqual(await Artist.objects.filter({ Name__icontains: 'ANTÔNIO' }).values('Name'), exact);
  // SQLite's LIKE would treat % and _ as wildcards; here they are characters.
  assert.equal(await Artist.objects.filter({ Name__contains: '%' }).count(), 0);
  assert.equal(await Artist.objects.filter({ Name__contains: '_' }).count(), 0);
  // endswith runs as GLOB: its wildcards in a value are characters too.
  const [{ n: endsInS }] = await chinook.query("SELECT count(*) AS n FROM Artist WHERE substr(Name, -1) = 's'");
  assert.equal(await Artist.objects.filter({ Name__endswith: 's' }).count(), endsInS);
  assert.equal(await Artist.objects.filter({ Name__endswith: 'S' }).count(), (await chinook.query("SELECT count(*) AS n FROM Artist WHERE substr(Name, -1) = 'S'"))[0].n);
  const odd = await Artist.objects.create({ Name: 'Odd [*?] name*' });
  for (const suffix of ['*', '?] name*', '[*?] name*', 'name*']) {
    assert.deepEqual(await Artist.objects.filter({ Name__endswith: suffix }).valuesList('ArtistId', { flat: true }), [odd.ArtistId], suffix);
  }
  assert.equal(await Artist.objects.filter({ Name__endswith: '?' }).count(), 0);
  assert.equal(await Artist.objects.filter({ Name__endswith: '' }).count(), await Artist.objects.count());
  await Artist.objects.filter({ ArtistId: odd.ArtistId }).delete();
  assert.equal(await Artist.objects.filter({ Name__icontains: '' }).count(), await Artist.objects.count());
});

test('in with an empty list returns nothing without running SQL', async () => {
  const events = [];
  const db = new NOORMME({ database: copyShared('chinook.sqlite'), log: (e) => events.push(e.sql) });
  const Track = db.model('Track');
  assert.deepEqual(await Track.objects.filter({ TrackId__in: [] }), []);
  assert.deepEqual(await Track.objects.filter({ TrackId__in: [null] }), []);
  assert.equal(await Track.objects.filter({ TrackId__in: [] }).count(), 0);
  assert.deepEqual(events, []);
  db.close();
});

test('exclude keeps rows where the field is NULL, as Django does', async () => {
  const Track = chinook.model('Track');
  const total = await Track.objects.count();
  const acdc = await Track.objects.filter({ Composer: 'AC/DC' }).count();
  assert.equal(await Track.objects.exclude({ Composer: 'AC/DC' }).count(), total - acdc);
  const [{ n }] = await chinook.query("SELECT count(*) AS n FROM Track WHERE Composer IS NOT 'AC/DC'");
  assert.equal(total - acdc, n);
});

test('Q objects: or, not, xor and nesting', async () => {
  const Track = chinook.model('Track');
  const count = async (where) => (await chinook.query(`SELECT count(*) AS n FROM Track WHERE ${where}`))[0].n;
  assert.equal(await Track.objects.filter(Q.or({ GenreId: 1 }, { GenreId: 2 })).count(), await count('GenreId IN (1, 2)'));
  assert.equal(await Track.objects.filter(Q.not({ GenreId: 1 })).count(), await count('GenreId IS NOT 1'));
  assert.equal(
    await Track.objects.filter(Q.xor({ GenreId: 1 }, { MediaTypeId: 1 })).count(),
    await count('(GenreId = 1) + (MediaTypeId = 1) = 1'),
  );
  assert.equal(
    await Track.objects.filter(Q({ GenreId: 1 }).and(Q.or({ Milliseconds__gt: 400000 }, { Composer__isnull: true }))).count(),
    await count('GenreId = 1 AND (Milliseconds > 400000 OR Composer IS NULL)'),
  );
});

test('multi-valued relations: one filter() call means the same related row, chained calls do not', async () => {
  const Playlist = chinook.model('Playlist');
  // Rock (genre 1) tracks that are protected AAC (media type 2), versus a Rock track and some protected AAC track.
  const same = await Playlist.objects.filter({ Track__GenreId: 1, Track__MediaTypeId: 2 }).orderBy('PlaylistId').values('PlaylistId');
  const wantSame = await chinook.query(
    `SELECT PlaylistId FROM Playlist p WHERE EXISTS (SELECT 1 FROM PlaylistTrack pt JOIN Track t ON t.TrackId = pt.TrackId
       WHERE pt.PlaylistId = p.PlaylistId AND t.GenreId = 1 AND t.MediaTypeId = 2) ORDER BY PlaylistId`,
  );
  const chained = await Playlist.objects.filter({ Track__GenreId: 1 }).filter({ Track__MediaTypeId: 2 }).orderBy('PlaylistId').values('PlaylistId');
  const wantChained = await chinook.query(
    `SELECT PlaylistId FROM Playlist p
     WHERE EXISTS (SELECT 1 FROM PlaylistTrack pt JOIN Track t ON t.TrackId = pt.TrackId WHERE pt.PlaylistId = p.PlaylistId AND t.GenreId = 1)
       AND EXISTS (SELECT 1 FROM PlaylistTrack pt JOIN Track t ON t.TrackId = pt.TrackId WHERE pt.PlaylistId = p.PlaylistId AND t.MediaTypeId = 2)
     ORDER BY PlaylistId`,
  );
  assert.deepEqual(same, wantSame);
  assert.deepEqual(chained, wantChained);
  assert.ok(chained.length > same.length, `chained ${chained.length} vs same-row ${same.length}: Chinook shows the difference`);
});

test('reverse relations and exclude across them (NOT EXISTS)', async () => {
  const Artist = chinook.model('Artist');
  const withAlbums = await Artist.objects.filter({ Album__Title__icontains: 'greatest' }).orderBy('ArtistId').values('ArtistId');
  const want = await chinook.query(
    "SELECT DISTINCT ar.ArtistId FROM Artist ar JOIN Album al ON al.ArtistId = ar.ArtistId WHERE lower(al.Title) LIKE '%greatest%' ORDER BY ar.ArtistId",
  );
  assert.deepEqual(withAlbums, want);
  const noAlbums = await Artist.objects.exclude({ Album__isnull: false }).count();
  const [{ n }] = await chinook.query('SELECT count(*) AS n FROM Artist ar WHERE NOT EXISTS (SELECT 1 FROM Album al WHERE al.ArtistId = ar.ArtistId)');
  assert.equal(noAlbums, n);
  assert.ok(n > 0);
});

test('date transforms work on the stored format; __year is exact', async () => {
  const Invoice = chinook.model('Invoice');
  const byYear = await Invoice.objects.filter({ InvoiceDate__year: 2022 }).count();
  const [{ n }] = await chinook.query("SELECT count(*) AS n FROM Invoice WHERE InvoiceDate >= '2022-01-01' AND InvoiceDate < '2023-01-01'");
  assert.equal(byYear, n);
  const quarter = await Invoice.objects.filter({ InvoiceDate__year: 2022, InvoiceDate__quarter: 2 }).count();
  const [{ q }] = await chinook.query("SELECT count(*) AS q FROM Invoice WHERE InvoiceDate >= '2022-04-01' AND InvoiceDate < '2022-07-01'");
  assert.equal(quarter, q);
  // Comparing with a Date encodes it in the column's storage format.
  const since = await Invoice.objects.filter({ InvoiceDate__gte: new Date('2025-06-01T00:00:00Z') }).count();
  const [{ s }] = await chinook.query("SELECT count(*) AS s FROM Invoice WHERE InvoiceDate >= '2025-06-01 00:00:00'");
  assert.equal(since, s);
  const rows = await Invoice.objects.filter({ InvoiceDate__year: 2022 }).orderBy('InvoiceDate').slice(0, 1);
  assert.ok(rows[0].InvoiceDate instanceof Date);
});

test('get, first, last, exists, latest, earliest, inBulk', async () => {
  const Track = chinook.model('Track');
  assert.equal((await Track.objects.get({ TrackId: 3 })).Name, 'Fast As a Shark');
  await assert.rejects(Track.objects.get({ TrackId: -1 }), (e) => e instanceof DoesNotExist && /Track matching \{"TrackId":-1\} does not exist/.test(e.message));
  await assert.rejects(Track.objects.get({ GenreId: 1 }), (e) => e instanceof MultipleObjectsReturned && /more than 20/.test(e.message));
  assert.equal((await Track.objects.first()).TrackId, 1);
  assert.equal((await Track.objects.last()).TrackId, 3503);
  assert.equal((await Track.objects.orderBy('-Milliseconds').first()).Name, (await chinook.query('SELECT Name FROM Track ORDER BY Milliseconds DESC LIMIT 1'))[0].Name);
  assert.equal(await Track.objects.filter({ Name: 'nope' }).first(), null);
  assert.equal(await Track.objects.filter({ GenreId: 1 }).exists(), true);
  assert.equal(await Track.objects.filter({ GenreId: -1 }).exists(), false);
  assert.equal((await chinook.model('Invoice').objects.latest('InvoiceDate')).InvoiceId, (await chinook.query('SELECT InvoiceId FROM Invoice ORDER BY InvoiceDate DESC, InvoiceId DESC LIMIT 1'))[0].InvoiceId);
  const bulk = await Track.objects.inBulk([1, 2, 99999]);
  assert.deepEqual(Object.keys(bulk), ['1', '2']);
  assert.deepEqual(await Track.objects.filter({ TrackId__lte: 3 }).valuesList('Name', { flat: true }).orderBy('TrackId'), [
    'For Those About To Rock (We Salute You)',
    'Balls to the Wall',
    'Fast As a Shark',
  ]);
});

test('streaming with for await reads every row in chunks', async () => {
  let n = 0;
  let last = 0;
  for await (const row of sakila.model('payment').objects.orderBy('payment_id').values('payment_id')) {
    assert.ok(row.payment_id > last);
    last = row.payment_id;
    n++;
  }
  assert.equal(n, (await sakila.query('SELECT count(*) AS n FROM payment'))[0].n);
});

test('writes: create, update with F, delete, getOrCreate, updateOrCreate, bulkCreate', async () => {
  const Genre = chinook.model('Genre');
  const created = await Genre.objects.create({ Name: 'Chiptune' });
  assert.ok(created.GenreId > 25);
  assert.equal(created.Name, 'Chiptune');
  const [again, wasCreated] = await Genre.objects.getOrCreate({ Name: 'Chiptune' });
  assert.deepEqual([again.GenreId, wasCreated], [created.GenreId, false]);
  const [fresh, freshCreated] = await Genre.objects.getOrCreate({ Name: 'Vaporwave' });
  assert.equal(freshCreated, true);
  assert.equal(await Genre.objects.filter({ Name__in: ['Chiptune', 'Vaporwave'] }).update({ Name: F('Name') }), 2);
  const [upd, updCreated] = await Genre.objects.updateOrCreate({ GenreId: fresh.GenreId }, { defaults: { Name: 'Synthwave' } });
  assert.deepEqual([upd.Name, updCreated], ['Synthwave', false]);
  const many = await Genre.objects.bulkCreate([{ Name: 'A1' }, { Name: 'A2' }]);
  assert.equal(many.length, 2);
  const Track = chinook.model('Track');
  const before = (await Track.objects.get({ TrackId: 1 })).Milliseconds;
  assert.equal(await Track.objects.filter({ TrackId: 1 }).update({ Milliseconds: F('Milliseconds').add(1000) }), 1);
  assert.equal((await Track.objects.get({ TrackId: 1 })).Milliseconds, before + 1000);
  assert.equal(await Genre.objects.filter({ GenreId__gt: 25 }).delete(), 4);
  assert.equal(await Genre.objects.filter({ GenreId__gt: 25 }).count(), 0);
});

test('a failed write inside a transaction rolls everything back', async () => {
  const Genre = chinook.model('Genre');
  const before = await Genre.objects.count();
  await assert.rejects(
    chinook.transaction(async (tx) => {
      await tx.model('Genre').objects.create({ Name: 'Doomed' });
      await tx.model('Genre').objects.create({ GenreId: 1, Name: 'duplicate key' });
    }),
    { code: 'SQLITE_CONSTRAINT_PRIMARYKEY' },
  );
  assert.equal(await Genre.objects.count(), before);
  assert.equal(await Genre.objects.filter({ Name: 'Doomed' }).exists(), false);
});

test('mistakes throw when the chain is built, with suggestions', () => {
  const Track = chinook.model('Track');
  assert.throws(() => Track.objects.filter({ Nmae__icontains: 'x' }), (e) => e instanceof FieldError && /Track has no field 'Nmae'\. Did you mean 'Name'\?/.test(e.message));
  assert.throws(() => Track.objects.filter({ Name__icontain: 'x' }), (e) => e instanceof FieldError && /Did you mean 'icontains'\?/.test(e.message));
  assert.throws(() => Track.objects.orderBy('-Milisecond'), (e) => e instanceof FieldError && /Did you mean 'Milliseconds'\?/.test(e.message));
  assert.throws(() => Track.objects.values('Album__Titel'), (e) => e instanceof FieldError && /Album has no field 'Titel'/.test(e.message));
  assert.throws(() => Track.objects.filter({ TrackId__in: 5 }), (e) => e instanceof NoormmeError && e.code === 'INVALID_LOOKUP_VALUE');
  assert.throws(() => Track.objects.filter({ TrackId__range: [1] }), { code: 'INVALID_LOOKUP_VALUE' });
  assert.throws(() => Track.objects.filter({ Composer__isnull: 'yes' }), { code: 'INVALID_LOOKUP_VALUE' });
  assert.throws(() => Track.objects.filter({ Name: undefined }), { code: 'INVALID_LOOKUP_VALUE' });
});

test('the same chain shape with other values reuses the compiled SQL', async () => {
  const Track = chinook.model('Track');
  await Track.objects.get({ TrackId: 1 });
  const compiled = Track.compiledCache.size;
  for (let id = 2; id < 50; id++) assert.equal((await Track.objects.get({ TrackId: id })).TrackId, id);
  assert.equal(Track.compiledCache.size, compiled);
});

test('annotate and aggregate over relations group correctly', async () => {
  const { Count, Sum, Avg, Max, Min, Q: Qx } = require('..');
  const Album = chinook.model('Album');
  const got = await Album.objects.annotate({ n: Count('Track') }).filter({ n__gte: 25 }).orderBy('-n', 'AlbumId').values('AlbumId', 'Title');
  const want = await chinook.query(
    `SELECT al.AlbumId, al.Title, count(t.TrackId) AS n FROM Album al LEFT JOIN Track t ON t.AlbumId = al.AlbumId
     GROUP BY al.AlbumId HAVING count(t.TrackId) >= 25 ORDER BY n DESC, al.AlbumId`,
  );
  assert.deepEqual(got, want);
  const totals = await chinook.model('Track').objects.filter({ GenreId: 1 }).aggregate({ total: Sum('Milliseconds'), avg: Avg('Milliseconds'), max: Max('Bytes'), min: Min('Bytes'), n: Count() });
  const [sql] = await chinook.query('SELECT sum(Milliseconds) AS total, avg(Milliseconds) AS avg, max(Bytes) AS max, min(Bytes) AS min, count(*) AS n FROM Track WHERE GenreId = 1');
  assert.deepEqual(totals, sql);
  const byGenre = await chinook.model('Track').objects.values('Genre__Name').annotate({ n: Count('TrackId'), long: Count('TrackId', { filter: Qx({ Milliseconds__gt: 300000 }) }) }).orderBy('-n').slice(0, 5);
  const byGenreSql = await chinook.query(
    `SELECT g.Name AS Genre__Name, count(t.TrackId) AS n, count(t.TrackId) FILTER (WHERE t.Milliseconds > 300000) AS long
     FROM Track t LEFT JOIN Genre g ON g.GenreId = t.GenreId GROUP BY g.Name ORDER BY n DESC LIMIT 5`,
  );
  assert.deepEqual(byGenre, byGenreSql);
  const distinctArtists = await chinook.model('Genre').objects.annotate({ artists: Count('Track__Album__ArtistId', { distinct: true }) }).get({ GenreId: 1 });
  const [{ a }] = await chinook.query('SELECT count(DISTINCT al.ArtistId) AS a FROM Track t JOIN Album al ON al.AlbumId = t.AlbumId WHERE t.GenreId = 1');
  assert.equal(distinctArtists.artists, a);
});

test('functions: Lower and Upper fold Unicode, Concat treats NULL as empty, Coalesce, Length, Cast', async () => {
  const { Lower, Upper, Concat, Coalesce, Length, Cast, Value, F: Fx } = require('..');
  const Artist = chinook.model('Artist');
  const [row] = await Artist.objects.filter({ Name__contains: 'Antônio' }).annotate({ low: Lower('Name'), up: Upper('Name'), len: Length('Name') }).slice(0, 1);
  assert.equal(row.low, row.Name.toLowerCase());
  assert.equal(row.up, row.Name.toUpperCase());
  assert.equal(row.len, [...row.Name].length);
  const tracks = await chinook.model('Track').objects.filter({ TrackId__in: [1, 63] }).orderBy('TrackId').annotate({
    who: Coalesce('Composer', Value('unknown')),
    label: Concat('Name', Value(' by '), 'Composer'),
    seconds: Cast(Fx('Milliseconds').div(1000), 'INTEGER'),
  }).values('who', 'label', 'seconds');
  const want = await chinook.query(
    `SELECT COALESCE(Composer, 'unknown') AS who, Name || ' by ' || COALESCE(Composer, '') AS label, CAST(Milliseconds / 1000 AS INTEGER) AS seconds
     FROM Track WHERE TrackId IN (1, 63) ORDER BY TrackId`,
  );
  assert.deepEqual(tracks.map((t) => ({ who: t.who, label: t.label, seconds: t.seconds })), want);
  assert.ok(want.some((r) => r.who === 'unknown'), 'one of the two has no composer');
  assert.throws(() => Artist.objects.annotate({ Name: Lower('Name') }), /conflicts with a field/);
});

test('limit and offset are page operations in either order; slice keeps Python semantics', async () => {
  const db = new NOORMME({ database: copyShared('chinook.sqlite'), nPlusOne: false });
  const ids = async (qs) => (await qs).map((r) => r.GenreId);
  const byId = db.model('Genre').objects.filter({ GenreId__lte: 5 }).orderBy('GenreId');
  assert.deepEqual(await ids(byId.limit(2).offset(2)), [3, 4]);
  assert.deepEqual(await ids(byId.offset(2).limit(2)), [3, 4]);
  assert.deepEqual(await ids(byId.offset(1)), [2, 3, 4, 5]);
  assert.deepEqual(await ids(byId.limit(3).limit(1)), [1], 'the last limit wins');
  assert.deepEqual(await ids(byId.offset(3).offset(1).limit(2)), [2, 3], 'the last offset wins');
  assert.deepEqual(await ids(byId.slice(1, 4).slice(1)), [3, 4], 'slice narrows');
  assert.throws(() => byId.limit(-1), { code: 'INVALID_LOOKUP_VALUE' });
  assert.throws(() => byId.offset(1.5), { code: 'INVALID_LOOKUP_VALUE' });
  db.close();
});

test("pk stands for the one-column primary key in filters, relation paths, order, F() and values, as Django's pk", async () => {
  const db = new NOORMME({ database: copyShared('chinook.sqlite'), nPlusOne: false });
  const Track = db.model('Track');
  const flat = (qs) => qs.valuesList('TrackId', { flat: true });
  assert.deepEqual(await flat(Track.objects.filter({ pk: 1 })), [1]);
  assert.deepEqual(await flat(Track.objects.filter({ pk__in: [2, 3] }).orderBy('pk')), [2, 3]);
  assert.equal(await Track.objects.filter({ Album__pk: 1 }).count(), await Track.objects.filter({ AlbumId: 1 }).count());
  assert.deepEqual(await flat(Track.objects.orderBy('-pk').slice(0, 2)), [3503, 3502]);
  assert.equal(await Track.objects.filter({ Milliseconds__gt: F('pk') }).count(), await Track.objects.filter({ Milliseconds__gt: F('TrackId') }).count());
  assert.equal((await Track.objects.get({ pk: 5 })).TrackId, 5);
  assert.deepEqual(await Track.objects.filter({ pk: 1 }).values('pk'), [{ pk: 1 }]);
  // A composite key has no single pk.
  assert.throws(() => db.model('PlaylistTrack').objects.filter({ pk: 1 }), FieldError);
  db.close();
});

test("aggregates take Django's default: the value when no row is aggregated", async () => {
  const { Sum, Max, Avg, Count } = require('..');
  const db = new NOORMME({ database: copyShared('chinook.sqlite'), nPlusOne: false });
  const Track = db.model('Track');
  assert.deepEqual(await Track.objects.filter({ TrackId: -1 }).aggregate({ s: Sum('Milliseconds', { default: 0 }), m: Max('Name', { default: 'none' }), a: Avg('Bytes') }), { s: 0, m: 'none', a: null });
  assert.deepEqual(await Track.objects.filter({ TrackId: 1 }).aggregate({ s: Sum('Milliseconds', { default: 0 }) }), { s: 343719 });
  // Per group, with a filter on the aggregated rows: a default where none matched.
  const genres = await db.model('Genre').objects.annotate({ long: Sum('Track__Milliseconds', { filter: { Track__Milliseconds__gt: 2000000 }, default: 0 }) }).orderBy('GenreId').valuesList('long', { flat: true });
  assert.equal(genres.length, 25);
  assert.ok(genres.includes(0) && genres.some((v) => v > 0) && !genres.includes(null));
  assert.throws(() => Count('TrackId', { default: 0 }), { code: 'INVALID_OPTION' });
  db.close();
});

test("text values go through the column's value policy, as Django's fields prepare them", async () => {
  const { tempDb } = require('./helpers');
  const file = tempDb();
  const setup = new NOORMME({ database: file });
  await setup.exec(`CREATE TABLE ev (id INTEGER PRIMARY KEY, published BOOLEAN NOT NULL, at_ms INTEGER NOT NULL, created DATETIME NOT NULL, price DECIMAL(8,2), score REAL);
    INSERT INTO ev VALUES (1, 1, 1717200000000, '2024-01-01 10:00:00', '1.50', 0.5), (2, 0, 1700000000000, '2024-01-01 13:00:00', '2.25', 1.5);`);
  setup.close();
  const db = new NOORMME({ database: file, nPlusOne: false, columns: { ev: { at_ms: { policy: 'datetime', storage: 'unix_ms' } } } });
  const Ev = db.model('ev');
  const ids = async (filter) => Ev.objects.filter(filter).orderBy('id').valuesList('id', { flat: true });
  assert.deepEqual(await ids({ published: 'false' }), [2], "'false' is False on a BOOLEAN (it matched nothing)");
  assert.deepEqual(await ids({ published: 'True' }), [1]);
  assert.deepEqual(await ids({ at_ms__gte: '2024-06-01' }), [1], 'an ISO date on a unix-milliseconds column');
  assert.deepEqual(await ids({ created__gte: '2024-01-01T12:00:00Z' }), [2], "ISO text with T and Z on 'YYYY-MM-DD HH:MM:SS' text");
  assert.deepEqual(await ids({ id: '2' }), [2]);
  assert.deepEqual(await ids({ id__in: ['1', '2'] }), [1, 2]);
  assert.deepEqual(await ids({ price__gt: '2' }), [2]);
  assert.deepEqual(await ids({ score__lt: '1' }), [1]);
  for (const [filter, field] of [[{ id: 'abc' }, 'id'], [{ published: 'maybe' }, 'published'], [{ created__gte: 'yesterday' }, 'created'], [{ price: '1,5' }, 'price'], [{ id__in: ['1', 'x'] }, 'id']]) {
    await assert.rejects(async () => Ev.objects.filter(filter), (e) => e.code === 'INVALID_VALUE' && e.field === field && new RegExp(`Field '${field}'`).test(e.message), JSON.stringify(filter));
  }
  // Writes too: 'true' is stored as 1, and a bad value writes nothing.
  const row = await Ev.objects.create({ published: 'true', at_ms: '2024-01-02T00:00:00Z', created: '2024-02-01 08:00:00', price: '3.75', score: '2.5' });
  assert.deepEqual(await db.query('SELECT published, at_ms, created, price, score FROM ev WHERE id = ?', [row.id]), [{ published: 1, at_ms: 1704153600000, created: '2024-02-01 08:00:00', price: 3.75, score: 2.5 }]);
  await assert.rejects(Ev.objects.filter({ id: 1 }).update({ published: 'nope' }), { code: 'INVALID_VALUE' });
  assert.equal((await Ev.objects.get({ id: 1 })).published, true);
  db.close();
});

test('asc()/desc() place NULLs first or last, as Django\'s nulls_first/nulls_last, and reverse() flips both', async () => {
  const db = new NOORMME({ database: copyShared('chinook.sqlite'), nPlusOne: false });
  const Track = db.model('Track');
  const base = Track.objects.filter({ TrackId__lte: 100 });
  const composers = async (qs) => (await qs.valuesList('Composer', { flat: true })).map((c) => (c === null ? null : 'x'));
  const plain = await composers(base.orderBy(F('Composer').asc(), 'TrackId'));
  assert.equal(plain[0], null, 'SQLite sorts NULLs lowest');
  const last = await composers(base.orderBy(F('Composer').asc({ nullsLast: true }), 'TrackId'));
  assert.equal(last.at(-1), null);
  assert.notEqual(last[0], null);
  const first = await composers(base.orderBy(F('Composer').desc({ nullsFirst: true }), 'TrackId'));
  assert.equal(first[0], null);
  const reversed = await composers(base.orderBy(F('Composer').desc({ nullsFirst: true })).reverse());
  assert.equal(reversed.at(-1), null, 'reverse() puts them last');
  assert.throws(() => F('Composer').asc({ nullsFirst: true, nullsLast: true }), { code: 'INVALID_OPTION' });
  assert.throws(() => F('Composer').asc({ nulls_last: true }), { code: 'INVALID_OPTION' });
  db.close();
});

test('filter({ plain }).first() answers as the long way does, for every value, filter and exclude', async () => {
  const db = new NOORMME({ database: copyShared('chinook.sqlite'), nPlusOne: false });
  const Track = db.model('Track');
  for (const [id, album] of [[1, 1], [3503, 347], [-1, 1], [2, 999]]) {
    const fast = await Track.objects.filter({ TrackId: id }).first();
    const slow = await Track.objects.filter({ TrackId: id }).orderBy('TrackId').slice(0, 1).then((r) => r[0] ?? null);
    assert.deepEqual(fast, slow, `TrackId ${id}`);
    assert.deepEqual(await Track.objects.filter({ AlbumId: album }).first(), (await Track.objects.filter({ AlbumId: album }).orderBy('TrackId'))[0] ?? null);
  }
  assert.equal((await Track.objects.exclude({ TrackId: 1 }).first()).TrackId, 2);
  assert.equal((await Track.objects.filter({ Milliseconds__gt: 300000 }).first()).TrackId, (await Track.objects.filter({ Milliseconds__gt: 300000 }).orderBy('TrackId').slice(0, 1))[0].TrackId);
  await assert.rejects(Track.objects.filter({ TrackId: 'abc' }).first(), { code: 'INVALID_VALUE' });
  db.close();
});
