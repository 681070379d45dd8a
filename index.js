'use strict';
// NOORMME: Django's ORM for SQLite in Node.js. This file is the package entry:
// it loads the native core (through the napi-rs loader in native.js) and
// exports the public API.

const { Database, Transaction } = require('./lib/database');
const errors = require('./lib/errors');
const expressions = require('./lib/expressions');
const { QuerySet } = require('./lib/queryset');

/** Opens (or reuses) the connection pool for one SQLite file. */
class NOORMME extends Database {}

module.exports = {
  NOORMME,
  Transaction,
  Q: expressions.Q,
  F: expressions.F,
  Value: (value) => new expressions.ValueExpr(value),
  Count: expressions.Count,
  Sum: expressions.Sum,
  Avg: expressions.Avg,
  Min: expressions.Min,
  Max: expressions.Max,
  Coalesce: expressions.Coalesce,
  Lower: expressions.Lower,
  Upper: expressions.Upper,
  Length: expressions.Length,
  Concat: expressions.Concat,
  Now: expressions.Now,
  Cast: expressions.Cast,
  QuerySet,
  Prefetch: require('./lib/prefetch').Prefetch,
  NPlusOneError: require('./lib/nplusone').NPlusOneError,
  NoormmeError: errors.NoormmeError,
  SqliteError: errors.SqliteError,
  BusyError: errors.BusyError,
  ConnectionError: errors.ConnectionError,
  ModelNotFoundError: errors.ModelNotFoundError,
  FieldError: errors.FieldError,
  ReadOnlyModelError: errors.ReadOnlyModelError,
  DoesNotExist: errors.DoesNotExist,
  MultipleObjectsReturned: errors.MultipleObjectsReturned,
};
