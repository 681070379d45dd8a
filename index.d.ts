/// <reference types="node" />

/** A value SQLite hands back: INTEGER beyond ±(2^53−1) arrives as bigint. */
export type SqlValue = number | bigint | string | Buffer | null;
/** A value that may be bound as a parameter. */
export type BindValue = number | bigint | string | boolean | Date | Buffer | Uint8Array | null;
export type Params = readonly BindValue[] | Readonly<Record<string, BindValue>>;
export type Row = Record<string, SqlValue>;

export interface WriteResult {
  changes: number;
  lastInsertRowid: number | bigint;
}

export interface QueryLogEvent {
  sql: string;
  params: readonly BindValue[];
  durationMs: number;
  /** Where it ran: on the JS thread, or on a reader or the writer thread. */
  where: 'inline' | 'reader' | 'writer';
}

export interface NoormmeOptions {
  /** Path to the SQLite file (created if missing), or ':memory:'. */
  database: string;
  /** Reader connections; default 2–4 by core count. */
  readers?: number;
  /** How long (ms) a write waits for another process's lock before BusyError. Default 5000. */
  busyTimeout?: number;
  /** PRAGMAs applied to every connection after the defaults. */
  pragmas?: Record<string, string | number | boolean>;
  /** Open read-only: writes are refused. */
  readonly?: boolean;
  /** Log every statement: `true` for console.debug, or a function. */
  log?: boolean | ((event: QueryLogEvent) => void);
  /** How long (ms) a read may run on the JS thread before moving to a reader. Default 4. */
  inlineBudgetMs?: number;
  /** Idle time (ms) after writes before the WAL is checkpointed. Default 2000. */
  checkpointIntervalMs?: number;
}

export interface PoolInfo {
  path: string;
  journalMode: string;
  wal: boolean;
  readers: number;
  readonly: boolean;
  fallbackReason?: string;
  sqliteVersion: string;
  statementsCached: number;
}

export interface Queryable {
  query<R extends Row = Row>(sql: string, params?: Params): Promise<R[]>;
  execute(sql: string, params?: Params): Promise<WriteResult>;
  sql<R extends Row = Row>(strings: TemplateStringsArray, ...values: BindValue[]): Promise<R[]>;
  transaction<T>(fn: (tx: Transaction) => Promise<T> | T): Promise<T>;
}

export declare class Transaction implements Queryable {
  private constructor();
  query<R extends Row = Row>(sql: string, params?: Params): Promise<R[]>;
  execute(sql: string, params?: Params): Promise<WriteResult>;
  sql<R extends Row = Row>(strings: TemplateStringsArray, ...values: BindValue[]): Promise<R[]>;
  /** A nested transaction (SAVEPOINT). */
  transaction<T>(fn: (tx: Transaction) => Promise<T> | T): Promise<T>;
}

export declare class NOORMME implements Queryable {
  constructor(options: NoormmeOptions | string);
  query<R extends Row = Row>(sql: string, params?: Params): Promise<R[]>;
  execute(sql: string, params?: Params): Promise<WriteResult>;
  sql<R extends Row = Row>(strings: TemplateStringsArray, ...values: BindValue[]): Promise<R[]>;
  /** Commits when `fn` resolves, rolls back when it throws; nested calls are savepoints. */
  transaction<T>(fn: (tx: Transaction) => Promise<T> | T): Promise<T>;
  /** Runs a script of several statements on the writer. */
  exec(script: string): Promise<void>;
  info(): PoolInfo;
  close(): void;
}

export declare class NoormmeError extends Error {
  code: string;
}
export declare class SqliteError extends NoormmeError {
  /** SQLite's extended result code name, e.g. SQLITE_CONSTRAINT_UNIQUE. */
  code: string;
  rawCode: number;
  sql?: string;
}
export declare class BusyError extends SqliteError {}
export declare class ConnectionError extends NoormmeError {
  rawCode: number;
  /** Absolute path of the database file. */
  path: string;
}
