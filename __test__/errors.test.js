'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');
const { NOORMME, NoormmeError, SqliteError, BusyError, ConnectionError, FieldError } = require('..');
const { tempDb, tempDir, copyShared } = require('./helpers');

test('constraint failures are SqliteErrors with extended code names', async () => {
  const db = new NOORMME({ database: tempDb() });
  try {
    await db.exec(`
      CREATE TABLE authors(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE);
      CREATE TABLE books(id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES authors(id));`);
    await db.execute('INSERT INTO authors(email) VALUES (?)', ['a@x']);
    const unique = await db.execute('INSERT INTO authors(email) VALUES (?)', ['a@x']).catch((e) => e);
    assert.ok(unique instanceof SqliteError && unique instanceof NoormmeError);
    assert.equal(unique.code, 'SQLITE_CONSTRAINT_UNIQUE');
    assert.equal(unique.rawCode, 2067);
    assert.equal(unique.message, 'UNIQUE constraint failed: authors.email');
    assert.equal(unique.sql, 'INSERT INTO authors(email) VALUES (?)');

    // foreign_keys=ON is a default.
    await assert.rejects(db.execute('INSERT INTO books(author_id) VALUES (99)'), {
      name: 'SqliteError',
      code: 'SQLITE_CONSTRAINT_FOREIGNKEY',
      rawCode: 787,
      message: 'FOREIGN KEY constraint failed',
    });
    await assert.rejects(db.execute('INSERT INTO authors(email) VALUES (NULL)'), {
      code: 'SQLITE_CONSTRAINT_NOTNULL',
      rawCode: 1299,
    });
    await assert.rejects(db.query('SELEC 1'), { name: 'SqliteError', code: 'SQLITE_ERROR', rawCode: 1, message: /syntax error/ });
    await assert.rejects(db.query('SELECT * FROM nope'), { code: 'SQLITE_ERROR', message: 'no such table: nope' });
  } finally {
    db.close();
  }
});

test('raw BEGIN/COMMIT is refused in favour of db.transaction()', async () => {
  const db = new NOORMME({ database: tempDb() });
  await assert.rejects(db.execute('BEGIN'), { name: 'NoormmeError', code: 'TRANSACTION_STATEMENT', message: /db\.transaction/ });
  await assert.rejects(db.execute('SELECT 1; SELECT 2'), { code: 'MULTIPLE_STATEMENTS', message: /db\.exec\(\)/ });
  db.close();
  await assert.rejects(db.query('SELECT 1'), { name: 'NoormmeError', code: 'POOL_CLOSED' });
});

test('BusyError when another process holds the write lock past busyTimeout', async () => {
  const file = tempDb();
  const holder = spawn(process.execPath, [path.join(__dirname, 'fixtures/hold-lock.js'), file], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise((resolve) => holder.stdout.once('data', resolve));
  const db = new NOORMME({ database: file, busyTimeout: 300 });
  try {
    const started = Date.now();
    const err = await db.execute('CREATE TABLE mine(x)').catch((e) => e);
    const waited = Date.now() - started;
    assert.ok(err instanceof BusyError && err instanceof SqliteError, String(err));
    assert.equal(err.code, 'SQLITE_BUSY');
    assert.equal(err.rawCode, 5);
    assert.match(err.message, /database is locked: gave up after \d+ ms/);
    assert.ok(waited >= 290, `gave up after ${waited} ms`);
    // BEGIN IMMEDIATE is retried the same way.
    await assert.rejects(db.transaction(async () => {}), BusyError);
    // No lock is left behind: once the other process lets go, writes succeed.
    holder.stdin.end();
    await new Promise((resolve) => holder.on('exit', resolve));
    await db.transaction((tx) => tx.execute('CREATE TABLE mine(x)'));
    assert.deepEqual(await db.query("SELECT name FROM sqlite_master WHERE name IN ('held', 'mine') ORDER BY name"), [
      { name: 'held' },
      { name: 'mine' },
    ]);
  } finally {
    holder.kill();
    db.close();
  }
});

test('ConnectionError for a missing directory, with the absolute path', () => {
  const dir = tempDir();
  const relative = path.relative(process.cwd(), path.join(dir, 'missing', 'app.db'));
  assert.throws(() => new NOORMME({ database: relative }), (e) => {
    assert.ok(e instanceof ConnectionError && e instanceof NoormmeError);
    assert.equal(e.code, 'SQLITE_CANTOPEN');
    assert.equal(e.path, path.join(dir, 'missing', 'app.db'));
    assert.match(e.message, /the directory .*missing does not exist\. Create it first/);
    return true;
  });
});

test('ConnectionError for a file that is not a database', () => {
  const file = path.join(tempDir(), 'notes.db');
  fs.writeFileSync(file, 'these are my notes, not a database '.repeat(200));
  assert.throws(() => new NOORMME({ database: file }), {
    name: 'ConnectionError',
    code: 'SQLITE_NOTADB',
    path: file,
    message: /is not a SQLite database/,
  });
  // The file was not touched.
  assert.match(fs.readFileSync(file, 'utf8'), /^these are my notes/);
});

test('ConnectionError for a read-only file asked to write', (t) => {
  const dir = tempDir();
  const file = path.join(dir, 'ro.db');
  const setup = new NOORMME({ database: file });
  setup.close();
  fs.chmodSync(file, 0o444);
  fs.chmodSync(dir, 0o755);
  let result;
  if (process.getuid && process.getuid() === 0) {
    // root ignores file permissions: open it as an unprivileged user instead.
    const run = spawnSync(process.execPath, [path.join(__dirname, 'fixtures/open-as-nobody.js'), file], {
      uid: 65534,
      gid: 65534,
      encoding: 'utf8',
    });
    assert.equal(run.status, 0, run.stderr);
    result = JSON.parse(run.stdout);
  } else {
    try {
      new NOORMME({ database: file });
      result = { opened: true };
    } catch (e) {
      result = { name: e.name, code: e.code, path: e.path, message: e.message };
    }
  }
  assert.equal(result.name, 'ConnectionError');
  assert.equal(result.code, 'SQLITE_READONLY');
  assert.equal(result.path, file);
  assert.match(result.message, /read-only .*pass readonly: true/);
  // readonly: true opens it and reads, and refuses writes with a clear error.
  const ro = new NOORMME({ database: file, readonly: true });
  t.after(() => ro.close());
  return assert.rejects(ro.execute('CREATE TABLE t(x)'), { code: 'READONLY_DATABASE' });
});

test('invalid options are refused', () => {
  assert.throws(() => new NOORMME({}), { code: 'INVALID_OPTION' });
  assert.throws(() => new NOORMME({ database: ':memory:', pragmas: { cache_size: '1; DROP TABLE x' } }), {
    code: 'INVALID_PRAGMA',
  });
});

/** Opens `file` with `options` as an unprivileged user when we are root (root ignores permissions). */
function openUnprivileged(file, options) {
  const args = [path.join(__dirname, 'fixtures/open-as-nobody.js'), file, JSON.stringify(options)];
  const asRoot = process.getuid && process.getuid() === 0;
  const run = spawnSync(process.execPath, args, { encoding: 'utf8', ...(asRoot ? { uid: 65534, gid: 65534 } : {}) });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout);
}

test('readonly: true reads a WAL database in a read-only directory, and says why when the WAL holds changes it cannot read', async (t) => {
  // Checkpointed and closed: no -wal, and no -shm can be created.
  const dir = tempDir();
  const file = path.join(dir, 'wal.db');
  const setup = new NOORMME({ database: file });
  await setup.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1), (2)');
  setup.close();
  assert.equal(fs.existsSync(`${file}-wal`), false);
  fs.chmodSync(file, 0o444);
  fs.chmodSync(dir, 0o555);
  t.after(() => fs.chmodSync(dir, 0o755));
  const opened = openUnprivileged(file, { readonly: true });
  assert.equal(opened.opened, true, JSON.stringify(opened));
  assert.deepEqual(opened.rows, [{ n: 2 }]);
  assert.match(opened.info.fallbackReason, /immutable/);

  // A -wal with committed changes and no -shm: immutable reads would miss them, so it is refused with the remedy.
  const dir2 = tempDir();
  const file2 = path.join(dir2, 'pending.db');
  const writer = `const { NOORMME } = require(${JSON.stringify(path.resolve(__dirname, '..'))});
    (async () => { const db = new NOORMME({ database: ${JSON.stringify(file2)}, pragmas: { wal_autocheckpoint: 0 } });
      await db.exec('CREATE TABLE t (x); INSERT INTO t VALUES (1)'); process.exit(0); })();`;
  const made = spawnSync(process.execPath, ['-e', writer], { encoding: 'utf8' });
  assert.equal(made.status, 0, made.stderr);
  assert.ok(fs.statSync(`${file2}-wal`).size > 0);
  fs.rmSync(`${file2}-shm`, { force: true });
  fs.chmodSync(file2, 0o444);
  fs.chmodSync(`${file2}-wal`, 0o444);
  fs.chmodSync(dir2, 0o555);
  t.after(() => fs.chmodSync(dir2, 0o755));
  const refused = openUnprivileged(file2, { readonly: true });
  assert.equal(refused.name, 'ConnectionError', JSON.stringify(refused));
  assert.match(refused.message, /holds changes not yet in the database/);
  assert.doesNotMatch(refused.message, /pass readonly: true/);
});

test('a FieldError from the compiler carries model, field, suggestion and choices', () => {
  const db = new NOORMME({ database: copyShared('chinook.sqlite'), nPlusOne: false });
  const Track = db.model('Track');
  const caught = (fn) => {
    try {
      fn();
    } catch (e) {
      return e;
    }
    return assert.fail('no error');
  };
  const missing = caught(() => Track.objects.filter({ Nmae__icontains: 'x' }));
  assert.ok(missing instanceof FieldError);
  assert.equal(missing.model, 'Track');
  assert.equal(missing.field, 'Nmae');
  assert.equal(missing.suggestion, 'Name');
  assert.ok(missing.choices.includes('Milliseconds') && missing.choices.includes('Album'));
  const deep = caught(() => Track.objects.filter({ Album__Titel: 'x' }));
  assert.deepEqual([deep.model, deep.field, deep.suggestion], ['Album', 'Titel', 'Title']);
  const lookup = caught(() => Track.objects.filter({ Name__icontain: 'x' }));
  assert.deepEqual([lookup.model, lookup.field, lookup.suggestion], ['Track', 'Name__icontain', 'icontains']);
  assert.ok(lookup.choices.includes('iregex') && lookup.choices.includes('year'));
  db.close();
});
