// ESM entry: the same objects as the CommonJS entry.
import cjs from './index.js';

export const {
  NOORMME,
  Transaction,
  Q,
  F,
  Value,
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
  QuerySet,
  Prefetch,
  NoormmeError,
  SqliteError,
  BusyError,
  ConnectionError,
  ModelNotFoundError,
  FieldError,
  ReadOnlyModelError,
  DoesNotExist,
  MultipleObjectsReturned,
} = cjs;
export default cjs;
