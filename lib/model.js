'use strict';
// Models: one per discovered table or view, found by name, carrying the
// column policies. Rows stay plain objects; a model only knows how to read
// and write them.

const { FieldError, ReadOnlyModelError, ModelNotFoundError, NoormmeError, SqliteError, fromNative, checkOptionKeys } = require('./errors');
const { QuerySet, MAX_GET_RESULTS, NO_VALUES, runPlan, isPlainObject, isSingleValueKey } = require('./queryset');
const { KeptPlans, keysOf } = require('./kept');
const { argsArray, bindable, encodeWith, assertValidDate, assertWellFormed } = require('./params');
const { propertyKey } = require('./decode');
const { decoderFor, encoderFor } = require('./policies');
const { closest, didYouMean } = require('./suggest');
const { LRUCache } = require('lru-cache');

// Compiled shapes kept per model, in each of its caches.
const COMPILED_CACHE_SIZE = 1000;

class Model {
  constructor(db, table) {
    this.db = db;
    this.name = table.name;
    this.meta = table;
    this.fields = table.columns.map((c) => c.name);
    this.relations = table.relations.map((r) => r.name);
    this.identity = table.identity;
    this.columns = new Map(table.columns.map((c) => [c.name, c]));
    this.decoders = [];
    this.decoderByColumn = new Map();
    this.encoders = new Map();
    for (const column of table.columns) {
      const decode = decoderFor(column);
      if (decode) {
        this.decoders.push([column.name, decode]);
        this.decoderByColumn.set(column.name, decode);
      }
      const encode = encoderFor(column);
      if (encode) this.encoders.set(column.name, encode);
    }
    // Bounded, least recently used dropped first: a server sees as many
    // shapes as its users can vary requests.
    this.compiledCache = new LRUCache({ max: COMPILED_CACHE_SIZE });
    this.compiledByKey = new LRUCache({ max: COMPILED_CACHE_SIZE });
    this.plainKeys = new KeptPlans();
    this.getPlans = new KeptPlans();
    this.createPlans = new KeptPlans();
    this.validated = new LRUCache({ max: COMPILED_CACHE_SIZE });
    this.objects = new Manager(this);
  }

  /** Compiles a QuerySet shape (cached by shape: values are not part of it). */
  compile(shape) {
    const key = JSON.stringify(shape);
    let compiled = this.compiledCache.get(key);
    if (compiled === undefined) {
      let text;
      try {
        text = this.db.shared.native.compile(key);
      } catch (err) {
        throw fromNative(err);
      }
      compiled = JSON.parse(text);
      compiled.decoders = null;
      compiled.statement = null;
      compiled.merge = null;
      compiled.encoders = null;
      this.compiledCache.set(key, compiled);
    }
    return compiled;
  }

  /** Validates a chain step's shape with the compiler once; later identical steps are known good. */
  validateOnce(key, makeShape) {
    if (this.validated.get(key)) return;
    this.compile(makeShape());
    this.validated.set(key, true);
  }

  /** How many compiled shapes and checked chain steps this model keeps (each cache at most COMPILED_CACHE_SIZE). */
  cachedShapes() {
    return this.compiledCache.size + this.compiledByKey.size + this.validated.size;
  }

  /** A value ready to bind where it meets `column` ([table, name]), in that column's storage format. */
  bindValue(value, column, asText) {
    if (asText) {
      assertValidDate(value);
      if (typeof value === 'string') return value;
      if (value instanceof Date) return value.toISOString();
      if (value === null || typeof value === 'object') throw new NoormmeError(`text lookups take strings, got ${value === null ? 'null' : typeof value}`, { code: 'INVALID_LOOKUP_VALUE' });
      return String(value);
    }
    return encodeWith(value, column === null ? null : this.encoderOf(column));
  }

  /**
   * The argument for one bind of a compiled query (`[slot, column, asText,
   * list]`) from the query's slot values: a value in the column's storage
   * format, text for text lookups, or a whole `__in` list as one JSON array.
   */
  bindSlot([slot, column, asText, list], values) {
    return list ? this.bindList(values[slot], column) : this.bindValue(values[slot], column, asText);
  }

  /**
   * An `__in` list as the JSON array text the compiled `json_each` reads:
   * each item in `column`'s storage format; bytes as `{"x": "<hex>"}`.
   * Throws INVALID_PARAMETER for what a parameter could not hold either.
   */
  bindList(items, column) {
    const encode = column === null ? null : this.encoderOf(column);
    let json = '[';
    for (let i = 0; i < items.length; i++) {
      if (i > 0) json += ',';
      json += jsonItem(encodeWith(items[i], encode), i + 1);
    }
    return `${json}]`;
  }

  /** The function that turns values into `column`'s ([table, name]) storage format, or null when they bind as they are. */
  encoderOf(column) {
    const owner = column[0] === this.name ? this : this.db.model(column[0]);
    return owner.encoders.get(column[1]) ?? null;
  }

  /** Applies value policies to rows a compiled query returned (in place). */
  decodeRows(rows, compiled) {
    if (compiled.decoders === null) {
      compiled.decoders = [];
      for (const [key, column] of compiled.columns) {
        if (!column) continue;
        const owner = column[0] === this.name ? this : this.db.model(column[0]);
        const decode = owner.decoderByColumn.get(column[1]);
        if (decode) compiled.decoders.push([key, decode]);
      }
    }
    const decoders = compiled.decoders;
    if (decoders.length === 0) return rows;
    for (const row of rows) for (const [key, decode] of decoders) row[key] = decode(row[key]);
    return rows;
  }

  /** Applies the column policies to a row read from this table (in place). */
  decodeRow(row) {
    for (const [name, decode] of this.decoders) {
      if (name in row) row[name] = decode(row[name]);
    }
    return row;
  }

  /** The field's column, or a FieldError naming the nearest one. */
  field(name) {
    const column = this.columns.get(name);
    if (column) return column;
    const suggestion = closest(name, this.fields);
    throw new FieldError(
      `${this.name} has no field '${name}'.${suggestion ? ` Did you mean '${suggestion}'?` : ''} Fields: ${this.fields.join(', ')}`,
      { model: this.name, field: name, suggestion, available: this.fields },
    );
  }

  /** The value to bind for `value` in `name`, in the column's storage format. */
  encodeValue(name, value) {
    this.field(name);
    const encode = this.encoders.get(name);
    return encode ? encode(value) : value;
  }

  /** Checks that rows of this model can be written, and this field with them. */
  assertWritable(fieldName) {
    if (!this.meta.writable) {
      const why = this.meta.kind === 'view' ? 'is a view' : 'has neither a primary key nor a rowid';
      throw new ReadOnlyModelError(`${this.name} ${why}: its rows cannot be written through a model. Use db.execute() with your own SQL.`);
    }
    if (fieldName !== undefined && this.field(fieldName).readOnly) {
      throw new ReadOnlyModelError(`${this.name}.${fieldName} is a generated column: SQLite computes it, it cannot be written.`);
    }
  }

  /** The related rows of one parent: `Post.related(postId, 'tags')`, with add/remove/set/clear and create. */
  related(key, relationName) {
    const { RelatedManager } = require('./related');
    const rel = this.meta.relations.find((r) => r.name === relationName);
    if (!rel) {
      const names = this.meta.relations.map((r) => r.name);
      const suggestion = closest(String(relationName), names);
      throw new FieldError(`${this.name} has no relation '${relationName}'.${suggestion ? ` Did you mean '${suggestion}'?` : ''} Relations: ${names.join(', ')}`, {
        model: this.name,
        field: relationName,
        suggestion,
        available: names,
      });
    }
    return new RelatedManager(this, key, rel);
  }

  /**
   * The parameters a request may filter and order this model's rows by
   * (django-filter's FilterSet): `filterSet({ fields: { title: ['icontains'] }, orderBy: ['views'] })`.
   * See lib/filterset.js.
   */
  filterSet(options) {
    const { FilterSet } = require('./filterset');
    return new FilterSet(this, options);
  }

  toJSON() {
    return { model: this.name };
  }
}

const CHAINABLE = ['filter', 'exclude', 'orderBy', 'values', 'valuesList', 'only', 'defer', 'slice', 'limit', 'offset', 'none', 'all', 'distinct', 'reverse', 'annotate', 'alias', 'selectRelated', 'prefetch'];
const TERMINAL = ['first', 'last', 'get', 'count', 'exists', 'update', 'delete', 'latest', 'earliest', 'inBulk', 'explain', 'toSQL', 'aggregate'];

/** `Model.objects`: the entry point for queries. */
class Manager {
  constructor(model) {
    this.model = model;
    this.base = null;
  }

  queryset() {
    // QuerySets are immutable, so one unfiltered QuerySet starts every chain.
    return (this.base ??= new QuerySet(this.model));
  }

  filter(...conditions) {
    return this.queryset().where('filter', conditions);
  }

  exclude(...conditions) {
    return this.queryset().where('exclude', conditions);
  }

  then(resolve, reject) {
    return this.queryset().then(resolve, reject);
  }

  [Symbol.asyncIterator]() {
    return this.queryset()[Symbol.asyncIterator]();
  }

  /**
   * `get({ field: scalar, ... })`, the commonest call, skips building a
   * QuerySet on repeat: the compiled query is kept per key list, and the
   * values bind straight from the object. Anything else goes the long way.
   */
  get(...conditions) {
    const model = this.model;
    try {
      const plan = conditions.length === 1 ? getPlan(model, conditions[0]) : null;
      if (plan === null) return this.queryset().get(...conditions);
      const { compiled, keys, qs } = plan;
      // The N+1 guard (development) counts repeats of the plan itself: one
      // object per shape, so telling repeats apart costs a comparison.
      const guard = model.db.nPlusOne;
      if (guard !== null) guard.observe(model.db, model, plan, qs.state);
      return runPlan(model, compiled, NO_VALUES, conditions[0], keys, (r) => qs.single(model.decodeRows(r.rows, compiled), conditions));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Inserts one row and returns it as stored (defaults and rowid filled in).
   * The compiled INSERT is kept per list of fields, so repeats bind straight
   * from the object.
   */
  create(data) {
    const model = this.model;
    try {
      model.assertWritable();
      if (!data || typeof data !== 'object') throw new NoormmeError('create() takes an object of fields', { code: 'INVALID_ARGUMENT' });
      let plan = model.createPlans.get('', data);
      if (plan === undefined) {
        const fields = Object.keys(data);
        for (const field of fields) model.assertWritable(field);
        plan = { fields, compiled: new QuerySet(model).compiled('insert', { set: data }) };
        model.createPlans.set('', data, plan);
      }
      const { fields, compiled } = plan;
      return runPlan(model, compiled, NO_VALUES, data, fields, (r) => model.decodeRows(r.rows, compiled)[0]);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * `[row, created]`: the row matching `lookup`, else one created from
   * `lookup` and `defaults`. Race-safe: a concurrent insert that wins the
   * unique constraint is read back instead of failing.
   */
  async getOrCreate(lookup, options) {
    const { defaults = {} } = checkOptionKeys('getOrCreate()', options, ['defaults']);
    const qs = this.queryset().filter(lookup);
    const found = await qs.first();
    if (found) return [found, false];
    const data = { ...plainFields(lookup), ...defaults };
    try {
      const row = await this.model.db.transaction(() => this.create(data));
      return [row, true];
    } catch (err) {
      if (err instanceof SqliteError && err.code.startsWith('SQLITE_CONSTRAINT')) {
        const again = await qs.first();
        if (again) return [again, false];
      }
      throw err;
    }
  }

  /** `[row, created]`: updates the row matching `lookup` with `defaults`, or creates it. */
  async updateOrCreate(lookup, options) {
    const { defaults = {}, createDefaults } = checkOptionKeys('updateOrCreate()', options, ['defaults', 'createDefaults']);
    return this.model.db.transaction(async () => {
      const qs = this.queryset().filter(lookup);
      const found = await qs.first();
      if (found) {
        if (Object.keys(defaults).length) await qs.update(defaults);
        return [await qs.get(), false];
      }
      return [await this.create({ ...plainFields(lookup), ...(createDefaults ?? defaults) }), true];
    });
  }

  /**
   * Inserts many rows in one transaction, several per INSERT (`batchSize`,
   * 100 by default, always under SQLite's parameter limit). Returns each
   * row as given plus the columns the database filled (key, defaults,
   * generated), as Django does. With `ignoreConflicts` or `updateConflicts`
   * the rows come back as stored: rows skipped on a conflict are not among
   * them, and rows that met a conflict on `uniqueFields` get `updateFields`
   * overwritten and are returned as updated.
   */
  async bulkCreate(rows, options) {
    const { batchSize, ignoreConflicts = false, updateConflicts = false, uniqueFields, updateFields } = checkOptionKeys('bulkCreate()', options, [
      'batchSize',
      'ignoreConflicts',
      'updateConflicts',
      'uniqueFields',
      'updateFields',
    ]);
    const model = this.model;
    if (!Array.isArray(rows) || rows.some((r) => !r || typeof r !== 'object')) {
      throw new NoormmeError('bulkCreate() takes an array of objects', { code: 'INVALID_ARGUMENT' });
    }
    if (batchSize !== undefined && !(Number.isInteger(batchSize) && batchSize > 0)) {
      throw new NoormmeError('bulkCreate(): batchSize must be a positive integer', { code: 'INVALID_ARGUMENT' });
    }
    if (ignoreConflicts && updateConflicts) {
      throw new NoormmeError('bulkCreate(): ignoreConflicts and updateConflicts are mutually exclusive', { code: 'INVALID_ARGUMENT' });
    }
    let conflict = null;
    if (ignoreConflicts) conflict = { ignore: true };
    if (updateConflicts) {
      if (!Array.isArray(updateFields) || updateFields.length === 0) {
        throw new NoormmeError('bulkCreate(): updateConflicts needs updateFields, the fields to overwrite on a conflict', { code: 'INVALID_ARGUMENT' });
      }
      if (!Array.isArray(uniqueFields) || uniqueFields.length === 0) {
        throw new NoormmeError('bulkCreate(): updateConflicts needs uniqueFields, the unique key whose conflict triggers the update', { code: 'INVALID_ARGUMENT' });
      }
      for (const f of [...uniqueFields, ...updateFields]) model.field(f);
      conflict = { update: updateFields, unique: uniqueFields };
    }
    model.assertWritable();
    const runs = runsOfSameFields(rows);
    for (const run of runs) {
      for (const field of run.fields) model.assertWritable(field);
      for (const row of run.rows) {
        for (const field of run.fields) {
          if (row[field] === undefined) throw new NoormmeError(`bulkCreate(): ${field} is undefined; use null for NULL`, { code: 'INVALID_LOOKUP_VALUE' });
        }
      }
    }
    if (rows.length === 0) return [];
    return model.db.transaction(async () => {
      const out = [];
      for (const run of runs) {
        if (run.fields.length === 0) {
          for (const row of run.rows) out.push(await this.create(row));
          continue;
        }
        const perBatch = Math.min(batchSize ?? DEFAULT_BATCH_ROWS, Math.floor(MAX_VARIABLES / run.fields.length));
        for (const batch of batches(run.rows, perBatch)) out.push(...(await this.insertBatch(run.fields, batch, conflict)));
      }
      return out;
    });
  }

  async insertBatch(fields, rows, conflict) {
    const model = this.model;
    const compiled = model.compile({ model: model.name, mode: 'bulk_insert', fields, rows: rows.length, conflict });
    // Slot r * fields.length + j holds row r's field j; the first row's binds name each field's column.
    const binds = compiled.binds;
    const width = fields.length;
    const encoders = fields.map((_, j) => (binds[j][1] === null ? null : model.encoderOf(binds[j][1])));
    const args = argsArray(binds.length);
    for (let r = 0, i = 0; r < rows.length; r++) {
      const row = rows[r];
      for (let j = 0; j < width; j++, i++) args[i] = bindable(encodeWith(row[fields[j]], encoders[j]), i + 1);
    }
    compiled.statement ??= model.db.statement(compiled.sql);
    const result = await model.db.runBound(compiled.statement, args);
    const filled = model.decodeRows(result.rows, compiled);
    if (conflict !== null) return filled;
    // As Django: each row as given, plus what the database filled in.
    compiled.merge ??= rowMerger(fields, compiled.columns.map(([key]) => key));
    const out = new Array(rows.length);
    for (let r = 0; r < rows.length; r++) out[r] = compiled.merge(rows[r], filled[r]);
    return out;
  }

  /**
   * Writes `fields` of each row (found by its key) in one transaction;
   * returns how many rows matched. Rows must carry their key.
   */
  async bulkUpdate(rows, fields) {
    const model = this.model;
    model.assertWritable();
    const identity = model.identity ?? [];
    if (!Array.isArray(rows) || rows.some((r) => !r || typeof r !== 'object')) {
      throw new NoormmeError('bulkUpdate() takes an array of objects', { code: 'INVALID_ARGUMENT' });
    }
    if (!Array.isArray(fields) || fields.length === 0) {
      throw new NoormmeError('bulkUpdate(rows, fields): name the fields to write', { code: 'INVALID_ARGUMENT' });
    }
    for (const field of fields) {
      model.assertWritable(field);
      if (identity.includes(field)) throw new NoormmeError(`bulkUpdate(): ${field} is part of the key that finds each row; it cannot be updated here`, { code: 'INVALID_ARGUMENT' });
    }
    for (const row of rows) {
      const missing = identity.filter((k) => row[k] === undefined || row[k] === null).concat(fields.filter((f) => row[f] === undefined));
      if (missing.length) throw new NoormmeError(`bulkUpdate(): a row lacks ${missing.join(', ')}`, { code: 'INVALID_ARGUMENT' });
    }
    return model.db.transaction(async () => {
      let matched = 0;
      for (const row of rows) {
        const key = Object.fromEntries(identity.map((k) => [k, row[k]]));
        matched += await this.queryset().filter(key).update(Object.fromEntries(fields.map((f) => [f, row[f]])));
      }
      return matched;
    });
  }

  /** Runs your SQL and returns rows with this model's value policies applied (Django's Manager.raw). */
  async raw(sql, params) {
    const rows = await this.model.db.query(sql, params);
    for (const row of rows) this.model.decodeRow(row);
    return rows;
  }
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** One `__in` item as JSON, bound as a parameter would be (true is 1, a Date its ISO text). */
function jsonItem(value, position) {
  switch (typeof value) {
    case 'string':
      assertWellFormed(value, `__in item ${position}`);
      return JSON.stringify(value);
    case 'number':
      if (Number.isNaN(value)) break;
      if (!Number.isFinite(value)) {
        throw new NoormmeError(`__in item ${position} is ${value}, which a list (JSON) cannot hold`, { code: 'INVALID_PARAMETER', value: String(value) });
      }
      // A whole number past 2^53 is written with all its digits, as the
      // double it is (String() gives the shortest text that reads back as
      // the same double, which SQLite's JSON reader takes for another
      // integer); past 64 bits, as a real, as SQLite binds such a double.
      if (Number.isInteger(value) && !Number.isSafeInteger(value)) return Math.abs(value) < 2 ** 63 ? BigInt(value).toString() : value.toExponential();
      return String(value);
    case 'bigint':
      if (value < INT64_MIN || value > INT64_MAX) {
        throw new NoormmeError(`__in item ${position} is ${value}n, outside SQLite's 64-bit integers`, { code: 'INVALID_PARAMETER', value: `${value}n` });
      }
      return value.toString();
    case 'boolean':
      return value ? '1' : '0';
    case 'object':
      if (value === null) return 'null';
      if (value instanceof Date) return JSON.stringify(value.toISOString());
      if (value instanceof Uint8Array) return `{"x":"${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}"}`;
      if (value instanceof ArrayBuffer) return `{"x":"${Buffer.from(value).toString('hex')}"}`;
      break;
    default:
      break;
  }
  // Anything else is refused as bindable() refuses it for one parameter.
  bindable(value, `__in item ${position}`);
  throw new NoormmeError(`__in item ${position} cannot be bound`, { code: 'INVALID_PARAMETER' });
}

/** The kept plan for get() with this object's key list, or null when it does not qualify. */
function getPlan(model, lookup) {
  if (!isPlainObject(lookup)) return null;
  let plan = model.getPlans.getScalars('', lookup);
  if (plan === null) return null;
  if (plan === undefined) {
    const keys = keysOf(lookup);
    if (keys.length === 0 || !keys.every(isSingleValueKey)) return null;
    // Built (and checked) once through the QuerySet; slot i is the i-th key.
    const qs = new QuerySet(model).filter(lookup).slice(0, MAX_GET_RESULTS);
    plan = { compiled: qs.compiled('select'), keys, qs };
    model.getPlans.set('', lookup, plan);
  }
  return plan;
}

/**
 * A function building `{ ...given fields, ...filled columns }` (the two never
 * overlap) as one object literal, so every merged row gets one shape without
 * a property-by-property build (4x faster on 10,000 rows).
 */
function rowMerger(fields, filled) {
  const props = [...fields.map((f) => `${propertyKey(f)}: row[${JSON.stringify(f)}]`), ...filled.map((c) => `${propertyKey(c)}: db[${JSON.stringify(c)}]`)];
  // eslint-disable-next-line no-new-func
  return new Function('row', 'db', `return {${props.join(', ')}};`);
}

/** The plain `field: value` pairs of a lookup (what create() can use). */
function plainFields(lookup) {
  // fromEntries defines own properties, so a `__proto__` key stays a (bad) field name.
  return Object.fromEntries(Object.entries(lookup).filter(([key]) => !key.includes('__')));
}

for (const name of [...CHAINABLE, ...TERMINAL]) {
  if (Object.hasOwn(Manager.prototype, name)) continue;
  Manager.prototype[name] = function delegate(...args) {
    return this.queryset()[name](...args);
  };
}

// SQLite's default SQLITE_MAX_VARIABLE_NUMBER (since 3.32), which the bundled build keeps.
const MAX_VARIABLES = 32766;
// Rows per INSERT by default. Preparing a statement grows with its rows
// (a 6,500-row INSERT took 1.4 s to prepare), while past ~50 rows the
// per-row cost no longer falls: 10,000 rows take ~50 ms at 100 per
// statement as at 6,500, and the first call 64 ms instead of 1.5 s.
const DEFAULT_BATCH_ROWS = 100;

/** Consecutive rows with the same set of fields (one INSERT column list each), input order kept. */
function runsOfSameFields(rows) {
  const runs = [];
  let last = null;
  for (const row of rows) {
    if (last !== null && hasFields(row, last.fields)) last.rows.push(row);
    else runs.push((last = { fields: Object.keys(row), rows: [row] }));
  }
  return runs;
}

/** Whether `row` has exactly `fields`, in that order (no allocation: this runs per row). */
function hasFields(row, fields) {
  let i = 0;
  for (const key in row) if (key !== fields[i++]) return false;
  return i === fields.length;
}

/**
 * Full batches of `size`, then the remainder in falling powers of two, so a
 * table sees at most log2(size) + 1 distinct INSERT statements.
 */
function* batches(rows, size) {
  let at = 0;
  while (rows.length - at >= size) {
    yield rows.slice(at, at + size);
    at += size;
  }
  for (let step = 2 ** Math.floor(Math.log2(Math.max(1, rows.length - at))); at < rows.length; step /= 2) {
    if (rows.length - at >= step) {
      yield rows.slice(at, at + step);
      at += step;
    }
  }
}

/** Finds a table by its exact name, else by a unique case-insensitive match. */
function resolveTable(schema, name) {
  if (typeof name !== 'string') {
    throw new ModelNotFoundError(`db.model() takes a table name, got ${typeof name}`, { name, available: [] });
  }
  const exact = schema.tables.find((t) => t.name === name);
  if (exact) return exact;
  const folded = schema.tables.filter((t) => t.name.toLowerCase() === name.toLowerCase());
  if (folded.length === 1) return folded[0];
  const available = schema.tables.map((t) => t.name);
  const suggestion = folded.length > 1 ? undefined : closest(name, available);
  const why = folded.length > 1 ? ` Several tables match ignoring case (${folded.map((t) => t.name).join(', ')}): use the exact name.` : didYouMean(name, available);
  throw new ModelNotFoundError(`The database has no table or view '${name}'.${why} Tables: ${available.join(', ')}`, {
    name,
    suggestion,
    available,
  });
}

module.exports = { Model, Manager, resolveTable };
