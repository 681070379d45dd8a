'use strict';
// The Auth.js adapter contract, method by method, with the documented return
// shapes and edge cases.
const test = require('node:test');
const assert = require('node:assert/strict');
const { NOORMME } = require('..');
const { NoormmeAdapter, applyAuthSchema } = require('../lib/adapters/auth');
const { tempDb } = require('./helpers');

// Auth.js calls adapter methods without their object (`const { getUser } =
// adapter`), so every test calls them detached too.
const detached = (adapter) => Object.fromEntries(Object.entries(adapter).map(([name, method]) => [name, (...args) => method(...args)]));

async function setup(options) {
  const db = new NOORMME({ database: tempDb(), nPlusOne: false });
  await applyAuthSchema(db);
  return { db, adapter: detached(NoormmeAdapter(db, options)) };
}

const isPlain = (o) => o !== null && Object.getPrototypeOf(o) === Object.prototype;

test('users: create, get, by email, update, delete (cascading)', async () => {
  const { db, adapter } = await setup();
  const verified = new Date('2025-01-02T03:04:05.000Z');
  const user = await adapter.createUser({ id: 'u1', name: 'Ada', email: 'ada@example.com', emailVerified: verified, image: null });
  assert.deepEqual(user, { id: 'u1', name: 'Ada', email: 'ada@example.com', emailVerified: verified, image: null });
  assert.ok(isPlain(user));
  const generated = await adapter.createUser({ name: 'No id', email: 'x@example.com', emailVerified: null });
  assert.match(generated.id, /^[0-9a-f-]{36}$/);
  assert.deepEqual(await adapter.getUser('u1'), user);
  assert.equal(await adapter.getUser('nope'), null);
  assert.deepEqual(await adapter.getUserByEmail('ada@example.com'), user);
  assert.equal(await adapter.getUserByEmail('nobody@example.com'), null);
  const updated = await adapter.updateUser({ id: 'u1', name: 'Ada Lovelace' });
  assert.deepEqual(updated, { ...user, name: 'Ada Lovelace' });
  assert.ok(updated.emailVerified instanceof Date);
  await adapter.linkAccount({ userId: 'u1', type: 'oauth', provider: 'github', providerAccountId: '42' });
  await adapter.createSession({ sessionToken: 's1', userId: 'u1', expires: new Date(Date.now() + 3600e3) });
  await adapter.createAuthenticator({ credentialID: 'c1', userId: 'u1', providerAccountId: 'p', credentialPublicKey: 'k', counter: 0, credentialDeviceType: 'singleDevice', credentialBackedUp: false });
  await adapter.deleteUser('u1');
  assert.equal(await adapter.getUser('u1'), null);
  assert.equal(await adapter.getUserByAccount({ provider: 'github', providerAccountId: '42' }), null);
  assert.equal(await adapter.getSessionAndUser('s1'), null);
  assert.equal(await adapter.getAuthenticator('c1'), null);
  assert.deepEqual(await db.query('SELECT (SELECT count(*) FROM account) + (SELECT count(*) FROM session) + (SELECT count(*) FROM authenticator) AS n'), [{ n: 0 }]);
  db.close();
});

test('accounts: link with snake_case fields, find the user, get, unlink', async () => {
  const { db, adapter } = await setup();
  await adapter.createUser({ id: 'u1', email: 'a@example.com', emailVerified: null });
  const account = {
    userId: 'u1',
    type: 'oauth',
    provider: 'github',
    providerAccountId: '1001',
    access_token: 'tok',
    refresh_token: 'ref',
    expires_at: 1767225600,
    token_type: 'bearer',
    scope: 'read:user',
    id_token: null,
    session_state: null,
  };
  assert.deepEqual(await adapter.linkAccount(account), account);
  assert.equal((await adapter.getUserByAccount({ provider: 'github', providerAccountId: '1001' })).id, 'u1');
  assert.deepEqual(await adapter.getAccount('1001', 'github'), account);
  assert.equal(await adapter.getAccount('1001', 'gitlab'), null);
  await adapter.unlinkAccount({ provider: 'github', providerAccountId: '1001' });
  assert.equal(await adapter.getUserByAccount({ provider: 'github', providerAccountId: '1001' }), null);
  db.close();
});

test('sessions: create, get with user, update, delete', async () => {
  const { db, adapter } = await setup();
  const user = await adapter.createUser({ id: 'u1', email: 'a@example.com', emailVerified: null });
  const expires = new Date('2030-01-01T00:00:00.000Z');
  assert.deepEqual(await adapter.createSession({ sessionToken: 's1', userId: 'u1', expires }), { sessionToken: 's1', userId: 'u1', expires });
  assert.deepEqual(await adapter.getSessionAndUser('s1'), { session: { sessionToken: 's1', userId: 'u1', expires }, user });
  assert.equal(await adapter.getSessionAndUser('nope'), null);
  const later = new Date('2031-06-01T12:00:00.000Z');
  assert.deepEqual(await adapter.updateSession({ sessionToken: 's1', expires: later }), { sessionToken: 's1', userId: 'u1', expires: later });
  assert.equal(await adapter.updateSession({ sessionToken: 'nope', expires: later }), null);
  await adapter.deleteSession('s1');
  assert.equal(await adapter.getSessionAndUser('s1'), null);
  db.close();
});

test('verification tokens are single use, even when used twice at once', async () => {
  const { db, adapter } = await setup();
  const token = { identifier: 'a@example.com', token: 'hashed', expires: new Date('2030-01-01T00:00:00.000Z') };
  assert.deepEqual(await adapter.createVerificationToken(token), token);
  const [first, second] = await Promise.all([
    adapter.useVerificationToken({ identifier: 'a@example.com', token: 'hashed' }),
    adapter.useVerificationToken({ identifier: 'a@example.com', token: 'hashed' }),
  ]);
  assert.deepEqual([first, second].filter(Boolean), [token], 'exactly one use succeeds');
  assert.equal(await adapter.useVerificationToken({ identifier: 'a@example.com', token: 'hashed' }), null);
  assert.equal(await adapter.useVerificationToken({ identifier: 'b@example.com', token: 'other' }), null);
  db.close();
});

test('authenticators (WebAuthn): create, get, list by user, update the counter', async () => {
  const { db, adapter } = await setup();
  await adapter.createUser({ id: 'u1', email: 'a@example.com', emailVerified: null });
  const auth = { credentialID: 'c1', userId: 'u1', providerAccountId: 'pa', credentialPublicKey: 'pk', counter: 1, credentialDeviceType: 'multiDevice', credentialBackedUp: true, transports: 'internal' };
  assert.deepEqual(await adapter.createAuthenticator(auth), auth);
  assert.deepEqual(await adapter.getAuthenticator('c1'), auth);
  assert.equal(await adapter.getAuthenticator('nope'), null);
  assert.deepEqual(await adapter.listAuthenticatorsByUserId('u1'), [auth]);
  assert.deepEqual(await adapter.listAuthenticatorsByUserId('u2'), []);
  assert.deepEqual(await adapter.updateAuthenticatorCounter('c1', 7), { ...auth, counter: 7 });
  await assert.rejects(adapter.updateAuthenticatorCounter('nope', 1), { code: 'DOES_NOT_EXIST' });
  db.close();
});

test('custom table and column names through options; a missing table names the fix', async () => {
  const db = new NOORMME({ database: tempDb(), nPlusOne: false });
  await db.exec(`CREATE TABLE members (id TEXT PRIMARY KEY, name TEXT, email TEXT UNIQUE, email_verified INTEGER, image TEXT);`);
  db.refreshSchema();
  const adapter = detached(NoormmeAdapter(db, { tables: { user: 'members' }, columns: { user: { emailVerified: 'email_verified' } } }));
  const user = await adapter.createUser({ id: 'm1', email: 'm@example.com', emailVerified: new Date('2025-05-05T00:00:00.000Z') });
  assert.equal(user.emailVerified.toISOString(), '2025-05-05T00:00:00.000Z');
  assert.deepEqual(await db.query('SELECT id, email FROM members'), [{ id: 'm1', email: 'm@example.com' }]);
  await assert.rejects(adapter.getSessionAndUser('x'), (e) => e.code === 'AUTH_SCHEMA_MISSING' && /npx noormme auth-schema/.test(e.message));
  db.close();
});

test('npx noormme auth-schema prints the DDL and --apply creates the tables', async () => {
  const path = require('node:path');
  const { execFileSync } = require('node:child_process');
  const cli = path.join(__dirname, '..', 'bin', 'noormme.js');
  const ddl = execFileSync(process.execPath, [cli, 'auth-schema'], { encoding: 'utf8' });
  assert.match(ddl, /CREATE TABLE IF NOT EXISTS "verificationToken"/);
  const file = tempDb();
  execFileSync(process.execPath, [cli, 'auth-schema', file, '--apply']);
  const db = new NOORMME({ database: file });
  assert.deepEqual(db.schema().tables.map((t) => t.name), ['account', 'authenticator', 'session', 'user', 'verificationToken']);
  // The dates are DATETIME, so models read them as Date.
  assert.equal(db.model('session').meta.columns.find((c) => c.name === 'expires').jsType, 'Date');
  db.close();
});

// Every key position of every method, given what a request can make of it:
// nothing may match all rows, change a row, or fail other than with a
// NoormmeError (INVALID_ARGUMENT) or null.
test('hostile keys: every adapter method fails closed (null, [] or INVALID_ARGUMENT), and nothing changes', async () => {
  const { db, adapter } = await setup();
  for (const id of ['u1', 'u2']) {
    await adapter.createUser({ id, name: id, email: `${id}@example.com`, emailVerified: null });
    await adapter.linkAccount({ userId: id, type: 'oauth', provider: 'github', providerAccountId: `p-${id}` });
    await adapter.createSession({ sessionToken: `s-${id}`, userId: id, expires: new Date('2030-01-01T00:00:00.000Z') });
    await adapter.createAuthenticator({ credentialID: `c-${id}`, userId: id, providerAccountId: `p-${id}`, credentialPublicKey: 'k', counter: 1, credentialDeviceType: 'singleDevice', credentialBackedUp: false });
    await adapter.createVerificationToken({ identifier: `${id}@example.com`, token: `t-${id}`, expires: new Date('2030-01-01T00:00:00.000Z') });
  }
  const fingerprint = async () => JSON.stringify(await Promise.all(['user', 'account', 'session', 'authenticator', 'verificationToken'].map((t) => db.query(`SELECT * FROM "${t}" ORDER BY 1, 2`))));
  const before = await fingerprint();
  const bad = [undefined, null, 0, 42, '', {}, [], ['s-u1'], { sessionToken: 's-u1' }, () => 's-u1', Symbol('x'), 10n];
  const good = { id: 'u1', email: 'u1@example.com', sessionToken: 's-u1', provider: 'github', providerAccountId: 'p-u1', identifier: 'u1@example.com', token: 't-u1', credentialID: 'c-u1', userId: 'u1' };
  // [method, builds its arguments with `v` in the key position named]
  const calls = [
    ['getUser', 'id', (v) => [v], 'read'],
    ['getUserByEmail', 'email', (v) => [v], 'read'],
    ['getUserByAccount', 'provider', (v) => [{ provider: v, providerAccountId: good.providerAccountId }], 'read'],
    ['getUserByAccount', 'providerAccountId', (v) => [{ provider: good.provider, providerAccountId: v }], 'read'],
    ['getUserByAccount', 'whole argument', (v) => [v], 'read'],
    ['getAccount', 'providerAccountId', (v) => [v, good.provider], 'read'],
    ['getAccount', 'provider', (v) => [good.providerAccountId, v], 'read'],
    ['getSessionAndUser', 'sessionToken', (v) => [v], 'read'],
    ['getAuthenticator', 'credentialID', (v) => [v], 'read'],
    ['listAuthenticatorsByUserId', 'userId', (v) => [v], 'list'],
    ['useVerificationToken', 'identifier', (v) => [{ identifier: v, token: good.token }], 'read'],
    ['useVerificationToken', 'token', (v) => [{ identifier: good.identifier, token: v }], 'read'],
    ['useVerificationToken', 'whole argument', (v) => [v], 'read'],
    ['updateUser', 'id', (v) => [{ id: v, name: 'pwned' }], 'write'],
    ['updateUser', 'whole argument', (v) => [v], 'write'],
    ['deleteUser', 'userId', (v) => [v], 'write'],
    ['unlinkAccount', 'provider', (v) => [{ provider: v, providerAccountId: good.providerAccountId }], 'write'],
    ['unlinkAccount', 'providerAccountId', (v) => [{ provider: good.provider, providerAccountId: v }], 'write'],
    ['updateSession', 'sessionToken', (v) => [{ sessionToken: v, expires: new Date('2000-01-01T00:00:00.000Z') }], 'write'],
    ['updateSession', 'whole argument', (v) => [v], 'write'],
    ['deleteSession', 'sessionToken', (v) => [v], 'write'],
    ['updateAuthenticatorCounter', 'credentialID', (v) => [v, 99], 'write'],
  ];
  let checked = 0;
  for (const [method, position, args, kind] of calls) {
    for (const v of bad) {
      // Whole, `{ sessionToken }` is a valid updateSession argument.
      if (position === 'whole argument' && v !== null && typeof v === 'object' && !Array.isArray(v) && 'sessionToken' in v) continue;
      const label = `${method}(${position} = ${typeof v === 'symbol' ? 'symbol' : typeof v === 'bigint' ? `${v}n` : typeof v === 'function' ? 'function' : JSON.stringify(v)})`;
      let result;
      try {
        result = await adapter[method](...args(v));
      } catch (err) {
        assert.equal(kind, 'write', `${label} threw ${err}, reads answer null`);
        assert.equal(err.code, 'INVALID_ARGUMENT', `${label}: ${err}`);
        assert.equal(err.name, 'NoormmeError', label);
        checked++;
        continue;
      }
      if (kind === 'read') assert.equal(result, null, label);
      else if (kind === 'list') assert.deepEqual(result, [], label);
      else assert.fail(`${label} resolved (${JSON.stringify(result)}) instead of refusing`);
      assert.equal(await fingerprint(), before, `${label} changed the database`);
      checked++;
    }
  }
  assert.ok(checked >= calls.length * (bad.length - 1));
  assert.equal(await fingerprint(), before);
  // The create methods take objects: anything else is refused before any SQL.
  for (const method of ['createUser', 'linkAccount', 'createSession', 'createVerificationToken', 'createAuthenticator']) {
    for (const v of [undefined, null, 0, 'x', [], [{ id: 'u9' }]]) {
      await assert.rejects(adapter[method](v), (e) => e.name === 'NoormmeError' && e.code === 'INVALID_ARGUMENT', `${method}(${JSON.stringify(v)})`);
    }
  }
  assert.equal(await fingerprint(), before);
  // The counter is checked too, and good keys still work afterwards.
  await assert.rejects(adapter.updateAuthenticatorCounter('c-u1', 'x'), { code: 'INVALID_ARGUMENT', field: 'counter' });
  assert.equal((await adapter.getSessionAndUser('s-u1')).user.id, 'u1');
  db.close();
});

test('your own users table with INTEGER ids: integer keys work there, and only there', async () => {
  const db = new NOORMME({ database: tempDb(), nPlusOne: false });
  await applyAuthSchema(db);
  await db.exec(`CREATE TABLE members (id INTEGER PRIMARY KEY, name TEXT, email TEXT UNIQUE, emailVerified DATETIME, image TEXT);
    CREATE TABLE member_session (sessionToken TEXT PRIMARY KEY, userId INTEGER NOT NULL REFERENCES members(id), expires DATETIME NOT NULL);`);
  db.refreshSchema();
  const adapter = detached(NoormmeAdapter(db, { tables: { user: 'members', session: 'member_session' }, generateId: () => undefined }));
  const user = await adapter.createUser({ name: 'Ada', email: 'ada@example.com', emailVerified: null });
  assert.equal(typeof user.id, 'number');
  assert.deepEqual(await adapter.getUser(user.id), user);
  await adapter.createSession({ sessionToken: 'tok', userId: user.id, expires: new Date('2030-01-01T00:00:00.000Z') });
  assert.deepEqual((await adapter.getSessionAndUser('tok')).user, user);
  for (const bad of [1.5, NaN, -0.5, 2 ** 53, undefined, null, '', '\ud800']) assert.equal(await adapter.getUser(bad), null, String(bad));
  // Session tokens stay strings: a number finds nothing there.
  assert.equal(await adapter.getSessionAndUser(1), null);
  assert.equal(await adapter.getSessionAndUser('\ud800tok'), null);
  await assert.rejects(adapter.deleteSession('\ud800'), { code: 'INVALID_ARGUMENT' });
  await adapter.deleteUser(user.id);
  assert.equal(await adapter.getUser(user.id), null);
  assert.equal(await adapter.getSessionAndUser('tok'), null);
  db.close();
});
