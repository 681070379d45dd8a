'use strict';
// Lazy, immutable QuerySets. Each chain step returns a new QuerySet; the
// query runs when awaited (or a terminal method is called). The chain's
// shape — values replaced by numbered slots — is compiled once by the Rust
// compiler and cached, so the same shape with other values reuses the SQL
// and its prepared statement.

const { NoormmeError, DoesNotExist, MultipleObjectsReturned, fromNative } = require('./errors');
const { QNode, FieldRef, ValueExpr, toQ } = require('./expressions');

const CHUNK = 500;
const MAX_GET_RESULTS = 21;

/** Collects the values of a shape in slot order. */
class Slots {
  constructor() {
    this.values = [];
  }

  slot(value) {
    this.values.push(value);
    return { p: this.values.length - 1 };
  }
}

/** A short, never-throwing description of a user value for error messages. */
function describe(value) {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'symbol' || typeof value === 'function') return `a ${typeof value}`;
  try {
    return JSON.stringify(value, (k, v) => (typeof v === 'bigint' ? `${v}n` : v)) ?? String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

function invalid(message) {
  return new NoormmeError(message, { code: 'INVALID_LOOKUP_VALUE' });
}

function expressionShape(value, slots) {
  if (value instanceof FieldRef) {
    const node = value.node;
    if (node.f !== undefined) return { f: node.f };
    return { op: node.op, l: expressionShape(node.l, slots), r: expressionShape(node.r, slots) };
  }
  if (value instanceof ValueExpr) return slots.slot(value.value);
  if (value === undefined) throw invalid('an expression value is undefined');
  return slots.slot(value);
}

function leafShape(key, value, slots) {
  if (typeof key !== 'string' || key === '') throw invalid('a filter key must be a non-empty string');
  const lookup = key.slice(key.lastIndexOf('__') + 2);
  if (value === undefined) throw invalid(`${key} is undefined; use null for NULL`);
  if (value instanceof FieldRef) return { leaf: [key, expressionShape(value, slots)] };
  if (value instanceof ValueExpr) value = value.value;
  switch (lookup) {
    case 'in': {
      if (!Array.isArray(value) && !(value instanceof Set)) throw invalid(`${key} takes an array, got ${typeof value}`);
      // As in Django, None inside `in` never matches and is dropped.
      const items = [...value].filter((v) => v !== null && v !== undefined);
      return { leaf: [key, { in: items.map((v) => slots.slot(v)) }] };
    }
    case 'range':
      if (!Array.isArray(value) || value.length !== 2) throw invalid(`${key} takes two values: [low, high]`);
      return { leaf: [key, { range: [slots.slot(value[0]), slots.slot(value[1])] }] };
    case 'isnull':
      if (typeof value !== 'boolean') throw invalid(`${key} takes true or false, got ${describe(value)}`);
      return { leaf: [key, value] };
    default:
      if (value === null) {
        if (key.includes('__') && ['gt', 'gte', 'lt', 'lte', 'contains', 'icontains', 'startswith', 'istartswith', 'endswith', 'iendswith', 'iexact'].includes(lookup)) {
          throw invalid(`${key}: null can only be compared with exact (or use __isnull)`);
        }
        return { leaf: [key, null] };
      }
      return { leaf: [key, slots.slot(value)] };
  }
}

function qShape(node, slots) {
  const children = node.children.map((c) => (c instanceof QNode ? qShape(c, slots) : leafShape(c.key, c.value, slots)));
  if (node.connector === 'not') return { not: children[0] };
  if (node.connector === 'and' && children.length === 1) return children[0];
  return { [node.connector]: children };
}

/** Whether a condition can never match (an empty `in` at the top level), so no SQL need run. */
function alwaysEmpty(node) {
  if (node.connector !== 'and') return false;
  return node.children.some((c) =>
    c instanceof QNode ? alwaysEmpty(c) : c.key.endsWith('__in') && (Array.isArray(c.value) || c.value instanceof Set) && [...c.value].every((v) => v === null || v === undefined),
  );
}

function fieldNames(method, fields) {
  const list = fields.flat();
  for (const f of list) {
    if (typeof f !== 'string' || f === '') {
      throw new NoormmeError(`${method}() takes field names (strings), got ${typeof f === 'string' ? 'an empty string' : typeof f}`, { code: 'INVALID_QUERY' });
    }
  }
  return list;
}

function combine(args) {
  if (args.length === 0) return new QNode({});
  if (args.length === 1) return toQ(args[0]);
  return new QNode({}, 'and', args.map(toQ));
}

const EMPTY_STATE = Object.freeze({
  where: [],
  order: null,
  reversed: false,
  fields: null,
  mode: 'rows',
  flat: false,
  distinct: false,
  start: 0,
  end: null,
  empty: false,
});

class QuerySet {
  constructor(model, state = EMPTY_STATE) {
    this.model = model;
    this.state = state;
    Object.freeze(this);
  }

  clone(patch) {
    return new QuerySet(this.model, { ...this.state, ...patch });
  }

  // ---- chain --------------------------------------------------------------

  filter(...conditions) {
    return this.where('filter', conditions);
  }

  exclude(...conditions) {
    return this.where('exclude', conditions);
  }

  where(kind, conditions) {
    const q = combine(conditions);
    const next = this.clone({
      where: [...this.state.where, { kind, q }],
      empty: this.state.empty || (kind === 'filter' && alwaysEmpty(q)),
    });
    next.validate();
    return next;
  }

  orderBy(...fields) {
    const next = this.clone({ order: fieldNames('orderBy', fields), reversed: false });
    next.validate();
    return next;
  }

  reverse() {
    return this.clone({ reversed: !this.state.reversed });
  }

  distinct() {
    return this.clone({ distinct: true });
  }

  values(...fields) {
    const next = this.clone({ fields: fieldNames('values', fields), mode: 'values' });
    next.validate();
    return next;
  }

  valuesList(fields, { flat = false } = {}) {
    const list = fieldNames('valuesList', Array.isArray(fields) ? fields : [fields]);
    if (flat && list.length !== 1) throw invalid('valuesList(..., { flat: true }) takes exactly one field');
    const next = this.clone({ fields: list, mode: flat ? 'flat' : 'list' });
    next.validate();
    return next;
  }

  /** Python-style slice: rows [start, end). */
  slice(start = 0, end = null) {
    if (!Number.isInteger(start) || start < 0 || (end !== null && (!Number.isInteger(end) || end < start))) {
      throw invalid('slice(start, end) takes non-negative integers with end ≥ start (negative indexing is not supported)');
    }
    const base = this.state.start;
    const cap = this.state.end;
    let newEnd = end === null ? cap : base + end;
    if (cap !== null && newEnd !== null) newEnd = Math.min(newEnd, cap);
    return this.clone({ start: base + start, end: newEnd });
  }

  limit(n) {
    return this.slice(0, n);
  }

  offset(n) {
    return this.slice(n);
  }

  none() {
    return this.clone({ empty: true });
  }

  all() {
    return this.clone({});
  }

  // ---- compiling ----------------------------------------------------------

  effectiveOrder() {
    let order = this.state.order;
    if (this.state.reversed) {
      const base = order && order.length ? order : (this.model.identity ?? []);
      order = base.map((t) => (t === '?' ? t : t.startsWith('-') ? t.slice(1) : `-${t}`));
    }
    return order ?? [];
  }

  /** The shape for the Rust compiler, and the values for its slots. */
  shape(mode, extra = {}) {
    const slots = new Slots();
    const where = this.state.where.map(({ kind, q }) => ({ [kind]: qShape(q, slots) }));
    const shape = { model: this.model.name, mode, where, order: this.effectiveOrder(), fields: this.state.fields, distinct: this.state.distinct };
    const { start, end } = this.state;
    if (end !== null) shape.limit = slots.slot(end - start).p;
    if (start > 0) shape.offset = slots.slot(start).p;
    if (extra.set) {
      shape.set = {};
      for (const [field, value] of Object.entries(extra.set)) {
        if (value === undefined) throw invalid(`${field} is undefined; use null for NULL`);
        shape.set[field] = expressionShape(value, slots);
      }
    }
    if (extra.limit !== undefined) shape.limit = slots.slot(extra.limit).p;
    return { shape, values: slots.values };
  }

  validate() {
    const { shape } = this.shape('validate');
    this.model.compile(shape);
  }

  async execute(mode, extra) {
    const { shape, values } = this.shape(mode, extra);
    const compiled = this.model.compile(shape);
    const args = compiled.binds.map(([slot, column, asText]) => this.model.bindValue(values[slot], column, asText));
    let result;
    try {
      result = await this.model.db.run(compiled.sql, args);
    } catch (err) {
      throw err.sql === undefined ? fromNative(err, compiled.sql) : err;
    }
    return { result, compiled };
  }

  async fetch(extra) {
    if (this.state.empty) return [];
    const { result, compiled } = await this.execute('select', extra);
    const rows = result.rows;
    this.model.decodeRows(rows, compiled);
    if (this.state.mode === 'list') return rows.map((r) => compiled.columns.map(([key]) => r[key]));
    if (this.state.mode === 'flat') return rows.map((r) => r[compiled.columns[0][0]]);
    return rows;
  }

  // ---- terminal -----------------------------------------------------------

  then(resolve, reject) {
    return this.fetch().then(resolve, reject);
  }

  async *[Symbol.asyncIterator]() {
    for (let at = 0; ; at += CHUNK) {
      const page = await this.slice(at, at + CHUNK).fetch();
      yield* page;
      if (page.length < CHUNK) return;
    }
  }

  async first() {
    const ordered = this.state.order || this.state.reversed ? this : this.orderBy(...(this.model.identity ?? []));
    const [row] = await ordered.slice(0, 1).fetch();
    return row ?? null;
  }

  async last() {
    const ordered = this.state.order || this.state.reversed ? this : this.orderBy(...(this.model.identity ?? []));
    const [row] = await ordered.reverse().slice(0, 1).fetch();
    return row ?? null;
  }

  async get(...conditions) {
    const qs = conditions.length ? this.filter(...conditions) : this;
    const rows = await qs.slice(0, MAX_GET_RESULTS).fetch();
    if (rows.length === 1) return rows[0];
    const what = conditions.length ? ` matching ${describe(conditions.length === 1 ? conditions[0] : conditions)}` : '';
    if (rows.length === 0) throw new DoesNotExist(`${this.model.name}${what} does not exist`);
    throw new MultipleObjectsReturned(
      `get() returned more than one ${this.model.name}${what}: ${rows.length === MAX_GET_RESULTS ? `more than ${MAX_GET_RESULTS - 1}` : rows.length}`,
    );
  }

  async count() {
    if (this.state.empty) return 0;
    const { result } = await this.execute('count');
    return result.rows[0].count;
  }

  async exists() {
    if (this.state.empty) return false;
    const { result } = await this.execute('exists');
    return result.rows.length > 0;
  }

  /** Updates every matching row; returns how many changed. */
  async update(values) {
    if (!values || typeof values !== 'object') throw invalid('update() takes an object of fields');
    this.model.assertWritable();
    if (this.state.empty) return 0;
    const { result } = await this.execute('update', { set: values });
    return result.changes;
  }

  /** Deletes every matching row; returns how many were deleted (cascades not counted). */
  async delete() {
    this.model.assertWritable();
    if (this.state.empty) return 0;
    const { result } = await this.execute('delete');
    return result.changes;
  }

  /** The query plan SQLite would use. */
  async explain() {
    const { shape, values } = this.shape('select');
    const compiled = this.model.compile(shape);
    const args = compiled.binds.map(([slot, column, asText]) => this.model.bindValue(values[slot], column, asText));
    const rows = await this.model.db.query(`EXPLAIN QUERY PLAN ${compiled.sql}`, args);
    return rows.map((r) => r.detail).join('\n');
  }

  /** The SQL this QuerySet runs, with its parameters (for debugging). */
  toSQL() {
    const { shape, values } = this.shape('select');
    const compiled = this.model.compile(shape);
    return { sql: compiled.sql, params: compiled.binds.map(([slot, column, asText]) => this.model.bindValue(values[slot], column, asText)) };
  }

  async latest(...fields) {
    const row = await this.orderBy(...fields.map((f) => `-${f}`)).first();
    if (row === null) throw new DoesNotExist(`${this.model.name} has no rows to take the latest of`);
    return row;
  }

  async earliest(...fields) {
    const row = await this.orderBy(...fields).first();
    if (row === null) throw new DoesNotExist(`${this.model.name} has no rows to take the earliest of`);
    return row;
  }

  /** `{ id: row }` for the given identities. */
  async inBulk(ids, { fieldName } = {}) {
    const key = fieldName ?? (this.model.identity && this.model.identity.length === 1 ? this.model.identity[0] : null);
    if (!key) throw invalid(`${this.model.name} has no single-column key: pass { fieldName }`);
    const rows = await this.filter({ [`${key}__in`]: ids });
    const out = {};
    for (const row of rows) out[row[key]] = row;
    return out;
  }
}

module.exports = { QuerySet };
