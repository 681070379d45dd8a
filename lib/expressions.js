'use strict';
// Q (conditions combined with and/or/not/xor) and F (field references with
// arithmetic). Both are immutable plain descriptions the QuerySet turns into
// a query shape for the Rust compiler.

const { NoormmeError } = require('./errors');

class QNode {
  /** `Q({ a: 1, b__gt: 2 })`: all conditions must hold. */
  constructor(conditions = {}, connector = 'and', children = null) {
    this.connector = connector;
    this.children = children ?? Object.entries(conditions).map(([key, value]) => ({ key, value }));
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
    Object.freeze(this);
  }

  static op(op, left, right) {
    return new FieldRef(null, { op, l: left, r: right });
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
  constructor(fn, arg, { distinct = false, filter = null } = {}) {
    if (arg !== null && typeof arg !== 'string' && !isExpression(arg)) {
      throw new NoormmeError(`${fn}() takes a field name or an expression`, { code: 'INVALID_QUERY' });
    }
    this.fn = fn;
    this.arg = typeof arg === 'string' ? (arg === '*' ? null : new FieldRef(arg)) : arg;
    this.distinct = Boolean(distinct);
    this.filter = filter === null ? null : toQ(filter);
  }
}

/** A SQL function over expressions: Coalesce, Lower, Upper, Length, Concat, Now. */
class Func {
  constructor(fn, args) {
    this.fn = fn;
    this.args = args.map((a) => (typeof a === 'string' ? new FieldRef(a) : a));
  }
}

class CastExpr {
  constructor(expr, type) {
    this.expr = typeof expr === 'string' ? new FieldRef(expr) : expr;
    this.type = type;
  }
}

function isExpression(v) {
  return v instanceof FieldRef || v instanceof Aggregate || v instanceof Func || v instanceof CastExpr;
}

/** An expression in orderBy() with its direction: `F('likes').desc()`, `Lower('name').asc()`. */
class OrderExpr {
  constructor(expr, descending) {
    this.expr = expr;
    this.descending = descending;
    Object.freeze(this);
  }
}

for (const Kind of [FieldRef, Aggregate, Func, CastExpr]) {
  Kind.prototype.asc = function asc() {
    return new OrderExpr(this, false);
  };
  Kind.prototype.desc = function desc() {
    return new OrderExpr(this, true);
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
    this.value = value;
    Object.freeze(this);
  }
}

module.exports = {
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
