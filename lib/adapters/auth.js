'use strict';
// The Auth.js (NextAuth v5 and v4) adapter: users, accounts, sessions,
// verification tokens and WebAuthn authenticators on the canonical Auth.js
// SQLite tables (see AUTH_SCHEMA), or on your own names through options.

const { NoormmeError } = require('../errors');

/** The canonical tables, as `npx noormme auth-schema` prints them. */
const AUTH_SCHEMA = `CREATE TABLE IF NOT EXISTS "user" (
  "id" TEXT PRIMARY KEY NOT NULL,
  "name" TEXT,
  "email" TEXT UNIQUE,
  "emailVerified" DATETIME,
  "image" TEXT
);
CREATE TABLE IF NOT EXISTS "account" (
  "userId" TEXT NOT NULL REFERENCES "user"("id") ON DELETE CASCADE,
  "type" TEXT NOT NULL,
  "provider" TEXT NOT NULL,
  "providerAccountId" TEXT NOT NULL,
  "refresh_token" TEXT,
  "access_token" TEXT,
  "expires_at" INTEGER,
  "token_type" TEXT,
  "scope" TEXT,
  "id_token" TEXT,
  "session_state" TEXT,
  PRIMARY KEY ("provider", "providerAccountId")
);
CREATE INDEX IF NOT EXISTS "account_userId" ON "account"("userId");
CREATE TABLE IF NOT EXISTS "session" (
  "sessionToken" TEXT PRIMARY KEY NOT NULL,
  "userId" TEXT NOT NULL REFERENCES "user"("id") ON DELETE CASCADE,
  "expires" DATETIME NOT NULL
);
CREATE INDEX IF NOT EXISTS "session_userId" ON "session"("userId");
CREATE TABLE IF NOT EXISTS "verificationToken" (
  "identifier" TEXT NOT NULL,
  "token" TEXT NOT NULL,
  "expires" DATETIME NOT NULL,
  PRIMARY KEY ("identifier", "token")
);
CREATE TABLE IF NOT EXISTS "authenticator" (
  "credentialID" TEXT NOT NULL UNIQUE,
  "userId" TEXT NOT NULL REFERENCES "user"("id") ON DELETE CASCADE,
  "providerAccountId" TEXT NOT NULL,
  "credentialPublicKey" TEXT NOT NULL,
  "counter" INTEGER NOT NULL,
  "credentialDeviceType" TEXT NOT NULL,
  "credentialBackedUp" BOOLEAN NOT NULL,
  "transports" TEXT,
  PRIMARY KEY ("userId", "credentialID")
);
`;

const FIELDS = {
  user: ['id', 'name', 'email', 'emailVerified', 'image'],
  account: ['userId', 'type', 'provider', 'providerAccountId', 'refresh_token', 'access_token', 'expires_at', 'token_type', 'scope', 'id_token', 'session_state'],
  session: ['sessionToken', 'userId', 'expires'],
  verificationToken: ['identifier', 'token', 'expires'],
  authenticator: ['credentialID', 'userId', 'providerAccountId', 'credentialPublicKey', 'counter', 'credentialDeviceType', 'credentialBackedUp', 'transports'],
};
const DATES = new Set(['emailVerified', 'expires']);

function toDate(v) {
  if (v === null || v === undefined || v instanceof Date) return v ?? null;
  const d = new Date(typeof v === 'number' && v < 1e11 ? v * 1000 : v);
  return Number.isNaN(d.getTime()) ? v : d;
}

/**
 * `NoormmeAdapter(db, { tables: { user: 'users' }, columns: { user: { emailVerified: 'email_verified' } } })`.
 */
function NoormmeAdapter(db, options = {}) {
  const tables = { user: 'user', account: 'account', session: 'session', verificationToken: 'verificationToken', authenticator: 'authenticator', ...options.tables };
  const columns = options.columns ?? {};
  const generateId = options.generateId ?? (() => globalThis.crypto.randomUUID());
  const col = (kind, field) => (columns[kind] && columns[kind][field]) || field;

  function model(kind) {
    try {
      return db.model(tables[kind]);
    } catch (err) {
      throw new NoormmeError(
        `The Auth.js adapter needs the table '${tables[kind]}' (${kind}). Create the tables with \`npx noormme auth-schema <db> --apply\`, or map yours with the adapter's tables option. (${err.message})`,
        { code: 'AUTH_SCHEMA_MISSING', cause: err },
      );
    }
  }

  /** Auth.js field names → the table's column names (only the fields Auth.js knows). */
  function toRow(kind, data) {
    const out = {};
    for (const field of FIELDS[kind]) if (data[field] !== undefined) out[col(kind, field)] = data[field];
    return out;
  }

  /** A table row → the plain object Auth.js expects (Dates for dates, null for missing). */
  function fromRow(kind, row) {
    if (!row) return null;
    const out = {};
    for (const field of FIELDS[kind]) {
      const value = row[col(kind, field)];
      if (value === undefined) continue;
      out[field] = DATES.has(field) ? toDate(value) : value;
    }
    if (kind === 'authenticator') out.credentialBackedUp = Boolean(out.credentialBackedUp);
    return out;
  }

  const where = (kind, data) => toRow(kind, data);

  // Auth.js calls the methods detached from the object, so they refer to
  // each other through this binding, never through `this`.
  const adapter = {
    async createUser(user) {
      const row = await model('user').objects.create(toRow('user', { ...user, id: user.id ?? generateId() }));
      return fromRow('user', row);
    },
    async getUser(id) {
      return fromRow('user', await model('user').objects.filter(where('user', { id })).first());
    },
    async getUserByEmail(email) {
      if (!email) return null;
      return fromRow('user', await model('user').objects.filter(where('user', { email })).first());
    },
    async getUserByAccount({ provider, providerAccountId }) {
      const account = await model('account').objects.filter(where('account', { provider, providerAccountId })).first();
      if (!account) return null;
      return adapter.getUser(account[col('account', 'userId')]);
    },
    async updateUser(user) {
      const { id, ...changes } = user;
      const data = toRow('user', changes);
      if (Object.keys(data).length) await model('user').objects.filter(where('user', { id })).update(data);
      const updated = await adapter.getUser(id);
      if (!updated) throw new NoormmeError(`Auth.js updateUser: no user with id ${id}`, { code: 'DOES_NOT_EXIST' });
      return updated;
    },
    async deleteUser(userId) {
      // Accounts, sessions and authenticators go too (ON DELETE CASCADE in the
      // canonical schema; removed explicitly for schemas without it).
      await db.transaction(async () => {
        for (const kind of ['account', 'session', 'authenticator']) await model(kind).objects.filter(where(kind, { userId })).delete();
        await model('user').objects.filter(where('user', { id: userId })).delete();
      });
    },
    async linkAccount(account) {
      return fromRow('account', await model('account').objects.create(toRow('account', account)));
    },
    async unlinkAccount({ provider, providerAccountId }) {
      await model('account').objects.filter(where('account', { provider, providerAccountId })).delete();
    },
    async getAccount(providerAccountId, provider) {
      return fromRow('account', await model('account').objects.filter(where('account', { provider, providerAccountId })).first());
    },
    async createSession(session) {
      return fromRow('session', await model('session').objects.create(toRow('session', session)));
    },
    async getSessionAndUser(sessionToken) {
      const session = await model('session').objects.filter(where('session', { sessionToken })).first();
      if (!session) return null;
      const user = await adapter.getUser(session[col('session', 'userId')]);
      return user ? { session: fromRow('session', session), user } : null;
    },
    async updateSession(session) {
      const { sessionToken, ...changes } = session;
      const data = toRow('session', changes);
      const qs = model('session').objects.filter(where('session', { sessionToken }));
      if (Object.keys(data).length && (await qs.update(data)) === 0) return null;
      return fromRow('session', await qs.first());
    },
    async deleteSession(sessionToken) {
      await model('session').objects.filter(where('session', { sessionToken })).delete();
    },
    async createVerificationToken(token) {
      return fromRow('verificationToken', await model('verificationToken').objects.create(toRow('verificationToken', token)));
    },
    /** Single use and atomic: read and delete in one write transaction, so a token works once. */
    async useVerificationToken({ identifier, token }) {
      return db.transaction(async () => {
        const qs = model('verificationToken').objects.filter(where('verificationToken', { identifier, token }));
        const found = await qs.first();
        if (!found) return null;
        await qs.delete();
        return fromRow('verificationToken', found);
      });
    },
    async createAuthenticator(authenticator) {
      return fromRow('authenticator', await model('authenticator').objects.create(toRow('authenticator', authenticator)));
    },
    async getAuthenticator(credentialID) {
      return fromRow('authenticator', await model('authenticator').objects.filter(where('authenticator', { credentialID })).first());
    },
    async listAuthenticatorsByUserId(userId) {
      return (await model('authenticator').objects.filter(where('authenticator', { userId }))).map((r) => fromRow('authenticator', r));
    },
    async updateAuthenticatorCounter(credentialID, counter) {
      const qs = model('authenticator').objects.filter(where('authenticator', { credentialID }));
      if ((await qs.update(toRow('authenticator', { counter }))) === 0) {
        throw new NoormmeError(`Auth.js updateAuthenticatorCounter: no authenticator ${credentialID}`, { code: 'DOES_NOT_EXIST' });
      }
      return fromRow('authenticator', await qs.first());
    },
  };
  return adapter;
}

/** Creates the canonical Auth.js tables (idempotent) and refreshes the schema. */
async function applyAuthSchema(db) {
  await db.exec(AUTH_SCHEMA);
  db.refreshSchema();
}

module.exports = { NoormmeAdapter, AUTH_SCHEMA, applyAuthSchema };
