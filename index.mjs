// ESM entry: the same objects as the CommonJS entry.
import cjs from './index.js';

export const {
  NOORMME,
  Transaction,
  NoormmeError,
  SqliteError,
  BusyError,
  ConnectionError,
  ModelNotFoundError,
  FieldError,
  ReadOnlyModelError,
} = cjs;
export default cjs;
