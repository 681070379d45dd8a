'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { LRUCache } = require('lru-cache');
const { AsyncLocalStorage } = require('node:async_hooks');
const { NativePool, runInline, setScratch, generateTypes } = require('./native');
const { NoormmeError, ConnectionError, ModelNotFoundError, fromNative, isOverBudget } = require('./errors');
const { decode, decodeAsync, FLAG_COLUMNS, FLAG_BLOBS, FLAG_BIG_ROWID, FLAG_EXTERNAL } = require('./decode');
const { bindArgs, assertWellFormed } = require('./params');
const { Model, resolveTable } = require('./model');

const EXTRAS = FLAG_COLUMNS | FLAG_BLOBS | FLAG_BIG_ROWID | FLAG_EXTERNAL;
// After a statement proves slow, this many runs go straight to a worker
// before it is tried inline again (its cost may depend on the parameters).
const SLOW_RUNS = 32;
// The native registry's answer for an id it dropped (its LRU is bounded by
// statementCacheSize): the statement is registered again and run.
const UNKNOWN_STATEMENT = 'UNKNOWN_STATEMENT';
const DEFAULT_BUDGET_MS = 4;
// Where a call travels in the scratch buffer (see runInline in src/napi_api.rs):
// the pool, the statement, the connection and the parameters (see
// scratchParams), with the parameters' kinds.
const HANDLE_SLOT = 3;
const STATEMENT_SLOT = 4;
const WRITE_SLOT = 5;
const PARAM_COUNT_SLOT = 6;
const FIRST_PARAM_SLOT = 8;
const PARAM_NULL = 0;
const PARAM_NUMBER = 1;
const PARAM_TEXT = 2;

// The scratch buffer inline runs write into. One per module instance is enough:
// a run and its decoding happen synchronously on the JS thread.
const SCRATCH = new ArrayBuffer(1 << 20);
const SCRATCH_F64 = new Float64Array(SCRATCH);
const SCRATCH_U8 = new Uint8Array(SCRATCH);
const SCRATCH_ID = setScratch(SCRATCH_U8);

// Open pools by resolved path, on globalThis so that a module reloaded by
// Next.js dev (or bundled twice) finds the pool already open instead of
// piling up writers on the same file.
const REGISTRY_KEY = Symbol.for('noormme.pools.v1');
const registry = (globalThis[REGISTRY_KEY] ??= new Map());

// Statement caches are per module instance: their row builders close over
// this module's decoding state.
const statementCaches = new WeakMap();

// Which transaction the current async context runs in, so `db.query()` called
// inside `db.transaction()` joins it instead of waiting for it.
const currentTx = new AsyncLocalStorage();
// How many transactions are open in this module instance: while none is, the
// context lookup is skipped.
let openTransactions = 0;

function resolveDatabase(database) {
  if (typeof database !== 'string' || database === '') {
    throw new NoormmeError("options.database must be a file path or ':memory:'", { code: 'INVALID_OPTION' });
  }
  if (database.startsWith('file:')) {
    // The pool opens files by path (its checkpointer and readers too); a URI would be read as a directory name.
    throw new NoormmeError(`options.database takes a file path, not a URI: ${database.slice(0, 200)} (use readonly: true for mode=ro)`, { code: 'INVALID_OPTION', field: 'database' });
  }
  if (database === ':memory:') return database;
  return path.resolve(database);
}

function nativeOptions(options) {
  const pragmas = {};
  for (const [name, value] of Object.entries(options.pragmas ?? {})) {
    pragmas[name] = typeof value === 'boolean' ? (value ? 'ON' : 'OFF') : String(value);
  }
  return {
    readers: options.readers,
    busyTimeout: options.busyTimeout,
    readonly: options.readonly ?? false,
    pragmas,
    inlineBudgetMs: options.inlineBudgetMs ?? DEFAULT_BUDGET_MS,
    statementCacheSize: options.statementCacheSize,
    checkpointIntervalMs: options.checkpointIntervalMs,
  };
}

// Every option the constructor reads; any other name is a mistake.
const OPTIONS = ['database', 'readers', 'busyTimeout', 'pragmas', 'readonly', 'log', 'inlineBudgetMs', 'checkpointIntervalMs', 'statementCacheSize', 'nPlusOne', 'relations', 'columns', 'decimalAsString', 'fileMustExist'];

// What each option's value must be, for those whose wrong value would not fail by itself.
const OPTION_VALUES = {
  readers: ['a whole number from 1 to 64', (v) => Number.isInteger(v) && v >= 1 && v <= 64],
  busyTimeout: ['a number of milliseconds, 0 or more', (v) => Number.isFinite(v) && v >= 0],
  inlineBudgetMs: ['a number of milliseconds, 0 or more', (v) => Number.isFinite(v) && v >= 0],
  checkpointIntervalMs: ['a number of milliseconds above 0', (v) => Number.isFinite(v) && v > 0],
  statementCacheSize: ['a whole number from 16 to 100000', (v) => Number.isInteger(v)],
  readonly: ['true or false', (v) => typeof v === 'boolean'],
  fileMustExist: ['true or false', (v) => typeof v === 'boolean'],
  decimalAsString: ['true or false', (v) => typeof v === 'boolean'],
  log: ['true, false or a function', (v) => typeof v === 'boolean' || typeof v === 'function'],
  pragmas: ['an object of PRAGMA names and values', (v) => v !== null && typeof v === 'object' && !Array.isArray(v)],
};

/** Refuses option names the constructor does not know, naming the nearest, and values of the wrong kind (INVALID_OPTION). */
function checkOptions(options) {
  if (options === null || typeof options !== 'object') {
    throw new NoormmeError("new NOORMME() takes { database: './app.db', ... } or a path", { code: 'INVALID_OPTION' });
  }
  for (const name of Object.keys(options)) {
    if (!OPTIONS.includes(name)) {
      const suggestion = require('./suggest').closest(name, OPTIONS);
      throw new NoormmeError(`unknown option '${name}'.${suggestion ? ` Did you mean '${suggestion}'?` : ''} Options: ${OPTIONS.join(', ')}`, { code: 'INVALID_OPTION', field: name });
    }
    const rule = OPTION_VALUES[name];
    const value = options[name];
    if (rule && value !== undefined && !rule[1](value)) {
      const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 50)) : typeof value === 'object' ? Object.prototype.toString.call(value) : String(value);
      throw new NoormmeError(`option ${name} must be ${rule[0]}, got ${shown}`, { code: 'INVALID_OPTION', field: name, value: shown });
    }
  }
}

/**
 * The registry key of a file: its device and inode, so a path whose file
 * was replaced (or another path to the same file) is told apart from it;
 * the path for a file that does not exist (yet).
 */
function fileIdentity(file, readonly) {
  const mode = readonly ? 'ro' : 'rw';
  try {
    const st = fs.statSync(file, { bigint: true });
    return `${mode}:${st.dev}:${st.ino}`;
  } catch {
    return `${mode}:${file}`;
  }
}

function openShared(database, options) {
  const file = resolveDatabase(database);
  const readonly = Boolean(options.readonly);
  const shareable = file !== ':memory:';
  const onDisk = shareable && !file.startsWith('file:');
  const existed = !onDisk || fs.existsSync(file);
  if (!existed && options.fileMustExist) {
    throw new ConnectionError(`${file} does not exist (fileMustExist: true)`, { code: 'SQLITE_CANTOPEN', rawCode: 14, path: file });
  }
  let key = onDisk ? fileIdentity(file, readonly) : `${readonly ? 'ro' : 'rw'}:${file}`;
  let shared = shareable ? registry.get(key) : undefined;
  if (!shared || shared.closed) {
    let native;
    try {
      native = new NativePool(file, nativeOptions(options));
    } catch (err) {
      throw fromNative(err);
    }
    // Opening created the file: from now on it is known by its identity.
    if (onDisk && !existed) key = fileIdentity(file, readonly);
    shared = { key, file, createdEmpty: !existed, native, refs: 0, closed: false, readonly, gate: { held: false, waiters: [] } };
    if (shareable) registry.set(key, shared);
  }
  shared.refs++;
  return shared;
}

function acquire(gate) {
  if (!gate.held) {
    gate.held = true;
    return null;
  }
  return new Promise((resolve) => gate.waiters.push(resolve));
}

function release(gate) {
  const next = gate.waiters.shift();
  if (next) next();
  else gate.held = false;
}

/** Runs one registered statement: inline when cheap, on a worker when slow or blocked. */
class Executor {
  constructor(shared, log, budgetMs) {
    this.shared = shared;
    // How long (µs) a write may take before it counts as slow: the pool's inline budget.
    this.budgetUs = budgetMs * 1000;
    this.native = shared.native;
    this.handle = shared.native.handle;
    this.log = log;
    let cache = statementCaches.get(shared.native);
    // As many as the native registry keeps (its bound is the pool's statementCacheSize).
    if (!cache) statementCaches.set(shared.native, (cache = new LRUCache({ max: shared.native.info().statementCacheSize })));
    this.statements = cache;
  }

  statement(sql, internal = false) {
    // The pool's own transaction control is cached apart, so user SQL of the
    // same text is registered (and refused) on its own.
    const key = internal ? `\0${sql}` : sql;
    let stmt = this.statements.get(key);
    if (stmt === undefined) {
      if (typeof sql !== 'string') {
        throw new NoormmeError('SQL must be a string', { code: 'INVALID_ARGUMENT' });
      }
      stmt = { sql, internal, id: 0, readonly: false, params: null, columns: null, buildRow: null, slowRuns: 0, slowStreak: 0 };
      this.register(stmt);
      this.statements.set(key, stmt);
    }
    return stmt;
  }

  /**
   * Registers `stmt.sql` with the native pool and points `stmt` at it. Also
   * for a statement the pool evicted from its bounded registry: plans kept
   * elsewhere hold `stmt`, and find it working again.
   */
  register(stmt) {
    let reg;
    try {
      reg = this.native.register(stmt.sql, stmt.internal);
    } catch (err) {
      throw fromNative(err, stmt.sql);
    }
    stmt.id = reg.id;
    stmt.readonly = reg.readonly;
    stmt.params = reg.params;
  }

  /** Returns a decoded result, or a promise of one. */
  run(stmt, args, onWriter, again = false) {
    const started = this.log ? performance.now() : 0;
    if (stmt.slowRuns > 0) {
      stmt.slowRuns--;
      return this.runAsync(stmt, args, onWriter, started);
    }
    let texts;
    try {
      const params = scratchParams(args);
      SCRATCH_F64[HANDLE_SLOT] = this.handle;
      SCRATCH_F64[STATEMENT_SLOT] = stmt.id;
      SCRATCH_F64[WRITE_SLOT] = onWriter ? 1 : 0;
      texts = runInline(SCRATCH_ID, params);
    } catch (err) {
      if (isOverBudget(err)) {
        stmt.slowRuns = SLOW_RUNS;
        return this.runAsync(stmt, args, onWriter, started);
      }
      const error = fromNative(err, stmt.sql);
      if (error.code !== UNKNOWN_STATEMENT || again) throw error;
      this.register(stmt);
      return this.run(stmt, args, onWriter, true);
    }
    const flags = SCRATCH_F64[2];
    const extras = flags & EXTRAS ? this.native.takeExtras() : null;
    const result = decode(stmt, SCRATCH_F64, SCRATCH_U8, texts, extras);
    // A write that stays slow moves to the writer thread. One slow run is not
    // enough: an automatic WAL checkpoint makes a single commit slow, and
    // sending the next runs off-thread would cost each ~40 µs for nothing.
    if (!stmt.readonly) {
      if (result.elapsedUs <= this.budgetUs) stmt.slowStreak = 0;
      else if (++stmt.slowStreak >= 2) {
        stmt.slowStreak = 0;
        stmt.slowRuns = SLOW_RUNS;
      }
    }
    if (this.log) this.report(stmt, args, started, 'inline');
    return result;
  }

  async runAsync(stmt, args, onWriter, started) {
    if (args !== undefined) wellFormedTexts(args);
    let extras;
    for (let again = false; ; again = true) {
      try {
        extras = await this.native.runAsync(stmt.id, args, onWriter);
        break;
      } catch (err) {
        // A worker's run is interrupted only when the pool closes under it.
        if (isOverBudget(err)) throw new NoormmeError(`the database ${this.shared.file} was closed while this statement ran`, { code: 'POOL_CLOSED' });
        const error = fromNative(err, stmt.sql);
        if (error.code !== UNKNOWN_STATEMENT || again) throw error;
        this.register(stmt);
      }
    }
    const result = decodeAsync(stmt, extras);
    if (this.log) this.report(stmt, args, started, onWriter ? 'writer' : 'reader');
    return result;
  }

  report(stmt, args, started, where) {
    this.log({ sql: stmt.sql, params: args ?? [], durationMs: performance.now() - started, where });
  }
}

/**
 * Stores parameters in the scratch buffer for runInline: their count, each
 * value (a number, or a text's length) and each kind; returns their texts
 * concatenated (null when none), or `args` itself when some value has no
 * scratch form (a bigint, a Buffer) and must cross as an array.
 */
function scratchParams(args) {
  if (args === undefined) {
    SCRATCH_F64[PARAM_COUNT_SLOT] = 0;
    return null;
  }
  const n = args.length;
  const kindsAt = (FIRST_PARAM_SLOT + n) * 8;
  if (kindsAt + n > SCRATCH.byteLength) return wellFormedTexts(args);
  let texts = null;
  for (let i = 0; i < n; i++) {
    const value = args[i];
    if (typeof value === 'number') {
      SCRATCH_F64[FIRST_PARAM_SLOT + i] = value;
      SCRATCH_U8[kindsAt + i] = PARAM_NUMBER;
    } else if (typeof value === 'string') {
      // Texts cross joined in one string: a lone surrogate at the end of one
      // would pair with one at the start of the next.
      assertWellFormed(value, i + 1);
      SCRATCH_F64[FIRST_PARAM_SLOT + i] = value.length;
      SCRATCH_U8[kindsAt + i] = PARAM_TEXT;
      texts = texts === null ? value : texts + value;
    } else if (value === null) {
      SCRATCH_U8[kindsAt + i] = PARAM_NULL;
    } else {
      return wellFormedTexts(args);
    }
  }
  SCRATCH_F64[PARAM_COUNT_SLOT] = n;
  return texts;
}

/** `args`, once every text in it is checked well-formed (they cross as an array, each converted alone). */
function wellFormedTexts(args) {
  for (let i = 0; i < args.length; i++) if (typeof args[i] === 'string') assertWellFormed(args[i], i + 1);
  return args;
}

function rowsOf(result) {
  return result.rows;
}

function summaryOf(result) {
  return { changes: result.changes, lastInsertRowid: result.lastInsertRowid };
}

/**
 * Runs and shapes a result as a promise without an async function's extra
 * turns: an inline result resolves at once, and a synchronous throw becomes
 * a rejection like any other failure.
 */
function settle(db, sql, params, shape) {
  let result;
  try {
    result = db.run(sql, params);
  } catch (err) {
    return Promise.reject(err);
  }
  return result instanceof Promise ? result.then(shape) : Promise.resolve(shape(result));
}

function templateToSql(strings, values) {
  let sql = strings[0];
  for (let i = 1; i < strings.length; i++) sql += `?${strings[i]}`;
  return { sql, params: values };
}

/** A transaction (or savepoint) in progress; all its statements run on the writer. */
class Transaction {
  constructor(db, depth) {
    this.db = db;
    this.depth = depth;
    this.active = true;
    this.nested = { held: false, waiters: [] };
  }

  ensureActive() {
    if (!this.active) {
      throw new NoormmeError('this transaction has already finished; run queries inside its callback', {
        code: 'TRANSACTION_CLOSED',
      });
    }
  }

  async query(sql, params) {
    this.ensureActive();
    return rowsOf(await this.db.runOnWriter(sql, params));
  }

  /** The same model as `db.model(name)`: inside the callback its queries join this transaction. */
  model(name) {
    return this.db.model(name);
  }

  async execute(sql, params) {
    this.ensureActive();
    return summaryOf(await this.db.runOnWriter(sql, params));
  }

  sql(strings, ...values) {
    const { sql, params } = templateToSql(strings, values);
    return this.query(sql, params);
  }

  /** A nested transaction: a SAVEPOINT released on success, rolled back to on throw. */
  async transaction(fn) {
    this.ensureActive();
    const wait = acquire(this.nested);
    if (wait) await wait;
    const name = `noormme_sp_${this.depth + 1}`;
    const inner = new Transaction(this.db, this.depth + 1);
    try {
      await this.db.control(`SAVEPOINT ${name}`);
      let result;
      try {
        result = await currentTx.run(inner, () => fn(inner));
      } catch (err) {
        inner.active = false;
        await this.db.control(`ROLLBACK TO ${name}`);
        await this.db.control(`RELEASE ${name}`);
        throw err;
      }
      inner.active = false;
      await this.db.control(`RELEASE ${name}`);
      return result;
    } finally {
      inner.active = false;
      release(this.nested);
    }
  }
}

class Database {
  constructor(options = {}) {
    if (typeof options === 'string') options = { database: options };
    checkOptions(options);
    this.options = options;
    this.shared = openShared(options.database, options);
    const log = options.log === true ? (e) => console.debug('[noormme]', e.sql, e.params, `${e.durationMs.toFixed(2)}ms`, e.where) : options.log;
    this.exec_ = new Executor(this.shared, typeof log === 'function' ? log : null, options.inlineBudgetMs ?? DEFAULT_BUDGET_MS);
    this.closed = false;
    // The N+1 guard: on in development unless turned off; 'throw' for tests.
    const guardMode = options.nPlusOne ?? (process.env.NODE_ENV === 'production' ? false : 'warn');
    if (guardMode !== false && guardMode !== 'warn' && guardMode !== 'throw') {
      throw new NoormmeError("options.nPlusOne is 'warn', 'throw' or false", { code: 'INVALID_OPTION' });
    }
    this.nPlusOne = guardMode ? new (require('./nplusone').NPlusOneGuard)(guardMode) : null;
    this.schemaOptions = JSON.stringify({
      relations: options.relations ?? {},
      columns: options.columns ?? {},
      decimalAsString: options.decimalAsString ?? false,
    });
    try {
      this.discover();
    } catch (err) {
      this.close();
      throw err;
    }
  }

  discover() {
    let text;
    try {
      text = this.shared.native.discover(this.schemaOptions);
    } catch (err) {
      throw fromNative(err);
    }
    this.schemaText = text;
    this.catalog = JSON.parse(text);
    this.models = new Map();
  }

  /** The discovered schema as plain JSON: tables, columns with policies, keys, relations. */
  schema() {
    this.ensureOpen();
    return JSON.parse(this.schemaText);
  }

  /** Discovers the schema again (after DDL); models obtained before keep the old one. */
  refreshSchema() {
    this.ensureOpen();
    this.discover();
    return this.schema();
  }

  /** TypeScript declarations for this schema (what `noormme generate-types` writes). */
  generateTypes() {
    this.ensureOpen();
    return generateTypes(this.schemaText, path.basename(this.shared.native.info().path));
  }

  /** The model for a table or view: exact name, or the one table matching ignoring case. */
  model(name) {
    this.ensureOpen();
    let model = this.models.get(name);
    if (!model) {
      let table;
      try {
        table = resolveTable(this.catalog, name);
      } catch (err) {
        // A mistyped path opens a new, empty file: say so rather than list no tables.
        if (err instanceof ModelNotFoundError && this.shared.createdEmpty && this.catalog.tables.length === 0) {
          err.message += ` ${this.shared.file} did not exist: opening it created this empty database. Check the path, or pass fileMustExist: true to refuse missing files.`;
        }
        throw err;
      }
      model = new Model(this, table);
      this.models.set(name, model);
    }
    return model;
  }

  ensureOpen() {
    if (this.closed || this.shared.closed) {
      throw new NoormmeError(`the database ${this.shared.file} has been closed; open a new NOORMME instance`, {
        code: 'POOL_CLOSED',
      });
    }
  }

  /** Runs `sql` in the transaction of the current async context, if any. */
  activeTransaction() {
    if (openTransactions === 0) return undefined;
    const tx = currentTx.getStore();
    return tx !== undefined && tx.active && tx.db.shared === this.shared ? tx : undefined;
  }

  run(sql, params) {
    this.ensureOpen();
    const stmt = this.exec_.statement(sql);
    return this.runBound(stmt, bindArgs(stmt, params));
  }

  /** The registered statement for `sql` (what kept plans hold on to). */
  statement(sql) {
    return this.exec_.statement(sql);
  }

  /** Runs a registered statement with arguments already made bindable. */
  runBound(stmt, args) {
    this.ensureOpen();
    if (this.activeTransaction()) return this.exec_.run(stmt, args, true);
    if (stmt.readonly) return this.exec_.run(stmt, args, false);
    if (this.shared.readonly) {
      throw new NoormmeError(`${this.shared.file} was opened with readonly: true; writes are refused`, {
        code: 'READONLY_DATABASE',
      });
    }
    const gate = this.shared.gate;
    const wait = acquire(gate);
    return wait === null ? this.runHoldingGate(stmt, args, gate) : wait.then(() => this.runHoldingGate(stmt, args, gate));
  }

  /** Runs a write that holds the write gate, and releases it however the run ends. */
  runHoldingGate(stmt, args, gate) {
    let result;
    try {
      result = this.exec_.run(stmt, args, true);
    } catch (err) {
      release(gate);
      throw err;
    }
    if (result instanceof Promise) return result.finally(() => release(gate));
    release(gate);
    return result;
  }

  runOnWriter(sql, params) {
    this.ensureOpen();
    const stmt = this.exec_.statement(sql);
    return this.exec_.run(stmt, bindArgs(stmt, params), true);
  }

  control(sql) {
    return this.exec_.run(this.exec_.statement(sql, true), undefined, true);
  }

  /** Rows as plain objects. */
  query(sql, params) {
    return settle(this, sql, params, rowsOf);
  }

  /** `{ changes, lastInsertRowid }` of a write. */
  execute(sql, params) {
    return settle(this, sql, params, summaryOf);
  }

  /** Tagged template: every interpolated value is a bound parameter. */
  sql(strings, ...values) {
    if (!Array.isArray(strings) || !Array.isArray(strings.raw)) {
      throw new NoormmeError('db.sql is a tagged template: db.sql`SELECT ... WHERE id = ${id}`', { code: 'INVALID_ARGUMENT' });
    }
    const { sql, params } = templateToSql(strings, values);
    return this.query(sql, params);
  }

  /** Runs a script of several statements on the writer (schema set-up, seeds). */
  async exec(script) {
    this.ensureOpen();
    const tx = this.activeTransaction();
    const gate = this.shared.gate;
    if (!tx) {
      const wait = acquire(gate);
      if (wait) await wait;
    }
    try {
      await this.shared.native.execScript(script);
    } catch (err) {
      throw fromNative(err);
    } finally {
      if (!tx) release(gate);
    }
  }

  /**
   * Runs `fn(tx)` in a write transaction started with BEGIN IMMEDIATE: commits
   * when it resolves, rolls back when it throws. Nested calls use savepoints.
   * Other writes from this process wait; reads elsewhere go on.
   */
  async transaction(fn) {
    this.ensureOpen();
    if (typeof fn !== 'function') {
      throw new NoormmeError('db.transaction() takes a function: db.transaction(async (tx) => { ... })', {
        code: 'INVALID_ARGUMENT',
      });
    }
    const outer = this.activeTransaction();
    if (outer) return outer.transaction(fn);
    if (this.shared.readonly) {
      throw new NoormmeError('a read-only database cannot start a write transaction', { code: 'READONLY_DATABASE' });
    }
    const gate = this.shared.gate;
    const wait = acquire(gate);
    if (wait) await wait;
    const tx = new Transaction(this, 0);
    openTransactions++;
    try {
      await this.control('BEGIN IMMEDIATE');
      let result;
      try {
        result = await currentTx.run(tx, () => fn(tx));
        tx.active = false;
        await this.control('COMMIT');
      } catch (err) {
        tx.active = false;
        await this.rollbackQuietly();
        throw err;
      }
      return result;
    } finally {
      // On Node 20 a context store keeps promise hooks on, which slows every
      // promise in the process: switched off whenever no transaction is open
      // (run() switches it on again).
      if (--openTransactions === 0) currentTx.disable();
      tx.active = false;
      release(gate);
    }
  }

  async rollbackQuietly() {
    try {
      await this.control('ROLLBACK');
    } catch (err) {
      // SQLite may already have rolled back (e.g. after SQLITE_FULL); the
      // caller's own error is the one worth reporting.
      if (!/no transaction is active/.test(String(err && err.message))) throw err;
    }
  }

  info() {
    this.ensureOpen();
    let compiledCached = 0;
    for (const model of this.models.values()) compiledCached += model.cachedShapes();
    return { ...this.shared.native.info(), statementsCached: this.exec_.statements.size, compiledCached };
  }

  /** Releases this handle; the pool closes when the last handle on it does. */
  close() {
    if (this.closed) return;
    this.closed = true;
    const shared = this.shared;
    if (--shared.refs > 0) return;
    shared.closed = true;
    if (registry.get(shared.key) === shared) registry.delete(shared.key);
    shared.native.close();
  }
}

module.exports = { Database, Transaction };
