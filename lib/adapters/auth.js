'use strict';
// The Auth.js (NextAuth v5 and v4) adapter: users, accounts, sessions,
// verification tokens and WebAuthn authenticators on the canonical Auth.js
// SQLite tables (see AUTH_SCHEMA), or on your own names through options.

const { NoormmeError, checkOptionKeys } = require('../errors');
const { isWellFormed } = require('../params');

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

/** A short description of an argument for error messages (never the argument's whole text). */
function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value === '' ? 'an empty string' : isWellFormed(value) ? 'a string' : 'an ill-formed string';
  return typeof value === 'object' ? 'an object' : `${typeof value === 'undefined' ? 'undefined' : `a ${typeof value}`}`;
}

function toDate(v) {
  if (v === null || v === undefined || v instanceof Date) return v ?? null;
  const d = new Date(typeof v === 'number' && v < 1e11 ? v * 1000 : v);
  return Number.isNaN(d.getTime()) ? v : d;
}

/**
 * `NoormmeAdapter(db, { tables: { user: 'users' }, columns: { user: { emailVerified: 'email_verified' } } })`.
 */
function NoormmeAdapter(db, given) {
  const options = checkOptionKeys('NoormmeAdapter()', given, ['tables', 'columns', 'generateId']);
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

  /**
   * Whether `value` can be a key of `field` in `kind`'s table: a non-empty,
   * well-formed string, or a safe integer where the key holds integers (a
   * users table of your own with INTEGER ids, mapped through `tables`; a
   * `userId` anywhere follows the user table's id).
   */
  function isKey(kind, field, value) {
    if (typeof value === 'string') return value !== '' && isWellFormed(value);
    if (!Number.isSafeInteger(value)) return false;
    const [owner, name] = field === 'userId' ? ['user', 'id'] : [kind, field];
    const column = model(owner).columns.get(col(owner, name));
    return column !== undefined && column.policy === 'integer';
  }

  /**
   * The condition finding rows of `kind` by `keys` (Auth.js field → value),
   * or null when some key is not a key (see isKey). Anything else
   * (undefined above all, which a plain object would drop) must match no
   * row rather than every row.
   */
  function where(kind, keys) {
    const out = {};
    for (const [field, value] of Object.entries(keys)) {
      if (!isKey(kind, field, value)) return null;
      out[col(kind, field)] = value;
    }
    return out;
  }

  /** As where(), but a bad key is a NoormmeError (INVALID_ARGUMENT): for writes, which must never act on unknown rows. */
  function whereOrThrow(kind, keys, method) {
    const condition = where(kind, keys);
    if (condition === null) {
      const [field, value] = Object.entries(keys).find(([f, v]) => !isKey(kind, f, v));
      throw new NoormmeError(`Auth.js ${method}: ${field} must be a non-empty string (or an integer, for an INTEGER column), got ${describe(value)}`, {
        code: 'INVALID_ARGUMENT',
        model: tables[kind],
        field,
        value: describe(value),
      });
    }
    return condition;
  }

  /** The object argument of `method`, or a NoormmeError (INVALID_ARGUMENT). */
  function objectArg(value, method) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new NoormmeError(`Auth.js ${method} takes an object, got ${describe(value)}`, { code: 'INVALID_ARGUMENT', value: describe(value) });
    }
    return value;
  }

  /** The first row of `kind` matching `keys`, or null (also when a key is not a string). */
  async function first(kind, keys) {
    const condition = where(kind, keys);
    return condition === null ? null : model(kind).objects.filter(condition).first();
  }

  // Auth.js calls the methods detached from the object, so they refer to
  // each other through this binding, never through `this`.
  const adapter = {
    async createUser(user) {
      objectArg(user, 'createUser');
      const row = await model('user').objects.create(toRow('user', { ...user, id: user.id ?? generateId() }));
      return fromRow('user', row);
    },
    async getUser(id) {
      return fromRow('user', await first('user', { id }));
    },
    async getUserByEmail(email) {
      return fromRow('user', await first('user', { email }));
    },
    async getUserByAccount(account) {
      if (account === null || typeof account !== 'object') return null;
      const { provider, providerAccountId } = account;
      const found = await first('account', { provider, providerAccountId });
      if (!found) return null;
      return adapter.getUser(found[col('account', 'userId')]);
    },
    async updateUser(user) {
      const { id, ...changes } = objectArg(user, 'updateUser');
      const condition = whereOrThrow('user', { id }, 'updateUser');
      const data = toRow('user', changes);
      if (Object.keys(data).length) await model('user').objects.filter(condition).update(data);
      const updated = await adapter.getUser(id);
      if (!updated) throw new NoormmeError(`Auth.js updateUser: no user with id ${id}`, { code: 'DOES_NOT_EXIST' });
      return updated;
    },
    async deleteUser(userId) {
      const user = whereOrThrow('user', { id: userId }, 'deleteUser');
      // Accounts, sessions and authenticators go too (ON DELETE CASCADE in the
      // canonical schema; removed explicitly for schemas without it).
      await db.transaction(async () => {
        for (const kind of ['account', 'session', 'authenticator']) await model(kind).objects.filter(whereOrThrow(kind, { userId }, 'deleteUser')).delete();
        await model('user').objects.filter(user).delete();
      });
    },
    async linkAccount(account) {
      return fromRow('account', await model('account').objects.create(toRow('account', objectArg(account, 'linkAccount'))));
    },
    async unlinkAccount(account) {
      const { provider, providerAccountId } = objectArg(account, 'unlinkAccount');
      await model('account').objects.filter(whereOrThrow('account', { provider, providerAccountId }, 'unlinkAccount')).delete();
    },
    async getAccount(providerAccountId, provider) {
      return fromRow('account', await first('account', { provider, providerAccountId }));
    },
    async createSession(session) {
      return fromRow('session', await model('session').objects.create(toRow('session', objectArg(session, 'createSession'))));
    },
    async getSessionAndUser(sessionToken) {
      const session = await first('session', { sessionToken });
      if (!session) return null;
      const user = await adapter.getUser(session[col('session', 'userId')]);
      return user ? { session: fromRow('session', session), user } : null;
    },
    async updateSession(session) {
      const { sessionToken, ...changes } = objectArg(session, 'updateSession');
      const condition = whereOrThrow('session', { sessionToken }, 'updateSession');
      const data = toRow('session', changes);
      const qs = model('session').objects.filter(condition);
      if (Object.keys(data).length && (await qs.update(data)) === 0) return null;
      return fromRow('session', await qs.first());
    },
    async deleteSession(sessionToken) {
      await model('session').objects.filter(whereOrThrow('session', { sessionToken }, 'deleteSession')).delete();
    },
    async createVerificationToken(token) {
      return fromRow('verificationToken', await model('verificationToken').objects.create(toRow('verificationToken', objectArg(token, 'createVerificationToken'))));
    },
    /**
     * Single use and atomic: read and delete in one write transaction, so a
     * token works once. A missing identifier or token finds nothing (null).
     */
    async useVerificationToken(params) {
      if (params === null || typeof params !== 'object') return null;
      const condition = where('verificationToken', { identifier: params.identifier, token: params.token });
      if (condition === null) return null;
      return db.transaction(async () => {
        const qs = model('verificationToken').objects.filter(condition);
        const found = await qs.first();
        if (!found) return null;
        await qs.delete();
        return fromRow('verificationToken', found);
      });
    },
    async createAuthenticator(authenticator) {
      return fromRow('authenticator', await model('authenticator').objects.create(toRow('authenticator', objectArg(authenticator, 'createAuthenticator'))));
    },
    async getAuthenticator(credentialID) {
      return fromRow('authenticator', await first('authenticator', { credentialID }));
    },
    async listAuthenticatorsByUserId(userId) {
      const condition = where('authenticator', { userId });
      if (condition === null) return [];
      return (await model('authenticator').objects.filter(condition)).map((r) => fromRow('authenticator', r));
    },
    async updateAuthenticatorCounter(credentialID, counter) {
      const condition = whereOrThrow('authenticator', { credentialID }, 'updateAuthenticatorCounter');
      if (!Number.isSafeInteger(counter) || counter < 0) {
        throw new NoormmeError(`Auth.js updateAuthenticatorCounter: counter must be a non-negative integer, got ${describe(counter)}`, {
          code: 'INVALID_ARGUMENT',
          model: tables.authenticator,
          field: 'counter',
          value: describe(counter),
        });
      }
      const qs = model('authenticator').objects.filter(condition);
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
