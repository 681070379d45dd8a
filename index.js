'use strict';
// NOORMME: Django's ORM for SQLite in Node.js. This file is the package entry:
// it loads the native core (through the napi-rs loader in native.js) and
// exports the public API.

const { Database, Transaction } = require('./lib/database');
const errors = require('./lib/errors');
const { Q, F, ValueExpr } = require('./lib/expressions');
const { QuerySet } = require('./lib/queryset');

/** Opens (or reuses) the connection pool for one SQLite file. */
class NOORMME extends Database {}

module.exports = {
  NOORMME,
  Transaction,
  Q,
  F,
  Value: (value) => new ValueExpr(value),
  QuerySet,
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
