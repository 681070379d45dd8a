'use strict';
// Typed errors. Every error NOORMME raises is a NoormmeError with a `code`;
// SQLite failures also carry SQLite's extended code name and `rawCode`.

class NoormmeError extends Error {
  /**
   * `details` may name what was wrong: `model`, `field` (a field or
   * parameter name) and `value` (a short description of the value given);
   * each is set on the error when given.
   */
  constructor(message, { code = 'NOORMME_ERROR', cause, model, field, value } = {}) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    if (model !== undefined) this.model = model;
    if (field !== undefined) this.field = field;
    if (value !== undefined) this.value = value;
  }
}

class SqliteError extends NoormmeError {
  constructor(message, { code, rawCode, sql, cause } = {}) {
    super(message, { code, cause });
    this.rawCode = rawCode;
    if (sql !== undefined) this.sql = sql;
  }
}

/** The write lock stayed taken by another connection for the whole busy timeout. */
class BusyError extends SqliteError {}

/** The database file could not be opened as asked; `path` is absolute. */
class ConnectionError extends NoormmeError {
  constructor(message, { code, rawCode, path, cause } = {}) {
    super(message, { code, cause });
    this.rawCode = rawCode;
    this.path = path;
  }
}

/** `db.model(name)` found no such table or view. */
class ModelNotFoundError extends NoormmeError {
  constructor(message, { name, suggestion, available } = {}) {
    super(message, { code: 'MODEL_NOT_FOUND' });
    this.model = name;
    this.suggestion = suggestion;
    this.available = available;
  }
}

/**
 * A field, relation or lookup that the model does not have: `model`, the
 * `field` (or whole key) asked for, the nearest valid name as `suggestion`,
 * and the valid names as `choices` (also `available`, its older name).
 */
class FieldError extends NoormmeError {
  constructor(message, { model, field, suggestion, available } = {}) {
    super(message, { code: 'FIELD_ERROR' });
    this.model = model;
    this.field = field;
    this.suggestion = suggestion;
    this.available = available;
    this.choices = available;
  }
}

/** A write to a view, or to a table with neither a primary key nor a rowid. */
class ReadOnlyModelError extends NoormmeError {
  constructor(message) {
    super(message, { code: 'READ_ONLY_MODEL' });
  }
}

/** `get()` found no row. */
class DoesNotExist extends NoormmeError {
  constructor(message) {
    super(message, { code: 'DOES_NOT_EXIST' });
  }
}

/** `get()` found more than one row. */
class MultipleObjectsReturned extends NoormmeError {
  constructor(message) {
    super(message, { code: 'MULTIPLE_OBJECTS_RETURNED' });
  }
}

/** Internal: the native layer asks for the statement to be re-run off the JS thread. */
const OVER_BUDGET = 'OVER_BUDGET';

function parsePayload(err) {
  const text = err && typeof err.message === 'string' ? err.message : '';
  if (text.charCodeAt(0) !== 123 /* { */) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

// How much of a statement an error carries: an `__in` of 30,000 ids makes a
// statement of hundreds of KB, which no log line should hold.
const MAX_SQL_IN_ERROR = 1000;

/** Turns an error thrown by the native addon into the matching typed error; `sql` is kept up to MAX_SQL_IN_ERROR characters. */
function fromNative(err, fullSql) {
  const p = parsePayload(err);
  if (!p) return err;
  const sql = fullSql !== undefined && fullSql.length > MAX_SQL_IN_ERROR ? `${fullSql.slice(0, MAX_SQL_IN_ERROR)}… (${fullSql.length} characters)` : fullSql;
  switch (p.kind) {
    case 'sqlite':
      return new SqliteError(p.message, { code: p.code, rawCode: p.rawCode, sql });
    case 'busy':
      return new BusyError(p.message, { code: p.code, rawCode: p.rawCode, sql });
    case 'connection':
      return new ConnectionError(p.message, { code: p.code, rawCode: p.rawCode, path: p.path });
    default: {
      if (p.code === 'FIELD_ERROR') return new FieldError(p.message, { model: p.model, field: p.field, suggestion: p.suggestion, available: p.choices });
      const Kind = { READ_ONLY_MODEL: ReadOnlyModelError, MODEL_NOT_FOUND: ModelNotFoundError }[p.code];
      if (Kind) return new Kind(p.message);
      const e = new NoormmeError(p.message, { code: p.code });
      if (sql !== undefined) e.sql = sql;
      return e;
    }
  }
}

/**
 * `options` of `method`, once every key is one of `known`: an unknown key is
 * a NoormmeError (INVALID_OPTION) naming the nearest known one, never
 * ignored. Undefined options pass (the defaults apply).
 */
function checkOptionKeys(method, options, known) {
  if (options === undefined) return {};
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw new NoormmeError(`${method} takes an options object ({ ${known.join(', ')} })`, { code: 'INVALID_OPTION' });
  }
  for (const name of Object.keys(options)) {
    if (known.includes(name)) continue;
    const suggestion = require('./suggest').closest(name, known);
    throw new NoormmeError(`${method}: unknown option '${name}'.${suggestion ? ` Did you mean '${suggestion}'?` : ''} Options: ${known.join(', ')}`, {
      code: 'INVALID_OPTION',
      field: name,
    });
  }
  return options;
}

function isOverBudget(err) {
  const text = err && err.message;
  return typeof text === 'string' && text.includes('"code":"OVER_BUDGET"');
}

module.exports = {
  NoormmeError,
  SqliteError,
  BusyError,
  ConnectionError,
  ModelNotFoundError,
  FieldError,
  ReadOnlyModelError,
  DoesNotExist,
  MultipleObjectsReturned,
  fromNative,
  checkOptionKeys,
  isOverBudget,
  OVER_BUDGET,
};
