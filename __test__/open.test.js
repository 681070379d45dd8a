'use strict';
// Opening a database: mistakes are named, and one file is one pool however it is reached (issue #16).
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { NOORMME, ConnectionError, ModelNotFoundError } = require('..');
const { tempDir } = require('./helpers');

test('unknown options are errors with a suggestion', () => {
  assert.throws(() => new NOORMME({ databse: 'x.db' }), (e) => e.code === 'INVALID_OPTION' && /Did you mean 'database'\?/.test(e.message) && e.field === 'databse');
  assert.throws(() => new NOORMME({ database: path.join(tempDir(), 'a.db'), readOnly: true }), (e) => e.code === 'INVALID_OPTION' && /'readonly'/.test(e.message));
  assert.throws(() => new NOORMME(null), { code: 'INVALID_OPTION' });
  const file = path.join(tempDir(), 'v.db');
  for (const [name, value] of [['readers', 1e10], ['readers', 0], ['inlineBudgetMs', Infinity], ['inlineBudgetMs', NaN], ['inlineBudgetMs', -1], ['busyTimeout', '5000'], ['fileMustExist', 'false'], ['readonly', 1], ['pragmas', 'x'], ['statementCacheSize', 1.5], ['log', 'yes']]) {
    assert.throws(() => new NOORMME({ database: file, [name]: value }), (e) => e.code === 'INVALID_OPTION' && e.field === name, `${name}: ${String(value)}`);
  }
  assert.throws(() => new NOORMME({ database: `file:${file}?mode=ro` }), (e) => e.code === 'INVALID_OPTION' && /not a URI/.test(e.message));
  assert.equal(fs.existsSync(path.join(process.cwd(), 'file:')), false);
});

test('a mistyped path: fileMustExist refuses it, and otherwise the empty new file is named', () => {
  const dir = tempDir();
  const missing = path.join(dir, 'chinok.sqlite');
  assert.throws(() => new NOORMME({ database: missing, fileMustExist: true }), (e) => e instanceof ConnectionError && e.path === missing && e.code === 'SQLITE_CANTOPEN');
  assert.equal(fs.existsSync(missing), false);
  const db = new NOORMME({ database: missing });
  assert.throws(() => db.model('Track'), (e) => e instanceof ModelNotFoundError && e.message.includes(`${missing} did not exist`) && /fileMustExist/.test(e.message));
  db.close();
  // Reopened, the file exists: no such note (it is just empty).
  const again = new NOORMME({ database: missing, fileMustExist: true });
  assert.throws(() => again.model('Track'), (e) => e instanceof ModelNotFoundError && !e.message.includes('did not exist'));
  again.close();
});

test('one file is one pool: another path to it shares it, a replaced file gets its own', async () => {
  const dir = tempDir();
  const file = path.join(dir, 'a.db');
  const first = new NOORMME({ database: file });
  await first.exec('CREATE TABLE t (x)');
  fs.symlinkSync(file, path.join(dir, 'link.db'));
  const viaLink = new NOORMME({ database: path.join(dir, 'link.db') });
  assert.equal(viaLink.shared, first.shared);
  // Replace the file under the same path: the new file must not be answered by the old pool.
  const other = path.join(dir, 'b.db');
  const setup = new NOORMME({ database: other });
  await setup.exec("CREATE TABLE u (y); INSERT INTO u VALUES ('new file')");
  setup.close();
  // As a deploy would: the old file and its -wal and -shm move away together.
  for (const suffix of ['', '-wal', '-shm']) if (fs.existsSync(file + suffix)) fs.renameSync(file + suffix, path.join(dir, `old.db${suffix}`));
  fs.renameSync(other, file);
  const reopened = new NOORMME({ database: file });
  assert.notEqual(reopened.shared, first.shared);
  assert.deepEqual(await reopened.query('SELECT y FROM u'), [{ y: 'new file' }]);
  reopened.close();
  viaLink.close();
  first.close();
});

test('unknown option keys of QuerySet and manager methods are errors, not ignored', async () => {
  const { Count, Prefetch } = require('..');
  const { NoormmeAdapter } = require('../lib/adapters/auth');
  const db = new NOORMME({ database: path.join(tempDir(), 'o.db'), nPlusOne: false });
  await db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT UNIQUE)');
  db.refreshSchema();
  const T = db.model('t');
  const refused = (e) => e.code === 'INVALID_OPTION';
  assert.throws(() => T.objects.valuesList('name', { flatt: true }), (e) => refused(e) && /Did you mean 'flat'/.test(e.message));
  await assert.rejects(T.objects.updateOrCreate({ name: 'a' }, { n: 5 }), refused);
  await assert.rejects(T.objects.getOrCreate({ name: 'a' }, { default: {} }), (e) => refused(e) && /'defaults'/.test(e.message));
  await assert.rejects(T.objects.bulkCreate([{ name: 'a' }], { ignoreConflict: true }), (e) => refused(e) && /'ignoreConflicts'/.test(e.message));
  await assert.rejects(T.objects.inBulk([1], { field: 'id' }), refused);
  assert.throws(() => Count('id', { default: 0 }), refused);
  assert.throws(() => new Prefetch('x', { to_attr: 'y' }), refused);
  assert.throws(() => NoormmeAdapter(db, { table: {} }), (e) => refused(e) && /'tables'/.test(e.message));
  // Nothing was written by the refused calls.
  assert.equal(await T.objects.count(), 0);
  db.close();
});

test('queries in flight when close() runs fail with POOL_CLOSED', async () => {
  const db = new NOORMME({ database: path.join(tempDir(), 'f.db') });
  const slow = 'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 50000000) SELECT count(*) AS n FROM c';
  const running = db.query(slow);
  await new Promise((r) => setTimeout(r, 50));
  db.close();
  await assert.rejects(running, (e) => e.code === 'POOL_CLOSED');
});

test('close() releases the file at once: no descriptor stays open, the WAL is gone', async () => {
  const file = path.join(tempDir(), 'c.db');
  const openOn = () => fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`).startsWith(file);
    } catch {
      return false;
    }
  }).length;
  const db = new NOORMME({ database: file, readers: 3 });
  await db.exec('CREATE TABLE t (x)');
  await db.execute('INSERT INTO t VALUES (1)');
  await db.query('SELECT * FROM t');
  assert.ok(openOn() >= 3, `${openOn()} descriptors while open`);
  db.close();
  assert.equal(openOn(), 0, 'descriptors left after close()');
  // The last connection to close checkpoints and removes the WAL and its
  // index: with one left open they would stay, and the file stay held.
  assert.equal(fs.existsSync(`${file}-wal`), false);
  assert.equal(fs.existsSync(`${file}-shm`), false);
});

test('writes to a database file deleted or replaced while open fail with DATABASE_MOVED instead of vanishing', async () => {
  for (const how of ['deleted', 'replaced']) {
    const dir = tempDir();
    const file = path.join(dir, 'gone.db');
    const db = new NOORMME({ database: file, nPlusOne: false });
    await db.exec('CREATE TABLE t (x)');
    db.refreshSchema();
    const T = db.model('t');
    await db.execute('INSERT INTO t VALUES (1)');
    if (how === 'deleted') {
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    } else {
      fs.writeFileSync(path.join(dir, 'other.db'), '');
      fs.renameSync(path.join(dir, 'other.db'), file);
    }
    // The file system is asked at most once a millisecond.
    await new Promise((r) => setTimeout(r, 5));
    await assert.rejects(db.execute('INSERT INTO t VALUES (2)'), (e) => e.code === 'DATABASE_MOVED', how);
    await assert.rejects(db.transaction(async (tx) => tx.execute('INSERT INTO t VALUES (3)')), (e) => e.code === 'DATABASE_MOVED', how);
    await assert.rejects(T.objects.create({ x: 4 }), (e) => e.code === 'DATABASE_MOVED', how);
    db.close();
  }
});
