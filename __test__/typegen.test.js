'use strict';
// Generated TypeScript declarations, checked by the TypeScript compiler itself.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const ts = require('typescript');
const { ROOT, SHARED_DATA, tempDir } = require('./helpers');

/** A project dir where `import 'noormme'` resolves to this repository. */
function project(files) {
  const dir = tempDir('noormme-types-');
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'noormme'), 'dir');
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

function compile(dir, names) {
  const program = ts.createProgram(
    names.map((n) => path.join(dir, n)),
    {
      strict: true,
      noEmit: true,
      target: ts.ScriptTarget.ES2022,
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      types: ['node'],
      typeRoots: [path.join(ROOT, 'node_modules', '@types')],
    },
  );
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? `${path.basename(d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start).line + 1}` : '';
    return `${where} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
  });
}

function generate(dir, database) {
  const out = path.join(dir, 'noormme-env.d.ts');
  execFileSync(process.execPath, [path.join(ROOT, 'bin', 'noormme.js'), 'generate-types', path.join(SHARED_DATA, database), '--out', out]);
  return out;
}

const GOOD = `
import { NOORMME, Q, F, type Filter, type TypesOf } from 'noormme';

export async function run(db: NOORMME): Promise<void> {
  const albums = db.model('Album');
  const rows = await albums.objects.raw('SELECT * FROM Album');
  const title: string = rows[0].Title;
  const artist: number = rows[0].ArtistId;
  const invoices = await db.model('Invoice').objects.raw('SELECT * FROM Invoice');
  const when: Date = invoices[0].InvoiceDate;
  const company: string | null = (await db.model('Customer').objects.raw('SELECT * FROM Customer'))[0].Company;
  const ok: Filter<TypesOf<'Track'>> = {
    Name__icontains: 'love',
    Milliseconds__gte: 200000,
    UnitPrice__range: [0.5, 1.5],
    GenreId__in: [1, 2, null],
    Composer__isnull: true,
    Album__Title__startswith: 'A',
  };
  const dates: Filter<TypesOf<'Invoice'>> = { InvoiceDate__year__gte: 2010, InvoiceDate__lt: new Date() };
  albums.encodeValue('Title', 'x');
  const Track = db.model('Track');
  const tracks = await Track.objects.filter({ Name__icontains: 'love' }).exclude(Q.or({ GenreId: 1 }, { Milliseconds__lt: F('Bytes') })).orderBy('-Milliseconds', 'Album__Title');
  const trackName: string = tracks[0].Name;
  const pairs = await Track.objects.values('Name', 'Milliseconds');
  const ms: number = pairs[0].Milliseconds;
  const one = await Track.objects.get({ TrackId: 1 });
  const n: number = await Track.objects.filter({ GenreId__in: [1, 2] }).count();
  const created = await db.model('Genre').objects.create({ Name: 'Chiptune' });
  const genreId: number = created.GenreId;
  const names: string[] = await Track.objects.valuesList('Name', { flat: true });
  const withAlbum = await Track.objects.selectRelated('Album').prefetch('Playlist');
  const albumTitle: string | undefined = withAlbum[0].Album?.Title;
  const playlistCount: number = withAlbum[0].Playlist.length;
  const TrackFilter = Track.filterSet({ fields: { Name: ['icontains'], Milliseconds: ['gte', 'range'], Album__Title: ['exact'] }, orderBy: ['Milliseconds', 'Album__Title'] });
  const { qs, errors } = TrackFilter.apply(new URLSearchParams('Name__icontains=love'), Track.objects.filter({ GenreId: 1 }));
  const filteredName: string = (await qs.orderBy('Name'))[0].Name;
  const message: string | undefined = errors.Name__icontains;
  TrackFilter.apply({ Milliseconds__gte: '1000', tags: ['a', 'b'], page: undefined });
  void filteredName, message;
  void albumTitle, playlistCount, title, artist, when, company, ok, dates, trackName, ms, one, n, genreId, names;
}
`;

const BAD = `
import { NOORMME, type Filter, type TypesOf } from 'noormme';

export async function run(db: NOORMME): Promise<void> {
  const misspelledField: Filter<TypesOf<'Track'>> = { Nmae__icontains: 'love' };
  const misspelledLookup: Filter<TypesOf<'Track'>> = { Name__icontain: 'love' };
  const wrongValue: Filter<TypesOf<'Track'>> = { Milliseconds__gte: 'long' };
  const notDate: Filter<TypesOf<'Track'>> = { Name__year: 2010 };
  db.model('Albun');
  const rows = await db.model('Album').objects.raw('SELECT * FROM Album');
  rows[0].Titel;
  db.model('Track').objects.filter({ Nmae__icontains: 'x' });
  db.model('Track').objects.orderBy('-Nmae');
  await db.model('Genre').objects.create({ Nmae: 'x' });
  db.model('Track').filterSet({ fields: { Nmae: ['exact'] } });
  db.model('Track').filterSet({ fields: { Name: ['icontain'] } });
  db.model('Track').filterSet({ fields: { Name: ['exact'] }, orderBy: ['Nmae'] });
  void misspelledField, misspelledLookup, wrongValue, notDate;
}
`;

test('generated declarations for chinook, northwind and sakila compile', () => {
  for (const database of ['chinook.sqlite', 'northwind.sqlite', 'sakila.sqlite']) {
    const dir = project({});
    generate(dir, database);
    assert.deepEqual(compile(dir, ['noormme-env.d.ts']), [], database);
  }
});

test('chinook types: real fields, lookups and result types compile', () => {
  const dir = project({ 'good.ts': GOOD });
  generate(dir, 'chinook.sqlite');
  assert.deepEqual(compile(dir, ['noormme-env.d.ts', 'good.ts']), []);
});

test('chinook types: misspelled fields, lookups, tables and wrong values fail to compile', () => {
  const dir = project({ 'bad.ts': BAD });
  generate(dir, 'chinook.sqlite');
  const errors = compile(dir, ['noormme-env.d.ts', 'bad.ts']);
  const expect = [
    [5, /'Nmae__icontains' does not exist/],
    [6, /'Name__icontain' does not exist/],
    [7, /Type 'string' is not assignable to type 'number'/],
    [8, /'Name__year' does not exist/],
    [9, /'"Albun"' is not assignable/],
    [11, /Property 'Titel' does not exist/],
    [12, /'Nmae__icontains' does not exist/],
    [13, /'"-Nmae"' is not assignable/],
    [14, /'Nmae' does not exist/],
    [15, /'Nmae' does not exist/],
    [16, /'"icontain"' is not assignable/],
    [17, /'"Nmae"' is not assignable/],
  ];
  for (const [line, pattern] of expect) {
    assert.ok(
      errors.some((e) => e.startsWith(`bad.ts:${line} `) && pattern.test(e)),
      `expected an error on line ${line} matching ${pattern}; got:\n${errors.join('\n')}`,
    );
  }
  assert.equal(errors.length, expect.length, errors.join('\n'));
});

test('--watch rewrites the declarations when the schema changes', async () => {
  const dir = tempDir();
  const database = path.join(dir, 'w.db');
  const { NOORMME } = require('..');
  const db = new NOORMME({ database });
  await db.exec('CREATE TABLE first(id INTEGER PRIMARY KEY)');
  const out = path.join(dir, 'env.d.ts');
  const { spawn } = require('node:child_process');
  const watcher = spawn(process.execPath, [path.join(ROOT, 'bin', 'noormme.js'), 'generate-types', database, '--out', out, '--watch'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    await new Promise((resolve) => watcher.stdout.on('data', (d) => String(d).includes('watching') && resolve()));
    assert.ok(fs.readFileSync(out, 'utf8').includes('"first"'));
    await db.exec('CREATE TABLE second(id INTEGER PRIMARY KEY)');
    const deadline = Date.now() + 10000;
    while (!fs.readFileSync(out, 'utf8').includes('"second"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(fs.readFileSync(out, 'utf8').includes('"second"'));
  } finally {
    watcher.kill();
    db.close();
  }
});

test('inspect prints tables, policies and relations; --json gives the schema', () => {
  const cli = path.join(ROOT, 'bin', 'noormme.js');
  const text = execFileSync(process.execPath, [cli, 'inspect', path.join(SHARED_DATA, 'chinook.sqlite')], { encoding: 'utf8' });
  assert.match(text, /^Invoice {2}\(table\)$/m);
  assert.match(text, /^ {2}InvoiceDate: DATETIME → Date \[datetime iso\] NOT NULL$/m);
  assert.match(text, /^ {2}\.Track: many-to-many → Track via PlaylistTrack \(reverse: Playlist\)$/m);
  const json = JSON.parse(execFileSync(process.execPath, [cli, 'inspect', path.join(SHARED_DATA, 'chinook.sqlite'), '--json'], { encoding: 'utf8' }));
  assert.equal(json.tables.length, 11);
  const missing = require('node:child_process').spawnSync(process.execPath, [cli, 'inspect', '/nonexistent/x.db'], { encoding: 'utf8' });
  assert.equal(missing.status, 1);
  assert.match(missing.stderr, /noormme: \/nonexistent\/x\.db does not exist/);
});
