'use strict';
// selectRelated and prefetch on real databases, every loaded set compared
// with hand-written SQL.
const test = require('node:test');
const assert = require('node:assert/strict');
const { NOORMME, Prefetch, FieldError } = require('..');
const { copyShared, tempDb } = require('./helpers');

const chinook = new NOORMME({ database: copyShared('chinook.sqlite') });
const sakila = new NOORMME({ database: copyShared('sakila.sqlite') });
const northwind = new NOORMME({ database: copyShared('northwind.sqlite') });
test.after(() => {
  chinook.close();
  sakila.close();
  northwind.close();
});

test('chinook: Artist → Album → Track nested prefetch', async () => {
  const artists = await chinook.model('Artist').objects.filter({ ArtistId__lte: 30 }).orderBy('ArtistId').prefetch('Album__Track');
  const sql = await chinook.query(
    `SELECT ar.ArtistId, al.AlbumId, t.TrackId FROM Artist ar JOIN Album al ON al.ArtistId = ar.ArtistId JOIN Track t ON t.AlbumId = al.AlbumId
     WHERE ar.ArtistId <= 30 ORDER BY ar.ArtistId, al.AlbumId, t.TrackId`,
  );
  const loaded = [];
  for (const ar of artists) for (const al of ar.Album.sort((a, b) => a.AlbumId - b.AlbumId)) for (const t of al.Track.sort((a, b) => a.TrackId - b.TrackId)) loaded.push({ ArtistId: ar.ArtistId, AlbumId: al.AlbumId, TrackId: t.TrackId });
  assert.deepEqual(loaded, sql);
  assert.ok(artists.some((a) => a.Album.length === 0), 'artists without albums get an empty array');
  // Plain data that a Server Component can hand to a Client Component.
  assert.deepEqual(JSON.parse(JSON.stringify(artists)), structuredClone(artists));
});

test('chinook: Playlist ↔ Track many-to-many both ways', async () => {
  const playlists = await chinook.model('Playlist').objects.orderBy('PlaylistId').prefetch('Track');
  for (const p of playlists) {
    const want = (await chinook.query('SELECT TrackId FROM PlaylistTrack WHERE PlaylistId = ? ORDER BY TrackId', [p.PlaylistId])).map((r) => r.TrackId);
    assert.deepEqual(p.Track.map((t) => t.TrackId).sort((a, b) => a - b), want, p.Name);
  }
  const tracks = await chinook.model('Track').objects.filter({ TrackId__in: [1, 2, 3, 3000] }).prefetch('Playlist');
  for (const t of tracks) {
    const want = (await chinook.query('SELECT PlaylistId FROM PlaylistTrack WHERE TrackId = ? ORDER BY PlaylistId', [t.TrackId])).map((r) => r.PlaylistId);
    assert.deepEqual(t.Playlist.map((p) => p.PlaylistId).sort((a, b) => a - b), want);
  }
});

test('chinook: Employee.ReportsTo self-relation with selectRelated, nested paths', async () => {
  const employees = await chinook.model('Employee').objects.selectRelated('ReportsTo_rel__ReportsTo_rel').orderBy('EmployeeId');
  const sql = await chinook.query(
    'SELECT e.EmployeeId, m.EmployeeId AS boss, mm.EmployeeId AS bossboss FROM Employee e LEFT JOIN Employee m ON m.EmployeeId = e.ReportsTo LEFT JOIN Employee mm ON mm.EmployeeId = m.ReportsTo ORDER BY e.EmployeeId',
  );
  assert.deepEqual(
    employees.map((e) => ({ EmployeeId: e.EmployeeId, boss: e.ReportsTo_rel?.EmployeeId ?? null, bossboss: e.ReportsTo_rel?.ReportsTo_rel?.EmployeeId ?? null })),
    sql,
  );
  assert.equal(employees[0].ReportsTo_rel, null, 'the general manager reports to no one');
  assert.ok(employees[1].ReportsTo_rel.HireDate instanceof Date, 'nested rows get value policies too');
  const [track] = await chinook.model('Track').objects.selectRelated('Album__Artist', 'Genre').filter({ TrackId: 1 });
  assert.deepEqual([track.Album.Title, track.Album.Artist.Name, track.Genre.Name], ['For Those About To Rock We Salute You', 'AC/DC', 'Rock']);
  assert.throws(() => chinook.model('Artist').objects.selectRelated('Album'), /use prefetch\('Album'\)/);
  assert.throws(() => chinook.model('Track').objects.prefetch('Albm'), (e) => e instanceof FieldError && /Did you mean 'Album'/.test(e.message));
});

test('sakila: film ↔ actor, film ↔ category, customer → rental → payment', async () => {
  const films = await sakila.model('film').objects.filter({ film_id__lte: 5 }).orderBy('film_id').prefetch('actor', 'category');
  for (const f of films) {
    const actors = (await sakila.query('SELECT actor_id FROM film_actor WHERE film_id = ? ORDER BY actor_id', [f.film_id])).map((r) => r.actor_id);
    assert.deepEqual(f.actor.map((a) => a.actor_id).sort((a, b) => a - b), actors);
    const cats = (await sakila.query('SELECT category_id FROM film_category WHERE film_id = ?', [f.film_id])).map((r) => r.category_id);
    assert.deepEqual(f.category.map((c) => c.category_id), cats);
  }
  const customers = await sakila.model('customer').objects.filter({ customer_id__lte: 3 }).prefetch('rental__payment');
  for (const c of customers) {
    const want = await sakila.query(
      'SELECT r.rental_id, p.payment_id FROM rental r JOIN payment p ON p.rental_id = r.rental_id WHERE r.customer_id = ? ORDER BY r.rental_id, p.payment_id',
      [c.customer_id],
    );
    const got = [];
    for (const r of c.rental.sort((a, b) => a.rental_id - b.rental_id)) for (const p of r.payment) got.push({ rental_id: r.rental_id, payment_id: p.payment_id });
    assert.deepEqual(got, want);
  }
});

test('northwind: "Order Details" (composite key) from Orders, with Prefetch(queryset, toAttr)', async () => {
  const orders = await northwind.model('Orders').objects.filter({ OrderID__lte: 10250 }).orderBy('OrderID').prefetch(
    'Order Details__Product',
    new Prefetch('Order Details', { queryset: northwind.model('Order Details').objects.filter({ Quantity__gte: 10 }).orderBy('-Quantity'), toAttr: 'bigLines' }),
  );
  for (const o of orders) {
    const lines = await northwind.query('SELECT ProductID FROM "Order Details" WHERE OrderID = ? ORDER BY ProductID', [o.OrderID]);
    assert.deepEqual(o['Order Details'].map((d) => d.ProductID).sort((a, b) => a - b), lines.map((l) => l.ProductID));
    for (const d of o['Order Details']) assert.equal(d.Product.ProductID, d.ProductID);
    const big = await northwind.query('SELECT ProductID FROM "Order Details" WHERE OrderID = ? AND Quantity >= 10 ORDER BY Quantity DESC', [o.OrderID]);
    assert.deepEqual(o.bigLines.map((d) => d.ProductID), big.map((b) => b.ProductID));
  }
});

test('composite foreign keys prefetch both ways', async () => {
  const db = new NOORMME({ database: tempDb() });
  await db.exec(`
    CREATE TABLE regions (country TEXT, code TEXT, name TEXT, PRIMARY KEY (country, code));
    CREATE TABLE offices (id INTEGER PRIMARY KEY, city TEXT, country TEXT, code TEXT, FOREIGN KEY (country, code) REFERENCES regions (country, code));
    INSERT INTO regions VALUES ('FR', 'IDF', 'Île-de-France'), ('FR', 'ARA', 'Auvergne-Rhône-Alpes'), ('DE', 'BY', 'Bayern');
    INSERT INTO offices (city, country, code) VALUES ('Paris', 'FR', 'IDF'), ('Lyon', 'FR', 'ARA'), ('Versailles', 'FR', 'IDF'), ('Nowhere', NULL, NULL);`);
  db.refreshSchema();
  const offices = await db.model('offices').objects.orderBy('id').prefetch('regions');
  assert.deepEqual(offices.map((o) => o.regions && o.regions.name), ['Île-de-France', 'Auvergne-Rhône-Alpes', 'Île-de-France', null]);
  const regions = await db.model('regions').objects.orderBy('country', 'code').prefetch('offices');
  assert.deepEqual(regions.map((r) => [r.code, r.offices.map((o) => o.city).sort()]), [
    ['BY', []],
    ['ARA', ['Lyon']],
    ['IDF', ['Paris', 'Versailles']],
  ]);
  db.close();
});

test('related managers: many-to-many add, remove, set, clear leave the junction exactly right', async () => {
  const db = new NOORMME({ database: copyShared('chinook.sqlite'), nPlusOne: false });
  const Playlist = db.model('Playlist');
  const links = async () => (await db.query('SELECT TrackId FROM PlaylistTrack WHERE PlaylistId = 18 ORDER BY TrackId')).map((r) => r.TrackId);
  const others = await db.query('SELECT count(*) AS n FROM PlaylistTrack WHERE PlaylistId <> 18');
  const tracks = Playlist.related(18, 'Track');
  assert.deepEqual(await links(), [597]);
  assert.equal(await tracks.add(1, { TrackId: 2 }, 597), 2, 'the existing link is not duplicated');
  assert.deepEqual(await links(), [1, 2, 597]);
  assert.equal(await tracks.remove(1), 1);
  assert.deepEqual(await links(), [2, 597]);
  await tracks.set([5, 6, 597]);
  assert.deepEqual(await links(), [5, 6, 597]);
  assert.deepEqual((await tracks.all()).map((t) => t.TrackId).sort((a, b) => a - b), [5, 6, 597]);
  assert.equal(await tracks.count(), 3);
  assert.equal(await tracks.clear(), 3);
  assert.deepEqual(await links(), []);
  // Other playlists' links are untouched.
  assert.deepEqual(await db.query('SELECT count(*) AS n FROM PlaylistTrack WHERE PlaylistId <> 18'), others);
  // A failing add rolls back as a whole.
  await assert.rejects(tracks.add(7, 999999), { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
  assert.deepEqual(await links(), []);
  db.close();
});

test('related managers: reverse foreign keys filter, count and create with the key set', async () => {
  const db = new NOORMME({ database: copyShared('chinook.sqlite'), nPlusOne: false });
  const albumTracks = db.model('Album').related(1, 'Track');
  const [{ n }] = await db.query('SELECT count(*) AS n FROM Track WHERE AlbumId = 1');
  assert.equal(await albumTracks.count(), n);
  const long = await albumTracks.filter({ Milliseconds__gt: 300000 });
  assert.deepEqual(long.map((t) => t.TrackId), (await db.query('SELECT TrackId FROM Track WHERE AlbumId = 1 AND Milliseconds > 300000 ORDER BY TrackId')).map((r) => r.TrackId));
  const created = await albumTracks.create({ Name: 'Bonus', MediaTypeId: 1, Milliseconds: 1000, UnitPrice: 0.99 });
  assert.equal(created.AlbumId, 1);
  assert.equal(await albumTracks.count(), n + 1);
  assert.throws(() => db.model('Track').related(1, 'Album'), /selectRelated\('Album'\)/);
  assert.throws(() => db.model('Album').related(1, 'Trakc'), /Did you mean 'Track'/);
  // Deleting follows the database's ON DELETE rules: PlaylistTrack has no cascade, so the delete is refused.
  await assert.rejects(db.model('Track').objects.filter({ TrackId: 1 }).delete(), { code: 'SQLITE_CONSTRAINT_FOREIGNKEY' });
  db.close();
});

test('the N+1 guard fires on a loop of per-row queries and stays silent on a prefetch', async () => {
  const { NPlusOneError } = require('..');
  const db = new NOORMME({ database: copyShared('chinook.sqlite'), nPlusOne: 'throw' });
  const albums = await db.model('Album').objects.orderBy('AlbumId').slice(0, 30);
  await assert.rejects(
    (async () => {
      for (const album of albums) await db.model('Track').objects.filter({ AlbumId: album.AlbumId });
    })(),
    (e) => e instanceof NPlusOneError && /Track was queried 10 times in a row by AlbumId/.test(e.message) && /if the values come from Album rows, \.prefetch\('Track'\) on that Album query/.test(e.message) && /AlbumId__in/.test(e.message) && /relations\.test\.js/.test(e.message),
  );
  const loaded = await db.model('Album').objects.orderBy('AlbumId').slice(0, 30).prefetch('Track__Genre', 'Artist');
  assert.equal(loaded.length, 30);
  db.close();
  const warnings = [];
  const onWarning = (w) => w.name === 'NoormmeNPlusOneWarning' && warnings.push(w.message);
  process.on('warning', onWarning);
  const dev = new NOORMME({ database: copyShared('chinook.sqlite') });
  for (let round = 0; round < 2; round++) for (const album of albums) await dev.model('Artist').objects.get({ ArtistId: album.ArtistId });
  await new Promise((r) => setImmediate(r));
  process.off('warning', onWarning);
  assert.equal(warnings.length, 1, 'once per query shape');
  assert.match(warnings[0], /if the values come from Album rows, \.selectRelated\('Artist'\) or \.prefetch\('Artist'\) on that Album query; or one query with ArtistId__in/);
  dev.close();
});

test('a sliced Prefetch queryset slices per parent', async () => {
  const albums = await chinook.model('Album').objects.filter({ AlbumId__lte: 5 }).orderBy('AlbumId').prefetch(
    new Prefetch('Track', { queryset: chinook.model('Track').objects.orderBy('-Milliseconds', 'TrackId').slice(0, 2), toAttr: 'longest' }),
  );
  for (const album of albums) {
    const want = await chinook.query('SELECT TrackId FROM Track WHERE AlbumId = ? ORDER BY Milliseconds DESC, TrackId LIMIT 2', [album.AlbumId]);
    assert.deepEqual(album.longest.map((t) => t.TrackId), want.map((r) => r.TrackId));
  }
});

test('isnull: true through a to-many relation also matches rows without related rows, as Django\'s LEFT JOIN does', async () => {
  const db = new NOORMME({ database: copyShared('chinook.sqlite'), nPlusOne: false });
  const Artist = db.model('Artist');
  const [{ n: withoutAlbums }] = await db.query('SELECT count(*) AS n FROM Artist WHERE ArtistId NOT IN (SELECT ArtistId FROM Album)');
  assert.equal(withoutAlbums, 71);
  // Django 5.2 on chinook: 71 (NOORMME said 0: no album has a NULL title).
  assert.equal(await Artist.objects.filter({ Album__Title__isnull: true }).count(), 71);
  assert.equal(await Artist.objects.filter({ Album__Title: null }).count(), 71);
  assert.equal(await Artist.objects.filter({ Album__isnull: true }).count(), 71);
  // A condition NULLs cannot meet keeps rows without albums out.
  assert.equal(await Artist.objects.filter({ Album__Title__isnull: true, Album__AlbumId__gt: 0 }).count(), 0);
  assert.equal(await Artist.objects.filter({ Album__Title__isnull: false }).count(), 275 - 71);
  // Two hops: artists without albums, or with an album without tracks.
  const [{ n: twoHops }] = await db.query(
    'SELECT count(*) AS n FROM Artist ar WHERE NOT EXISTS (SELECT 1 FROM Album al WHERE al.ArtistId = ar.ArtistId) OR EXISTS (SELECT 1 FROM Album al WHERE al.ArtistId = ar.ArtistId AND NOT EXISTS (SELECT 1 FROM Track t WHERE t.AlbumId = al.AlbumId))',
  );
  assert.equal(await Artist.objects.filter({ Album__Track__Name__isnull: true }).count(), twoHops);
  db.close();
});

test('rel__isnull joins the other conditions on the same relation in one filter(), in either key order', async () => {
  const db = new NOORMME({ database: copyShared('chinook.sqlite'), nPlusOne: false });
  const Artist = db.model('Artist');
  const [{ n }] = await db.query("SELECT count(*) AS n FROM Artist ar WHERE EXISTS (SELECT 1 FROM Album al WHERE al.ArtistId = ar.ArtistId AND al.Title GLOB 'A*')");
  assert.ok(n > 0 && n < 204);
  // One key order threw PARAMETER_COUNT, the other dropped the title condition.
  assert.equal(await Artist.objects.filter({ Album__isnull: false, Album__Title__startswith: 'A' }).count(), n);
  assert.equal(await Artist.objects.filter({ Album__Title__startswith: 'A', Album__isnull: false }).count(), n);
  // No album and an album title: nothing (a LEFT JOIN's NULL row has no title).
  assert.equal(await Artist.objects.filter({ Album__isnull: true, Album__Title__startswith: 'A' }).count(), 0);
  assert.equal(await Artist.objects.filter({ Album__Title__startswith: 'A', Album__isnull: true }).count(), 0);
  assert.equal(await Artist.objects.filter({ Album__isnull: true, Album__Title__isnull: true }).count(), 71);
  db.close();
});

test("a many-to-many and its junction's reverse relation share one junction join, as in Django", async () => {
  const { Count } = require('..');
  const db = new NOORMME({ database: copyShared('chinook.sqlite'), nPlusOne: false });
  const Track = db.model('Track');
  const [{ n }] = await db.query('SELECT count(*) AS n FROM PlaylistTrack WHERE TrackId = 1');
  assert.equal(n, 3);
  // Django: {a: 3, b: 3}; two junction joins made it the cross product, 9 and 9.
  assert.deepEqual(await Track.objects.filter({ TrackId: 1 }).aggregate({ a: Count('PlaylistTrack'), b: Count('Playlist') }), { a: 3, b: 3 });
  assert.deepEqual(await Track.objects.filter({ TrackId: 1 }).aggregate({ b: Count('Playlist'), a: Count('PlaylistTrack') }), { b: 3, a: 3 });
  const [row] = await Track.objects.filter({ TrackId: 1 }).annotate({ playlists: Count('Playlist'), links: Count('PlaylistTrack') });
  assert.deepEqual([row.playlists, row.links], [3, 3]);
  db.close();
});

test('past a to-many LEFT JOIN, forward joins are LEFT too: rows without related rows stay, with 0', async () => {
  const { Count } = require('..');
  const db = new NOORMME({ database: copyShared('chinook.sqlite'), nPlusOne: false });
  // Django: 18 playlists, n = 0 for the empty ones (the INNER JOIN to Track dropped them: 14).
  const rows = await db.model('Playlist').objects.annotate({ n: Count('PlaylistTrack__Track__Name') }).orderBy('PlaylistId');
  const want = await db.query('SELECT p.PlaylistId AS id, count(t.Name) AS n FROM Playlist p LEFT JOIN PlaylistTrack pt ON pt.PlaylistId = p.PlaylistId LEFT JOIN Track t ON t.TrackId = pt.TrackId GROUP BY p.PlaylistId ORDER BY p.PlaylistId');
  assert.equal(rows.length, 18);
  assert.deepEqual(rows.map((r) => [r.PlaylistId, r.n]), want.map((r) => [r.id, r.n]));
  assert.ok(rows.some((r) => r.n === 0));
  db.close();
});

test('the N+1 guard also sees kept plans: a loop of get() or filter().first() by one field is reported', async () => {
  const { NPlusOneError } = require('..');
  const db = new NOORMME({ database: copyShared('chinook.sqlite'), nPlusOne: 'throw' });
  const albums = await db.model('Album').objects.orderBy('AlbumId').slice(0, 15);
  await assert.rejects(
    (async () => {
      for (const album of albums) await db.model('Artist').objects.get({ ArtistId: album.ArtistId });
    })(),
    (e) => e instanceof NPlusOneError && /Artist was queried 10 times in a row by ArtistId/.test(e.message),
  );
  await assert.rejects(
    (async () => {
      for (const album of albums) await db.model('Track').objects.filter({ AlbumId: album.AlbumId }).first();
    })(),
    (e) => e instanceof NPlusOneError && /Track was queried 10 times in a row by AlbumId/.test(e.message),
  );
  db.close();
});
