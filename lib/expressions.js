'use strict';
// Q (conditions combined with and/or/not/xor) and F (field references with
// arithmetic). Both are immutable plain descriptions the QuerySet turns into
// a query shape for the Rust compiler.

const { NoormmeError, checkOptionKeys } = require('./errors');

/**
 * How deep Q trees and F/function expressions may nest. Each level is a
 * level of recursion in the JS walks and in the compiler, so a tree built
 * from untrusted input must not be able to exhaust the stack; 32 is far
 * beyond what a hand-written condition needs.
 */
const MAX_DEPTH = 32;

function depthOf(value) {
  return value !== null && typeof value === 'object' && typeof value.depth === 'number' ? value.depth : 0;
}

/** The depth of a node above `children`, or a NoormmeError (code QUERY_TOO_DEEP) past MAX_DEPTH. */
function nestedDepth(children) {
  let depth = 0;
  for (const child of children) depth = Math.max(depth, depthOf(child));
  if (depth + 1 > MAX_DEPTH) {
    throw new NoormmeError(`conditions and expressions nest at most ${MAX_DEPTH} levels deep`, { code: 'QUERY_TOO_DEEP' });
  }
  return depth + 1;
}

/**
 * A lookup value as it is now: arrays (and Sets) are copied and Dates and
 * byte arrays cloned, so changing the caller's object after filter() changes
 * neither what the QuerySet matches nor the shape its cached SQL was
 * compiled for. Shallow on purpose: nested arrays are not values.
 */
function capture(value) {
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value) || value instanceof Set) return Object.freeze(Array.from(value, captureItem));
  return captureItem(value);
}

function captureItem(value) {
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof Uint8Array) return Buffer.from(value);
  return value;
}

class QNode {
  /** `Q({ a: 1, b__gt: 2 })`: all conditions must hold. */
  constructor(conditions = {}, connector = 'and', children = null) {
    this.connector = connector;
    this.children = Object.freeze(children ?? Object.entries(conditions).map(([key, value]) => Object.freeze({ key, value: capture(value) })));
    this.depth = nestedDepth(this.children);
    Object.freeze(this);
  }

  and(other) {
    return Q.and(this, other);
  }

  or(other) {
    return Q.or(this, other);
  }

  xor(other) {
    return Q.xor(this, other);
  }

  not() {
    return Q.not(this);
  }
}

/** `Q({ ... })`, `Q.and(a, b)`, `Q.or(a, b)`, `Q.xor(a, b)`, `Q.not(a)`; a and b are Q or plain objects. */
function Q(conditions) {
  return toQ(conditions);
}
Q.and = (...items) => new QNode({}, 'and', items.map(toQ));
Q.or = (...items) => new QNode({}, 'or', items.map(toQ));
Q.xor = (...items) => new QNode({}, 'xor', items.map(toQ));
Q.not = (item) => new QNode({}, 'not', [toQ(item)]);

function toQ(item) {
  if (item instanceof QNode) return item;
  if (item && typeof item === 'object' && !Array.isArray(item) && !(item instanceof FieldRef)) return new QNode(item);
  throw new NoormmeError('conditions are objects ({ field__lookup: value }) or Q(...) values', { code: 'INVALID_QUERY' });
}

class FieldRef {
  constructor(path, node = null) {
    if (node === null && (typeof path !== 'string' || path === '')) {
      throw new NoormmeError("F() takes a field name: F('likes') or F('author__name')", { code: 'INVALID_QUERY' });
    }
    this.node = node ?? { f: path };
    this.depth = node === null ? 1 : nestedDepth([node.l, node.r]);
    Object.freeze(this);
  }

  static op(op, left, right) {
    return new FieldRef(null, { op, l: left, r: capture(right) });
  }

  add(v) {
    return FieldRef.op('+', this, v);
  }

  sub(v) {
    return FieldRef.op('-', this, v);
  }

  mul(v) {
    return FieldRef.op('*', this, v);
  }

  div(v) {
    return FieldRef.op('/', this, v);
  }

  mod(v) {
    return FieldRef.op('%', this, v);
  }
}

/** `F('likes')`: a reference to a field (across relations with `__`), with add/sub/mul/div/mod. */
function F(path) {
  return new FieldRef(path);
}

/** An aggregate: `Count('tracks', { distinct, filter })`, `Sum`, `Avg`, `Min`, `Max`. */
class Aggregate {
  /**
   * Options: `distinct`, `filter` (a condition on the aggregated rows) and
   * `default`, the value when no row is aggregated (Django's default; not
   * for Count, which is 0 then).
   */
  constructor(fn, arg, options) {
    const given = checkOptionKeys(`${fn}()`, options, ['distinct', 'filter', 'default']);
    const { distinct = false, filter = null } = given;
    if (arg !== null && typeof arg !== 'string' && !isExpression(arg)) {
      throw new NoormmeError(`${fn}() takes a field name or an expression`, { code: 'INVALID_QUERY' });
    }
    if (given.default !== undefined && fn === 'count') {
      throw new NoormmeError('Count() does not take a default: it is 0 when no row matches', { code: 'INVALID_OPTION', field: 'default' });
    }
    this.fn = fn;
    this.arg = typeof arg === 'string' ? (arg === '*' ? null : new FieldRef(arg)) : arg;
    this.distinct = Boolean(distinct);
    this.filter = filter === null ? null : toQ(filter);
    // undefined: no default (a default of null is the same as none).
    this.default = given.default === null ? undefined : capture(given.default);
    this.depth = nestedDepth([this.arg, this.filter]);
    Object.freeze(this);
  }
}

/** A SQL function over expressions: Coalesce, Lower, Upper, Length, Concat, Now. */
class Func {
  constructor(fn, args) {
    this.fn = fn;
    this.args = Object.freeze(args.map((a) => (typeof a === 'string' ? new FieldRef(a) : capture(a))));
    this.depth = nestedDepth(this.args);
    Object.freeze(this);
  }
}

class CastExpr {
  constructor(expr, type) {
    this.expr = typeof expr === 'string' ? new FieldRef(expr) : expr;
    this.type = type;
    this.depth = nestedDepth([this.expr]);
    Object.freeze(this);
  }
}

function isExpression(v) {
  return v instanceof FieldRef || v instanceof Aggregate || v instanceof Func || v instanceof CastExpr;
}

/**
 * An expression in orderBy() with its direction and, when given, where NULLs
 * go: `F('likes').desc({ nullsLast: true })`, `Lower('name').asc()`
 * (Django's asc/desc with nulls_first/nulls_last). `nulls` is 'first',
 * 'last' or null (SQLite's default: NULLs sort lowest).
 */
class OrderExpr {
  constructor(expr, descending, options) {
    const { nullsFirst = false, nullsLast = false } = checkOptionKeys(descending ? 'desc()' : 'asc()', options, ['nullsFirst', 'nullsLast']);
    if (nullsFirst && nullsLast) throw new NoormmeError('nullsFirst and nullsLast cannot both be true', { code: 'INVALID_OPTION' });
    this.expr = expr;
    this.descending = descending;
    this.nulls = nullsFirst ? 'first' : nullsLast ? 'last' : null;
    Object.freeze(this);
  }
}

for (const Kind of [FieldRef, Aggregate, Func, CastExpr]) {
  Kind.prototype.asc = function asc(options) {
    return new OrderExpr(this, false, options);
  };
  Kind.prototype.desc = function desc(options) {
    return new OrderExpr(this, true, options);
  };
}

const Count = (field = '*', options) => new Aggregate('count', field, options);
const Sum = (field, options) => new Aggregate('sum', field, options);
const Avg = (field, options) => new Aggregate('avg', field, options);
const Min = (field, options) => new Aggregate('min', field, options);
const Max = (field, options) => new Aggregate('max', field, options);
const Coalesce = (...args) => new Func('coalesce', args);
const Lower = (arg) => new Func('lower', [arg]);
const Upper = (arg) => new Func('upper', [arg]);
const Length = (arg) => new Func('length', [arg]);
/** Strings and fields joined; NULL parts count as '' (as Django's Concat on SQLite). Use Value('x') for literal text. */
const Concat = (...args) => new Func('concat', args);
const Now = () => new Func('now', []);
const Cast = (expr, type) => new CastExpr(expr, type);

/** `Value(x)`: a literal where an expression is expected (bound like any value). */
class ValueExpr {
  constructor(value) {
    this.value = capture(value);
    Object.freeze(this);
  }
}

module.exports = {
  MAX_DEPTH,
  capture,
  Q,
  QNode,
  F,
  FieldRef,
  ValueExpr,
  Aggregate,
  Func,
  CastExpr,
  OrderExpr,
  isExpression,
  toQ,
  Count,
  Sum,
  Avg,
  Min,
  Max,
  Coalesce,
  Lower,
  Upper,
  Length,
  Concat,
  Now,
  Cast,
};
