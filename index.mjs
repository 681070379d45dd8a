// ESM entry: the same objects as the CommonJS entry.
import cjs from './index.js';

export const { NOORMME, Transaction, NoormmeError, SqliteError, BusyError, ConnectionError } = cjs;
export default cjs;
