'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { NOORMME, ModelNotFoundError, FieldError, ReadOnlyModelError, NoormmeError } = require('..');
const { copyShared, tempDb } = require('./helpers');

function open(name, options = {}) {
  return new NOORMME({ database: copyShared(name), ...options });
}

const table = (schema, name) => schema.tables.find((t) => t.name === name);
const relation = (t, name) => t.relations.find((r) => r.name === name);

/** Checks db.schema() against SQLite's own PRAGMA output, table by table. */
async function assertMatchesPragmas(db) {
  const schema = db.schema();
  // FTS5 and R*Tree keep their data in shadow tables, which SQLite itself marks.
  const listed = await db.query(
    `SELECT name, CASE WHEN sql LIKE 'CREATE VIRTUAL TABLE%' THEN 'virtual' ELSE type END AS type FROM sqlite_schema
     WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'
       AND name NOT IN (SELECT name FROM pragma_table_list WHERE type = 'shadow') ORDER BY name`,
  );
  assert.deepEqual(
    schema.tables.map((t) => [t.name, t.kind]),
    listed.map((r) => [r.name, r.type]),
  );
  for (const t of schema.tables) {
    const cols = await db.query('SELECT name, type, "notnull" AS nn, dflt_value AS dflt, pk FROM pragma_table_xinfo(?) ORDER BY cid', [t.name]);
    assert.deepEqual(
      t.columns.map((c) => [c.name, c.declaredType, c.notNull, c.default, c.primaryKey]),
      cols.map((c) => [c.name, c.type, c.nn === 1, c.dflt, c.pk]),
      t.name,
    );
    const fks = await db.query('SELECT id, "from" AS f, "table" AS target, "to" AS t, on_delete AS del FROM pragma_foreign_key_list(?) ORDER BY id DESC, seq', [t.name]);
    const grouped = [];
    for (const fk of fks) {
      const last = grouped.at(-1);
      if (last && last.id === fk.id) {
        last.columns.push(fk.f);
        last.to.push(fk.t);
      } else grouped.push({ id: fk.id, columns: [fk.f], target: fk.target, to: [fk.t], del: fk.del });
    }
    assert.deepEqual(
      t.foreignKeys.map((fk) => [fk.columns, fk.target.toLowerCase(), fk.onDelete]),
      grouped.map((fk) => [fk.columns, fk.target.toLowerCase(), fk.del]),
      `${t.name} foreign keys`,
    );
    for (const [i, fk] of t.foreignKeys.entries()) {
      // Where the DDL names no target column, the key refers to the target's primary key.
      const expected = grouped[i].to[0] === null ? table(schema, fk.target).primaryKey : grouped[i].to;
      assert.deepEqual(fk.targetColumns, expected, `${t.name} → ${fk.target}`);
    }
    const indexes = t.kind === 'table' ? await db.query('SELECT name, "unique" AS u, partial FROM pragma_index_list(?) ORDER BY name', [t.name]) : [];
    assert.deepEqual(
      t.indexes.map((i) => [i.name, i.unique, i.partial]),
      indexes.map((i) => [i.name, i.u === 1, i.partial === 1]),
      `${t.name} indexes`,
    );
  }
}

for (const file of ['chinook.sqlite', 'northwind.sqlite', 'sakila.sqlite']) {
  test(`${file}: every table, view, column, key and index matches SQLite's PRAGMAs`, async () => {
    const db = open(file);
    await assertMatchesPragmas(db);
    db.close();
  });
}

test('chinook: relations named by the rules, Playlist ↔ Track many-to-many', () => {
  const db = open('chinook.sqlite');
  const s = db.schema();
  assert.deepEqual(relation(table(s, 'Album'), 'Artist'), {
    name: 'Artist',
    kind: 'foreign_key',
    many: false,
    target: 'Artist',
    columns: ['ArtistId'],
    targetColumns: ['ArtistId'],
    through: null,
    nullable: false,
    relatedName: 'Album',
  });
  assert.equal(relation(table(s, 'Artist'), 'Album').kind, 'reverse');
  assert.equal(relation(table(s, 'Customer'), 'SupportRep').target, 'Employee');
  // No id suffix: the relation gets _rel; the self reference's reverse is the table's name.
  assert.equal(relation(table(s, 'Employee'), 'ReportsTo_rel').target, 'Employee');
  assert.equal(relation(table(s, 'Employee'), 'Employee').relatedName, 'ReportsTo_rel');
  const tracks = relation(table(s, 'Playlist'), 'Track');
  assert.equal(tracks.kind, 'many_to_many');
  assert.deepEqual(tracks.through, { table: 'PlaylistTrack', sourceColumns: ['PlaylistId'], targetColumns: ['TrackId'] });
  assert.equal(relation(table(s, 'Track'), 'Playlist').relatedName, 'Track');
  assert.deepEqual(table(s, 'PlaylistTrack').identity, ['PlaylistId', 'TrackId']);
  db.close();
});

test('sakila: film ↔ actor and film ↔ category, the store ↔ staff cycle, two keys to one table', () => {
  const db = open('sakila.sqlite');
  const s = db.schema();
  assert.equal(relation(table(s, 'film'), 'actor').through.table, 'film_actor');
  assert.equal(relation(table(s, 'actor'), 'film').kind, 'many_to_many');
  assert.equal(relation(table(s, 'film'), 'category').through.table, 'film_category');
  assert.equal(relation(table(s, 'category'), 'film').relatedName, 'category');
  assert.equal(relation(table(s, 'store'), 'manager_staff').target, 'staff');
  assert.equal(relation(table(s, 'staff'), 'store').target, 'store');
  // staff already has `store` (its own key), so the reverse of store.manager_staff moves aside.
  assert.equal(relation(table(s, 'staff'), 'store_set').relatedName, 'manager_staff');
  assert.equal(relation(table(s, 'language'), 'film_by_language').relatedName, 'language');
  assert.equal(relation(table(s, 'language'), 'film_by_original_language').relatedName, 'original_language');
  db.close();
});

test('northwind: "Order Details" with spaces is a junction; views are read-only models', async () => {
  const db = open('northwind.sqlite');
  const s = db.schema();
  assert.equal(relation(table(s, 'Orders'), 'Products').through.table, 'Order Details');
  const details = db.model('order details');
  assert.equal(details.name, 'Order Details');
  assert.deepEqual(details.identity, ['OrderID', 'ProductID']);
  const view = db.model('Alphabetical list of products');
  assert.equal(view.meta.kind, 'view');
  assert.equal(view.identity, null);
  assert.throws(() => view.assertWritable(), (e) => e instanceof ReadOnlyModelError && /is a view/.test(e.message));
  db.close();
});

test('dates decode in each database storage format and write back byte-identical', async () => {
  const cases = [
    ['chinook.sqlite', 'Invoice', 'InvoiceDate', 'InvoiceId', 1, '2021-01-01 00:00:00', '2021-01-01T00:00:00.000Z'],
    ['northwind.sqlite', 'Orders', 'OrderDate', 'OrderID', 10248, null, null],
    ['sakila.sqlite', 'payment', 'payment_date', 'payment_id', 1, '2005-05-25 11:30:37', '2005-05-25T11:30:37.000Z'],
  ];
  for (const [file, name, column, key, id, text, iso] of cases) {
    const db = open(file);
    const model = db.model(name);
    const [stored] = await db.query(`SELECT "${column}" AS v, typeof("${column}") AS t FROM "${name}" WHERE "${key}" = ?`, [id]);
    if (text !== null) assert.equal(stored.v, text);
    const [row] = await model.objects.raw(`SELECT * FROM "${name}" WHERE "${key}" = ?`, [id]);
    assert.ok(row[column] instanceof Date, `${file} ${column} is a Date`);
    if (iso !== null) assert.equal(row[column].toISOString(), iso);
    // Northwind stores date-only text in a DATETIME column: midnight UTC of that day.
    if (file === 'northwind.sqlite') assert.equal(row[column].toISOString(), `${stored.v.slice(0, 10)}T00:00:00.000Z`);
    await db.execute(`UPDATE "${name}" SET "${column}" = ? WHERE "${key}" = ?`, [model.encodeValue(column, row[column]), id]);
    const [after] = await db.query(`SELECT "${column}" AS v, typeof("${column}") AS t FROM "${name}" WHERE "${key}" = ?`, [id]);
    assert.deepEqual(after, stored, `${file}: stored text unchanged after a round trip`);
    db.close();
  }
});

const FIXTURE = `
  CREATE TABLE "user accounts" (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    "e-mail" TEXT NOT NULL UNIQUE,
    "select" TEXT,
    is_active BOOLEAN NOT NULL DEFAULT 1,
    prefs JSON,
    settings TEXT CHECK (json_valid(settings)),
    joined_at DATETIME,
    born DATE,
    seen_unix INTEGER,
    balance DECIMAL(10, 2)
  );
  CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB) WITHOUT ROWID;
  CREATE TABLE measurements (at INTEGER, value REAL NOT NULL, label TEXT) STRICT;
  CREATE TABLE box (w REAL, h REAL, area REAL GENERATED ALWAYS AS (w * h) VIRTUAL, diag REAL AS (sqrt(w*w + h*h)) STORED);
  CREATE TABLE regions (country TEXT, code TEXT, name TEXT, PRIMARY KEY (country, code));
  CREATE TABLE offices (id INTEGER PRIMARY KEY, country TEXT, code TEXT, owner_email TEXT REFERENCES "user accounts"("e-mail"),
                        FOREIGN KEY (country, code) REFERENCES regions (country, code) ON DELETE CASCADE);
  CREATE TABLE invites (id INTEGER PRIMARY KEY, email TEXT, used INTEGER);
  CREATE UNIQUE INDEX invites_open ON invites(email) WHERE used = 0;
  CREATE VIRTUAL TABLE notes USING fts5(title, body);
  CREATE TABLE "order" ("group" INTEGER PRIMARY KEY, "from" TEXT);
  CREATE VIEW active_users AS SELECT id, "e-mail" FROM "user accounts" WHERE is_active;
  INSERT INTO "user accounts"("e-mail", is_active, prefs, settings, joined_at, born, seen_unix, balance)
    VALUES ('a@x', 1, '{"theme":"dark"}', '[1,2]', '2024-03-01T08:15:00.250Z', '1990-12-31', 1700000000, '12.50'),
           ('b@x', 0, '"plain"', '{}', '2024-03-02T09:00:00.000Z', '1985-01-01', 1700003600, 3);
  INSERT INTO measurements VALUES (1, 2.5, 'x');
`;

test('own fixture: WITHOUT ROWID, STRICT, no key, generated columns, composite and unique-column keys, partial index, FTS5, odd names', async () => {
  const db = new NOORMME({ database: tempDb() });
  await db.exec(FIXTURE);
  db.refreshSchema();
  await assertMatchesPragmas(db);
  const s = db.schema();
  assert.equal(table(s, 'kv').withoutRowid, true);
  assert.equal(table(s, 'kv').hasRowid, false);
  assert.deepEqual(table(s, 'kv').identity, ['k']);
  const m = table(s, 'measurements');
  assert.equal(m.strict, true);
  assert.deepEqual([m.primaryKey, m.identity, m.writable], [[], ['rowid'], true]);
  const box = table(s, 'box');
  assert.deepEqual(
    box.columns.map((c) => [c.name, c.generated, c.readOnly]),
    [
      ['w', null, false],
      ['h', null, false],
      ['area', 'virtual', true],
      ['diag', 'stored', true],
    ],
  );
  assert.throws(() => db.model('box').assertWritable('area'), ReadOnlyModelError);
  const offices = table(s, 'offices');
  assert.deepEqual(offices.foreignKeys[1], { columns: ['country', 'code'], target: 'regions', targetColumns: ['country', 'code'], onUpdate: 'NO ACTION', onDelete: 'CASCADE' });
  assert.equal(relation(offices, 'regions').kind, 'foreign_key');
  assert.deepEqual(relation(offices, 'owner_email_rel').targetColumns, ['e-mail']);
  assert.equal(relation(table(s, 'user accounts'), 'offices').kind, 'reverse');
  const invites = table(s, 'invites');
  assert.equal(invites.indexes[0].partial, true);
  assert.equal(invites.columns.find((c) => c.name === 'email').unique, false, 'a partial unique index is no guarantee');
  assert.deepEqual(invites.uniqueTogether, [['id']]);
  const notes = table(s, 'notes');
  assert.deepEqual([notes.kind, notes.module], ['virtual', 'fts5']);
  assert.ok(!s.tables.some((t) => t.name.startsWith('notes_')), 'FTS5 shadow tables are skipped');
  assert.deepEqual(table(s, 'order').columns.map((c) => c.name), ['group', 'from']);
  assert.equal(table(s, 'user accounts').autoincrement, true);
  assert.deepEqual(table(s, 'user accounts').checks, ['json_valid(settings)']);
  db.close();
});

test('own fixture: value policies decode and encode', async () => {
  const db = new NOORMME({ database: tempDb() });
  await db.exec(FIXTURE);
  db.refreshSchema();
  const users = db.model('user accounts');
  const policy = Object.fromEntries(users.meta.columns.map((c) => [c.name, [c.policy, c.jsType]]));
  assert.deepEqual(policy.is_active, ['boolean', 'boolean']);
  assert.deepEqual(policy.prefs, ['json', 'unknown']);
  assert.deepEqual(policy.settings, ['json', 'unknown']);
  assert.deepEqual(policy.joined_at, ['datetime', 'Date']);
  assert.deepEqual(policy.born, ['date', 'Date']);
  assert.deepEqual(policy.balance, ['decimal', 'number']);
  assert.deepEqual(policy.seen_unix, ['integer', 'number']);
  const rows = await users.objects.raw('SELECT * FROM "user accounts" ORDER BY id');
  assert.deepEqual(rows[0].prefs, { theme: 'dark' });
  assert.deepEqual(rows[1].prefs, 'plain');
  assert.deepEqual(rows[0].settings, [1, 2]);
  assert.equal(rows[0].is_active, true);
  assert.equal(rows[1].is_active, false);
  assert.equal(rows[0].joined_at.toISOString(), '2024-03-01T08:15:00.250Z');
  assert.equal(rows[0].born.toISOString(), '1990-12-31T00:00:00.000Z');
  assert.equal(rows[0].balance, 12.5);
  assert.equal(rows[1].balance, 3);
  assert.equal(users.encodeValue('joined_at', new Date('2025-01-02T03:04:05.006Z')), '2025-01-02T03:04:05.006Z');
  assert.equal(users.encodeValue('born', new Date('2025-01-02T00:00:00Z')), '2025-01-02');
  assert.equal(users.encodeValue('is_active', false), 0);
  assert.equal(users.encodeValue('prefs', { a: [1] }), '{"a":[1]}');
  assert.throws(() => users.encodeValue('emial', 1), (e) => e instanceof FieldError && /has no field 'emial'/.test(e.message));
  // A value that does not parse is returned as stored, never as null.
  await db.execute('UPDATE "user accounts" SET joined_at = ?, prefs = ? WHERE id = 2', ['not a date', '{broken']);
  const [odd] = await users.objects.raw('SELECT joined_at, prefs FROM "user accounts" WHERE id = 2');
  assert.deepEqual(odd, { joined_at: 'not a date', prefs: '{broken' });
  db.close();
});

test('policies can be overridden per column, decimals read as strings', async () => {
  const file = tempDb();
  const setup = new NOORMME({ database: file });
  await setup.exec(FIXTURE);
  setup.close();
  const db = new NOORMME({
    database: file,
    decimalAsString: true,
    columns: { 'user accounts': { seen_unix: { policy: 'datetime', storage: 'unix' }, is_active: 'integer' } },
  });
  const users = db.model('user accounts');
  const [row] = await users.objects.raw('SELECT seen_unix, is_active, balance FROM "user accounts" WHERE id = 1');
  assert.equal(row.seen_unix.toISOString(), '2023-11-14T22:13:20.000Z');
  assert.equal(row.is_active, 1);
  // DECIMAL has NUMERIC affinity: SQLite stored '12.50' as the REAL 12.5.
  assert.equal(row.balance, '12.5');
  assert.equal(users.encodeValue('seen_unix', new Date('2023-11-14T22:13:21Z')), 1700000001);
  db.close();
  assert.throws(() => new NOORMME({ database: file, columns: { 'user accounts': { nope: 'boolean' } } }), {
    code: 'UNKNOWN_COLUMN',
  });
});

test('relation overrides rename both sides', () => {
  const db = open('chinook.sqlite', { relations: { Album: { ArtistId: { name: 'artist', related: 'albums' } } } });
  const s = db.schema();
  assert.equal(relation(table(s, 'Album'), 'artist').relatedName, 'albums');
  assert.equal(relation(table(s, 'Artist'), 'albums').target, 'Album');
  db.close();
  assert.throws(
    () => open('chinook.sqlite', { relations: { Album: { ArtistID: { name: 'x' } } } }),
    (e) => e instanceof NoormmeError && e.code === 'UNKNOWN_RELATION' && /Relations of Album: Artist, Track/.test(e.message),
  );
});

test('db.model resolves names and suggests on mistakes', () => {
  const db = open('chinook.sqlite');
  assert.equal(db.model('Track').name, 'Track');
  assert.equal(db.model('track').name, 'Track');
  assert.throws(
    () => db.model('Trak'),
    (e) =>
      e instanceof ModelNotFoundError &&
      e.suggestion === 'Track' &&
      /no table or view 'Trak'\. Did you mean 'Track'\? Tables: Album, Artist/.test(e.message),
  );
  assert.throws(() => db.model('Zebra'), (e) => e instanceof ModelNotFoundError && e.suggestion === undefined);
  db.close();
});

test('refreshSchema sees DDL made after open', async () => {
  const db = new NOORMME({ database: tempDb() });
  assert.throws(() => db.model('late'), ModelNotFoundError);
  await db.exec('CREATE TABLE late(id INTEGER PRIMARY KEY, name TEXT)');
  db.refreshSchema();
  assert.deepEqual(db.model('late').fields, ['id', 'name']);
  db.close();
});
