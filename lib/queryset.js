'use strict';
// Lazy, immutable QuerySets. Each chain step returns a new QuerySet; the
// query runs when awaited (or a terminal method is called). The chain's
// shape — values replaced by numbered slots — is compiled once by the Rust
// compiler and cached, so the same shape with other values reuses the SQL
// and its prepared statement.

const { KeptPlans, keysOf } = require('./kept');
const { NoormmeError, DoesNotExist, MultipleObjectsReturned, fromNative, checkOptionKeys } = require('./errors');
const { argsArray, bindable, encodeWith } = require('./params');
const { QNode, FieldRef, ValueExpr, Aggregate, Func, CastExpr, OrderExpr, isExpression, toQ } = require('./expressions');

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

const NO_VALUES = Object.freeze([]);

/**
 * Runs a kept plan. Slot i binds `values[i]`, and past the end of `values`
 * `object[keys[i - values.length]]` (a filter's kept values, then the fields
 * of the object being written or looked up). Returns a promise of
 * `finish(result)`, without extra turns when the statement ran inline.
 */
function runPlan(model, compiled, values, object, keys, finish) {
  const binds = compiled.binds;
  // Each slot's encoder, found once per plan rather than on every call.
  const encoders = (compiled.encoders ??= binds.map(([, column, asText]) => (asText || column === null ? null : model.encoderOf(column))));
  const args = argsArray(binds.length);
  const kept = values.length;
  for (let i = 0; i < binds.length; i++) {
    const [slot, column, asText] = binds[i];
    let value;
    if (slot < kept) value = values[slot];
    else {
      value = object[keys[slot - kept]];
      if (value instanceof ValueExpr) value = value.value;
      if (value === undefined) throw new NoormmeError(`${keys[slot - kept]} is undefined; use null for NULL`, { code: 'INVALID_LOOKUP_VALUE' });
    }
    args[i] = bindable(asText ? model.bindValue(value, column, true) : encodeWith(value, encoders[i]), i + 1);
  }
  const db = model.db;
  compiled.statement ??= db.statement(compiled.sql);
  const result = db.runBound(compiled.statement, args);
  return result instanceof Promise ? result.then(finish) : Promise.resolve(finish(result));
}

function changesOf(result) {
  return result.changes;
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
  if (value instanceof Aggregate) {
    return {
      agg: value.fn,
      arg: value.arg === null ? null : expressionShape(value.arg, slots),
      distinct: value.distinct,
      filter: value.filter === null ? null : qShape(value.filter, slots),
      default: value.default === undefined ? null : slots.slot(value.default),
    };
  }
  if (value instanceof Func) return { fn: value.fn, args: value.args.map((a) => expressionShape(a, slots)) };
  if (value instanceof CastExpr) return { cast: expressionShape(value.expr, slots), type: String(value.type) };
  if (value instanceof ValueExpr) return slots.slot(value.value);
  if (value === undefined) throw invalid('an expression value is undefined');
  return slots.slot(value);
}

function leafShape(key, value, slots) {
  if (typeof key !== 'string' || key === '') throw invalid('a filter key must be a non-empty string');
  const lookup = key.slice(key.lastIndexOf('__') + 2);
  if (value === undefined) throw invalid(`${key} is undefined; use null for NULL`);
  if (isExpression(value)) return { leaf: [key, expressionShape(value, slots)] };
  if (value instanceof ValueExpr) value = value.value;
  switch (lookup) {
    case 'in': {
      if (value instanceof QuerySet) return { leaf: [key, { sub: value.subqueryShape(slots) }] };
      if (!Array.isArray(value) && !(value instanceof Set)) throw invalid(`${key} takes an array or a QuerySet, got ${typeof value}`);
      // As in Django, None inside `in` never matches and is dropped (undefined
      // was refused by leafKey). The list is one slot, bound as one JSON text.
      return { leaf: [key, { in_list: slots.slot(inItems(value)) }] };
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

/**
 * A string that identifies a condition's shape (never its values) and
 * checks value shapes on the way. Field keys are JSON-quoted so no key can
 * imitate the structure around it.
 */
function qKey(node) {
  let out = `${node.connector}(`;
  for (const c of node.children) out += c instanceof QNode ? qKey(c) : leafKey(c.key, c.value);
  return `${out})`;
}

// JSON-quoted filter keys, remembered: the same keys come back on every call.
const quotedKeys = new Map();

function quoteKey(key) {
  let q = quotedKeys.get(key);
  if (q === undefined) {
    q = JSON.stringify(key);
    if (quotedKeys.size < 10000) quotedKeys.set(key, q);
  }
  return q;
}

function leafKey(key, value) {
  if (typeof key !== 'string' || key === '') throw invalid('a filter key must be a non-empty string');
  if (value === undefined) throw invalid(`${key} is undefined; use null for NULL`);
  const k = quoteKey(key);
  if (isExpression(value)) return `${k}=F${exprKey(value)};`;
  if (value instanceof ValueExpr) value = value.value;
  const lookup = key.slice(key.lastIndexOf('__') + 2);
  switch (lookup) {
    case 'in': {
      if (value instanceof QuerySet) return `${k}=in(${quoteKey(value.model.name)}${value.key('select')});`;
      if (!Array.isArray(value) && !(value instanceof Set)) throw invalid(`${key} takes an array or a QuerySet, got ${typeof value}`);
      for (const v of value) {
        // Dropped like null, it would turn exclude({ id__in: [undefined] }) into "every row".
        if (v === undefined) throw invalid(`${key} holds undefined; use null (which in ignores) or leave it out`);
      }
      // One parameter whatever the length: every list shares one SQL text.
      return `${k}=in;`;
    }
    case 'range':
      if (!Array.isArray(value) || value.length !== 2) throw invalid(`${key} takes two values: [low, high]`);
      return `${k}=r;`;
    case 'isnull':
      if (typeof value !== 'boolean') throw invalid(`${key} takes true or false, got ${describe(value)}`);
      return `${k}=${value};`;
    case 'regex':
    case 'iregex':
      checkPattern(key, value);
      return `${k}=$;`;
    default:
      if (value === null) {
        leafShape(key, value, new Slots());
        return `${k}=N;`;
      }
      return `${k}=$;`;
  }
}

/**
 * An object literal (or JSON.parse output): its for-in keys are its own keys.
 * An own `constructor` key answers false, which only sends it the long way.
 */
function isPlainObject(value) {
  // Reading `constructor` first lets V8 check the object's shape, and so its
  // prototype, inline; Object.getPrototypeOf alone was a runtime call.
  return value !== null && typeof value === 'object' && value.constructor === Object && Object.getPrototypeOf(value) === Object.prototype;
}

/** Lookups that take one scalar and bind it to one slot (not in, range, isnull or a checked pattern). */
function isSingleValueKey(key) {
  return !(key.endsWith('__in') || key.endsWith('__range') || key.endsWith('__isnull') || key.endsWith('regex'));
}

/**
 * The clause key of a plain `{ field__lookup: scalar }` object depends only
 * on its keys, so it is kept per kind and key list (the common filter({ id })
 * skips building it), with the key list itself; null when the object is not
 * plain.
 */
function plainClause(model, kind, conditions) {
  if (!isPlainObject(conditions)) return null;
  let plain = model.plainKeys.getScalars(kind, conditions);
  if (plain === null) return null;
  if (plain === undefined) {
    const keys = keysOf(conditions);
    if (!keys.every(isSingleValueKey)) return null;
    plain = { key: `${kind}:${qKey(toQ(conditions))}`, keys, validated: false, updatePlans: new KeptPlans(), firstPlan: undefined };
    model.plainKeys.set(kind, conditions, plain);
  }
  // The values in the order of `plain.keys`: an object literal's own keys, which for-in walks in the same
  // order (unless something enumerable was added to Object.prototype: then this takes the long way).
  const values = Object.values(conditions);
  return values.length === plain.keys.length ? new Clause(kind, null, plain, values) : null;
}

/** A `__regex` value must be a pattern NOORMME's REGEXP accepts: checked here, not when SQLite runs it. */
function checkPattern(key, value) {
  if (typeof value !== 'string') throw invalid(`${key} takes a pattern string, got ${describe(value)}`);
  try {
    require('./native').checkRegex(value);
  } catch (err) {
    throw invalid(`${key}: ${fromNative(err).message}`);
  }
}

function exprKey(value) {
  if (value instanceof FieldRef) {
    const node = value.node;
    return node.f !== undefined ? `f${quoteKey(node.f)}` : `(${exprKey(node.l)}${node.op}${exprKey(node.r)})`;
  }
  if (value instanceof Aggregate) {
    return `A${value.fn}${value.distinct ? 'D' : ''}(${value.arg === null ? '*' : exprKey(value.arg)})${value.filter === null ? '' : qKey(value.filter)}${value.default === undefined ? '' : '?$'}`;
  }
  if (value instanceof Func) return `${value.fn}(${value.args.map(exprKey).join(',')})`;
  if (value instanceof CastExpr) return `cast(${exprKey(value.expr)} ${quoteKey(String(value.type))})`;
  if (value === undefined) throw invalid('an expression value is undefined');
  return '$';
}

/** The values of a condition, in the order its shape numbers its slots. */
function qValues(node, out) {
  for (const c of node.children) {
    if (c instanceof QNode) {
      qValues(c, out);
      continue;
    }
    let value = c.value;
    if (isExpression(value)) {
      exprValues(value, out);
      continue;
    }
    if (value instanceof ValueExpr) value = value.value;
    const lookup = c.key.slice(c.key.lastIndexOf('__') + 2);
    if (lookup === 'in' && value instanceof QuerySet) {
      out.push(...value.slotValues());
    } else if (lookup === 'in') {
      out.push(inItems(value));
    } else if (lookup === 'range') {
      out.push(value[0], value[1]);
    } else if (lookup !== 'isnull' && value !== null) {
      out.push(value);
    }
  }
}

function exprValues(value, out) {
  if (value instanceof FieldRef) {
    if (value.node.f === undefined) {
      exprValues(value.node.l, out);
      exprValues(value.node.r, out);
    }
  } else if (value instanceof Aggregate) {
    if (value.arg !== null) exprValues(value.arg, out);
    if (value.filter !== null) qValues(value.filter, out);
    if (value.default !== undefined) out.push(value.default);
  } else if (value instanceof Func) {
    for (const a of value.args) exprValues(a, out);
  } else if (value instanceof CastExpr) {
    exprValues(value.expr, out);
  } else {
    out.push(value instanceof ValueExpr ? value.value : value);
  }
}

/**
 * An `__in` QuerySet becomes a subquery, so it must read the same database
 * file; as in Django, one from another database has to be evaluated first.
 */
function assertSameDatabase(model, node) {
  for (const c of node.children) {
    if (c instanceof QNode) assertSameDatabase(model, c);
    else if (c.value instanceof QuerySet && c.value.model.db.shared !== model.db.shared) {
      throw invalid(`${c.key}: that QuerySet reads another database (${c.value.model.db.shared.file}); subqueries cannot cross databases, so await it and pass the values instead`);
    }
  }
}

/** An `__in` list's values: null never matches there, so it is left out, as Django does. */
function inItems(value) {
  const items = [];
  for (const v of value) if (v !== null) items.push(v);
  return items;
}

/** Whether a condition can never match (an empty `in` at the top level), so no SQL need run. */
function alwaysEmpty(node) {
  if (node.connector !== 'and') return false;
  return node.children.some((c) =>
    c instanceof QNode ? alwaysEmpty(c) : c.key.endsWith('__in') && (c.value instanceof QuerySet ? c.value.state.empty : (Array.isArray(c.value) || c.value instanceof Set) && [...c.value].every((v) => v === null)),
  );
}

function fieldNames(method, fields) {
  const list = fields.flat();
  for (const f of list) {
    // orderBy's expression terms with a NULLs placement.
    if (method === 'orderBy' && f !== null && typeof f === 'object' && typeof f.t === 'string' && (f.nulls === 'first' || f.nulls === 'last')) continue;
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

/**
 * One filter() or exclude() call. For a plain object the values are kept
 * in slot order and its condition tree is built only if a shape needs it.
 */
class Clause {
  constructor(kind, q, plain, plainValues) {
    this.kind = kind;
    this.built = q;
    // For a plain object: what every object with its keys shares (key, keys, kept plans).
    this.plain = plain;
    this.key = plain === null ? `${kind}:${qKey(q)}` : plain.key;
    this.plainValues = plainValues;
    this.site = undefined;
  }

  get q() {
    if (this.built === null) {
      const values = this.plainValues;
      this.built = new QNode({}, 'and', this.plain.keys.map((key, i) => ({ key, value: values[i] })));
    }
    return this.built;
  }
}

/**
 * A QuerySet's state. A class with every field set in one order, so each
 * chain step copies it as one fixed-shape object (an object spread of it
 * was 40% of a filter() call).
 */
class State {
  constructor(from) {
    this.related = from.related;
    this.prefetches = from.prefetches;
    this.annotations = from.annotations;
    this.annotationKey = from.annotationKey;
    this.where = from.where;
    this.whereKey = from.whereKey;
    this.order = from.order;
    this.reversed = from.reversed;
    this.fields = from.fields;
    this.mode = from.mode;
    this.flat = from.flat;
    this.distinct = from.distinct;
    this.start = from.start;
    this.end = from.end;
    this.empty = from.empty;
  }
}

const EMPTY_STATE = Object.freeze(
  new State({
    related: [],
    prefetches: [],
    annotations: [],
    annotationKey: '',
    where: [],
    whereKey: '',
    order: null,
    reversed: false,
    fields: null,
    mode: 'rows',
    flat: false,
    distinct: false,
    start: 0,
    end: null,
    empty: false,
  }),
);

class QuerySet {
  constructor(model, state = EMPTY_STATE) {
    // Immutable by contract: every method returns a new QuerySet and no
    // method writes to `state` (freezing measurably slowed each chain step).
    this.model = model;
    this.state = state;
  }

  clone(patch) {
    const state = new State(this.state);
    for (const key in patch) state[key] = patch[key];
    return new QuerySet(this.model, state);
  }

  // ---- chain --------------------------------------------------------------

  filter(...conditions) {
    return this.where('filter', conditions);
  }

  exclude(...conditions) {
    return this.where('exclude', conditions);
  }

  where(kind, conditions) {
    let clause = conditions.length === 1 ? plainClause(this.model, kind, conditions[0]) : null;
    if (clause === null) {
      const q = combine(conditions);
      assertSameDatabase(this.model, q);
      clause = new Clause(kind, q, null, null);
    }
    const key = clause.key;
    const prior = this.state;
    // Without annotations a plain clause's checks hold for every object with its keys.
    const plain = prior.annotationKey === '' ? clause.plain : null;
    if (plain === null || !plain.validated) {
      this.validate(prior.annotationKey === '' ? key : `${prior.annotationKey}|${key}`, clause);
      if (plain !== null) plain.validated = true;
    }
    // The N+1 guard needs the caller's line, which is gone by the time an
    // awaited QuerySet runs: take it here, only once a run of repeats is near.
    const guard = this.model.db.nPlusOne;
    if (guard && guard.nearThreshold()) clause.site = require('./nplusone').callSite();
    // Set field by field rather than through clone(): this is the hottest chain step.
    const state = new State(prior);
    state.where = prior.where.length === 0 ? [clause] : [...prior.where, clause];
    state.whereKey = prior.whereKey === '' ? key : prior.whereKey + key;
    // A plain object holds no `in`, so it cannot make the query empty.
    state.empty = prior.empty || (kind === 'filter' && clause.plain === null && alwaysEmpty(clause.q));
    return new QuerySet(this.model, state);
  }

  /** Checks a clause's fields and lookups against the schema, once per validation key. */
  validate(validationKey, clause) {
    this.model.validateOnce(validationKey, () => {
      const slots = new Slots();
      return { model: this.model.name, mode: 'validate', annotate: this.annotationShape(slots), where: [{ [clause.kind]: qShape(clause.q, slots) }], order: [], fields: null };
    });
  }

  /** `orderBy('-created_at', 'author__name', '?', F('likes').desc(), Lower('title'))`. */
  orderBy(...fields) {
    let qs = this;
    const names = fields.flat().map((f) => {
      if (typeof f === 'string') return f;
      const ordered = f instanceof OrderExpr ? f : isExpression(f) ? new OrderExpr(f, false) : null;
      if (ordered === null) return f; // fieldNames() reports it
      // An expression orders through an unselected annotation, like alias().
      const name = `noormme_order_${qs.state.annotations.length}`;
      qs = qs.alias({ [name]: ordered.expr });
      const term = ordered.descending ? `-${name}` : name;
      // Where NULLs go travels with the term: { t, nulls } in the shape.
      return ordered.nulls === null ? term : { t: term, nulls: ordered.nulls };
    });
    const order = fieldNames('orderBy', names);
    qs.validateList('order', order);
    return qs.clone({ order, reversed: false });
  }

  reverse() {
    return this.clone({ reversed: !this.state.reversed });
  }

  distinct() {
    return this.clone({ distinct: true });
  }

  /** This QuerySet, with `columns` added to what only()/defer() chose (whole rows already have them). */
  including(columns) {
    const chosen = this.state.fields;
    if (!this.rowsMode() || chosen === null || columns.every((c) => chosen.includes(c))) return this;
    const fields = this.model.meta.columns.filter((c) => !c.hidden && (chosen.includes(c.name) || columns.includes(c.name))).map((c) => c.name);
    return this.clone({ fields });
  }

  /** Follows forward relations with JOINs: rows get nested objects (`post.author.email`). */
  selectRelated(...paths) {
    const list = fieldNames('selectRelated', paths);
    const { walk } = require('./prefetch');
    const expanded = [];
    for (const path of list) {
      walk(this.model.db, this.model, path);
      // 'Album__Artist' also loads 'Album', which it hangs from.
      const parts = path.split('__');
      for (let i = 1; i <= parts.length; i++) expanded.push(parts.slice(0, i).join('__'));
    }
    const related = [...new Set([...this.state.related, ...expanded])];
    this.validateList('related', related);
    return this.clone({ related });
  }

  /** Loads relations of any kind with one extra query per level: `prefetch('posts', 'posts__tags')`. */
  prefetch(...lookups) {
    const { Prefetch, walk } = require('./prefetch');
    for (const lookup of lookups.flat()) {
      if (!(lookup instanceof Prefetch) && (typeof lookup !== 'string' || lookup === '')) {
        throw new NoormmeError('prefetch() takes relation paths or Prefetch(...)', { code: 'INVALID_QUERY' });
      }
      walk(this.model.db, this.model, lookup instanceof Prefetch ? lookup.lookup : lookup);
    }
    return this.clone({ prefetches: [...this.state.prefetches, ...lookups.flat()] });
  }

  /** Whether rows are whole model rows (all columns, or the ones only()/defer() kept), which selectRelated() extends. */
  rowsMode() {
    return this.state.mode === 'rows';
  }

  /** Adds computed fields to each row: `annotate({ tracks: Count('Track') })`. */
  annotate(expressions) {
    return this.withAnnotations(expressions, true);
  }

  /** Like annotate(), for use in filter() and orderBy() only: not selected. */
  alias(expressions) {
    return this.withAnnotations(expressions, false);
  }

  withAnnotations(expressions, selected) {
    if (!expressions || typeof expressions !== 'object') throw invalid('annotate() takes { name: expression }');
    const added = Object.entries(expressions).map(([name, expr]) => {
      if (!isExpression(expr) && !(expr instanceof ValueExpr)) throw invalid(`annotate(): ${name} must be an expression (F, Count, Sum, Lower, ...)`);
      return [name, expr, selected];
    });
    const annotations = [...this.state.annotations, ...added];
    const annotationKey = this.state.annotationKey + added.map(([n, e, sel]) => `${quoteKey(n)}${sel ? '' : '~'}=${exprKey(e)};`).join('');
    const next = this.clone({ annotations, annotationKey });
    this.model.validateOnce(`annotate:${annotationKey}`, () => ({ model: this.model.name, mode: 'validate', annotate: next.annotationShape(new Slots()), where: [], order: [], fields: null }));
    return next;
  }

  annotationShape(slots) {
    return this.state.annotations.map(([name, expr, selected]) => [name, expressionShape(expr, slots), selected]);
  }

  /** `{ name: value }` of aggregates over the whole QuerySet: `aggregate({ total: Sum('Bytes') })`. */
  async aggregate(expressions) {
    if (!expressions || typeof expressions !== 'object') throw invalid('aggregate() takes { name: Aggregate }');
    const read = { ...expressions };
    for (const [name, expr] of Object.entries(read)) {
      if (!isExpression(expr)) throw invalid(`aggregate(): ${name} must be an aggregate (Count, Sum, Avg, Min, Max)`);
    }
    const { result } = await this.execute('aggregate', { aggregate: read });
    return result.rows[0];
  }

  values(...fields) {
    const list = fieldNames('values', fields);
    this.validateList('fields', list);
    return this.clone({ fields: list, mode: 'values' });
  }

  /** Rows with only these fields (and the key): `only('title', 'created_at')`. */
  only(...fields) {
    const list = fieldNames('only', fields);
    for (const f of list) this.model.field(f);
    return this.withColumns((name) => list.includes(name));
  }

  /** Rows without these fields (the key always stays): `defer('body')`. */
  defer(...fields) {
    const list = fieldNames('defer', fields);
    for (const f of list) this.model.field(f);
    const current = this.state.mode === 'rows' && this.state.fields !== null ? this.state.fields : null;
    return this.withColumns((name) => !list.includes(name) && (current === null || current.includes(name)));
  }

  withColumns(keep) {
    const identity = this.model.identity ?? [];
    const fields = this.model.meta.columns.filter((c) => !c.hidden && (identity.includes(c.name) || keep(c.name))).map((c) => c.name);
    return this.clone({ fields, mode: 'rows' });
  }

  valuesList(fields, options) {
    const { flat = false } = checkOptionKeys('valuesList()', options, ['flat']);
    const list = fieldNames('valuesList', Array.isArray(fields) ? fields : [fields]);
    if (flat && list.length !== 1) throw invalid('valuesList(..., { flat: true }) takes exactly one field');
    this.validateList('fields', list);
    return this.clone({ fields: list, mode: flat ? 'flat' : 'list' });
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

  /**
   * At most `n` rows from the current offset: SQL's LIMIT, a page size
   * (the last call wins), unlike slice(), which narrows Python-style.
   */
  limit(n) {
    if (!Number.isInteger(n) || n < 0) throw invalid('limit(n) takes a whole number of rows, 0 or more');
    return this.clone({ end: this.state.start + n });
  }

  /**
   * Skip `n` rows, keeping the limit: SQL's OFFSET, so limit(10).offset(20)
   * and offset(20).limit(10) are both rows 20-29 (the last call wins).
   */
  offset(n) {
    if (!Number.isInteger(n) || n < 0) throw invalid('offset(n) takes a whole number of rows, 0 or more');
    const { start, end } = this.state;
    return this.clone({ start: n, end: end === null ? null : n + (end - start) });
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
      // Reversed as Django reverses: the direction flips, and so does where NULLs go.
      const flip = (t) => (t === '?' ? t : t.startsWith('-') ? t.slice(1) : `-${t}`);
      order = base.map((t) => (typeof t === 'string' ? flip(t) : { t: flip(t.t), nulls: t.nulls === 'first' ? 'last' : 'first' }));
    }
    return order ?? [];
  }

  /** The shape for the Rust compiler, and the values for its slots. */
  shape(mode, extra = {}, slots = new Slots()) {
    const annotate = this.annotationShape(slots);
    const where = this.state.where.map(({ kind, q }) => ({ [kind]: qShape(q, slots) }));
    const shape = {
      model: this.model.name,
      mode,
      annotate,
      where,
      order: this.effectiveOrder(),
      fields: this.state.fields,
      distinct: this.state.distinct,
      related: mode === 'select' && this.rowsMode() ? this.state.related : [],
    };
    const { start, end } = this.state;
    if (end !== null) shape.limit = end - start;
    if (start > 0) shape.offset = start;
    if (extra.set) {
      // Built as own properties: a `__proto__` key (JSON.parse makes one) must
      // reach the compiler and fail there as any unknown field does, not set
      // the prototype of the shape and vanish.
      shape.set = Object.fromEntries(
        Object.entries(extra.set).map(([field, value]) => {
          if (value === undefined) throw invalid(`${field} is undefined; use null for NULL`);
          return [field, expressionShape(value, slots)];
        }),
      );
    }
    if (extra.aggregate) shape.aggregate = Object.entries(extra.aggregate).map(([name, expr]) => [name, expressionShape(expr, slots)]);
    return { shape, values: slots.values };
  }

  /** The shape of this QuerySet as the right side of `__in`: one column, the key unless values() chose it. */
  subqueryShape(slots) {
    let qs = this;
    // Whole rows (only()/defer() included) stand for their key, as in Django.
    if (this.rowsMode()) {
      const identity = this.model.identity ?? [];
      if (identity.length !== 1) throw invalid(`${this.model.name} has no single-column key: pick the column for __in with valuesList('field', { flat: true })`);
      qs = this.clone({ fields: identity, related: [] });
    }
    return qs.shape('select', {}, slots).shape;
  }

  validateList(what, list) {
    this.model.validateOnce(`${this.state.annotationKey}|${what}:${JSON.stringify(list)}`, () => ({
      model: this.model.name,
      mode: 'validate',
      annotate: this.annotationShape(new Slots()),
      where: [],
      order: what === 'order' ? list : [],
      fields: what === 'fields' ? list : null,
      related: what === 'related' ? list : [],
    }));
  }

  /** The key of this query's shape in `mode`: equal keys compile to the same SQL. */
  key(mode, extra) {
    const st = this.state;
    let key = `${mode}|${st.annotationKey}|${st.whereKey}`;
    key += `|${st.related.length ? JSON.stringify(st.related) : ''}|${st.order === null ? '' : JSON.stringify(st.order)}|${st.reversed ? 'R' : ''}|${st.fields === null ? '' : JSON.stringify(st.fields)}|${st.distinct ? 'D' : ''}`;
    key += `|${st.end !== null ? st.end - st.start : ''}:${st.start}`;
    if (extra && extra.set) {
      key += '|S';
      for (const [field, value] of Object.entries(extra.set)) key += `${quoteKey(field)}${exprKey(value)}`;
    }
    if (extra && extra.aggregate) {
      key += '|G';
      for (const [name, value] of Object.entries(extra.aggregate)) key += `${quoteKey(name)}${exprKey(value)}`;
    }
    return key;
  }

  /** The values for the slots of `shape(mode, extra)`, in slot order. */
  slotValues(extra) {
    const out = [];
    for (const [, expr] of this.state.annotations) exprValues(expr, out);
    for (const clause of this.state.where) {
      if (clause.plainValues !== null) out.push(...clause.plainValues);
      else qValues(clause.q, out);
    }
    if (extra && extra.set) for (const value of Object.values(extra.set)) exprValues(value, out);
    if (extra && extra.aggregate) for (const value of Object.values(extra.aggregate)) exprValues(value, out);
    return out;
  }

  compiled(mode, extra) {
    const key = this.key(mode, extra);
    let compiled = this.model.compiledByKey.get(key);
    if (compiled === undefined) {
      compiled = this.model.compile(this.shape(mode, extra).shape);
      this.model.compiledByKey.set(key, compiled);
    }
    return compiled;
  }

  /**
   * Runs the query in `mode`. Returns `[result, compiled]`, or a promise of
   * it when the statement went to a worker thread: cheap queries stay free
   * of extra promise turns.
   */
  run(mode, extra) {
    const compiled = this.compiled(mode, extra);
    const values = this.slotValues(extra);
    const binds = compiled.binds;
    const args = argsArray(binds.length);
    for (let i = 0; i < binds.length; i++) args[i] = this.model.bindSlot(binds[i], values);
    const result = this.model.db.run(compiled.sql, args);
    return result instanceof Promise ? result.then((r) => [r, compiled]) : [result, compiled];
  }

  async execute(mode, extra) {
    const [result, compiled] = await this.run(mode, extra);
    return { result, compiled };
  }

  /** The rows, shaped by values()/valuesList(); a promise only when the query went off-thread. */
  rows(extra) {
    if (this.state.empty) return [];
    const guard = this.model.db.nPlusOne;
    if (guard) guard.observe(this.model.db, this.model, this.key('select', extra), this.state);
    if (this.state.prefetches.length === 0 || !this.rowsMode()) {
      const ran = this.run('select', extra);
      return ran instanceof Promise ? ran.then((r) => this.shapeRows(r)) : this.shapeRows(ran);
    }
    const { prefetchRelated, columnsFor } = require('./prefetch');
    // only()/defer() rows also load the columns their prefetched relations follow.
    const source = this.including(columnsFor(this.model, this.state.prefetches));
    const ran = source.run('select', extra);
    const shaped = ran instanceof Promise ? ran.then((r) => source.shapeRows(r)) : source.shapeRows(ran);
    return Promise.resolve(shaped).then(async (rows) => {
      await prefetchRelated(this.model.db, this.model, rows, this.state.prefetches);
      return rows;
    });
  }

  shapeRows([result, compiled]) {
    let rows = this.model.decodeRows(result.rows, compiled);
    if (this.state.related.length && this.rowsMode()) {
      rows = require('./prefetch').nestSelected(this.model.db, this.model, rows, this.state.related);
    }
    if (this.state.mode === 'list') return rows.map((r) => compiled.columns.map(([key]) => r[key]));
    if (this.state.mode === 'flat') return rows.map((r) => r[compiled.columns[0][0]]);
    return rows;
  }

  fetch(extra) {
    try {
      return Promise.resolve(this.rows(extra));
    } catch (err) {
      return Promise.reject(err);
    }
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

  /** The first row by the order (by the key when none), or null. */
  first() {
    try {
      const plan = this.keptFirst();
      if (plan !== null && this.model.db.nPlusOne !== null) this.model.db.nPlusOne.observe(this.model.db, this.model, plan, this.state);
      if (plan !== null) return runPlan(this.model, plan, this.state.where[0].plainValues, null, NO_VALUES, (r) => this.model.decodeRows(r.rows, plan)[0] ?? null);
    } catch (err) {
      return Promise.reject(err);
    }
    const ordered = this.state.order || this.state.reversed ? this : this.orderBy(...(this.model.identity ?? []));
    return ordered
      .slice(0, 1)
      .fetch()
      .then(([row]) => row ?? null);
  }

  /**
   * For `filter({ plain }).first()`, the commonest lookup after get(): the
   * compiled query kept on the plain clause (its slots are the clause's
   * values), so repeats build no QuerySet chain. Null for other chains.
   */
  keptFirst() {
    const st = this.state;
    const identity = this.model.identity;
    if (
      st.where.length !== 1 ||
      st.where[0].plain === null ||
      identity === null ||
      identity.length === 0 ||
      st.annotations.length ||
      st.order !== null ||
      st.reversed ||
      st.distinct ||
      st.empty ||
      st.start !== 0 ||
      st.end !== null ||
      st.mode !== 'rows' ||
      st.fields !== null ||
      st.related.length ||
      st.prefetches.length
    ) {
      return null;
    }
    const plain = st.where[0].plain;
    plain.firstPlan ??= this.orderBy(...identity).slice(0, 1).compiled('select');
    return plain.firstPlan;
  }

  async last() {
    const ordered = this.state.order || this.state.reversed ? this : this.orderBy(...(this.model.identity ?? []));
    const [row] = await ordered.reverse().slice(0, 1).fetch();
    return row ?? null;
  }

  get(...conditions) {
    try {
      const qs = (conditions.length ? this.filter(...conditions) : this).slice(0, MAX_GET_RESULTS);
      const rows = qs.rows();
      return rows instanceof Promise ? rows.then((r) => this.single(r, conditions)) : Promise.resolve(this.single(rows, conditions));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  single(rows, conditions) {
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
  update(values) {
    try {
      if (!values || typeof values !== 'object') throw invalid('update() takes an object of fields');
      this.model.assertWritable();
      if (this.state.empty) return Promise.resolve(0);
      const plan = this.keptUpdate(values);
      if (plan !== null) return runPlan(this.model, plan.compiled, this.state.where[0].plainValues, values, plan.keys, changesOf);
      // No async function: an inline write resolves without extra turns. The
      // values are read once (a spread defines own properties, `__proto__`
      // included), so the cache key and the SQL come from the same reading.
      const ran = this.run('update', { set: { ...values } });
      return ran instanceof Promise ? ran.then(([result]) => result.changes) : Promise.resolve(ran[0].changes);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * For `filter({ plain })` + `update({ plain })`: the compiled UPDATE kept
   * per clause and updated fields (its slots: the clause's values, then the
   * updated fields). Null for other chains.
   */
  keptUpdate(values) {
    const st = this.state;
    if (st.where.length !== 1 || st.where[0].plain === null || st.annotations.length || st.order !== null || st.reversed || st.distinct || st.start || st.end !== null) {
      return null;
    }
    if (!isPlainObject(values)) return null;
    const plans = st.where[0].plain.updatePlans;
    let plan = plans.getScalars('', values, true);
    if (plan === undefined) {
      plan = { compiled: this.compiled('update', { set: values }), keys: keysOf(values) };
      plans.set('', values, plan);
    }
    return plan;
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
    const args = compiled.binds.map((bind) => this.model.bindSlot(bind, values));
    const rows = await this.model.db.query(`EXPLAIN QUERY PLAN ${compiled.sql}`, args);
    return rows.map((r) => r.detail).join('\n');
  }

  /** The SQL this QuerySet runs, with its parameters (for debugging). */
  toSQL() {
    const { shape, values } = this.shape('select');
    const compiled = this.model.compile(shape);
    return { sql: compiled.sql, params: compiled.binds.map((bind) => this.model.bindSlot(bind, values)) };
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
  async inBulk(ids, options) {
    const { fieldName } = checkOptionKeys('inBulk()', options, ['fieldName']);
    const key = fieldName ?? (this.model.identity && this.model.identity.length === 1 ? this.model.identity[0] : null);
    if (!key) throw invalid(`${this.model.name} has no single-column key: pass { fieldName }`);
    const rows = await this.filter({ [`${key}__in`]: ids });
    const out = {};
    for (const row of rows) out[row[key]] = row;
    return out;
  }
}

module.exports = { QuerySet, MAX_GET_RESULTS, NO_VALUES, runPlan, isPlainObject, isSingleValueKey };
