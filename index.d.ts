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
  /** How long writes must stay quiet (ms) before the WAL is truncated. Default 2000. */
  checkpointIntervalMs?: number;
  /** How many statements the pool keeps registered, least recently used dropped first: 16 to 100,000, default 2,000. */
  statementCacheSize?: number;
  /** Refuse a path where no file exists (ConnectionError) instead of creating an empty database there. */
  fileMustExist?: boolean;
  /** The N+1 guard: 'warn' (default outside production), 'throw' (for tests) or false. */
  nPlusOne?: 'warn' | 'throw' | false;
}

export interface PoolInfo {
  path: string;
  journalMode: string;
  wal: boolean;
  readers: number;
  readonly: boolean;
  fallbackReason?: string;
  sqliteVersion: string;
  /** Statements the pool keeps registered natively, and the bound (`statementCacheSize`; least recently used dropped first). */
  statementsRegistered: number;
  statementCacheSize: number;
  /** Statements the JS layer keeps for this pool (at most `statementCacheSize`). */
  statementsCached: number;
  /** Compiled shapes and checked chain steps kept by this handle's models (at most 1,000 per model in each of three caches). */
  compiledCached: number;
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
  /** The model, its queries joining this transaction. */
  model<N extends TableName>(name: N): Model<TypesOf<N>>;
}

// ---------------------------------------------------------------------------
// Schema and models

/**
 * Table name → its types. Empty until `noormme generate-types` writes a
 * declaration file that augments it; until then models are loosely typed.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface NoormmeTables {}

export interface TableTypes {
  row: object;
  insert: object;
  relations: Record<string, { target: string; many: boolean }>;
  writable: boolean;
}

export interface GenericTable {
  row: Row;
  insert: Record<string, BindValue>;
  relations: Record<string, { target: string; many: boolean }>;
  writable: boolean;
}

type KnownTable = keyof NoormmeTables & string;
/** The table names `db.model()` accepts: the generated ones, or any string before generation. */
export type TableName = [KnownTable] extends [never] ? string : KnownTable;
export type TypesOf<N extends string> = N extends KnownTable
  ? NoormmeTables[N] extends TableTypes
    ? NoormmeTables[N]
    : GenericTable
  : GenericTable;

export type Lookup =
  | 'exact'
  | 'iexact'
  | 'contains'
  | 'icontains'
  | 'in'
  | 'gt'
  | 'gte'
  | 'lt'
  | 'lte'
  | 'startswith'
  | 'istartswith'
  | 'endswith'
  | 'iendswith'
  | 'range'
  | 'isnull'
  | 'regex'
  | 'iregex';
export type DateTransform = 'date' | 'year' | 'month' | 'day' | 'week' | 'week_day' | 'iso_week_day' | 'quarter' | 'hour' | 'minute' | 'second';

type TextLookup = 'iexact' | 'contains' | 'icontains' | 'startswith' | 'istartswith' | 'endswith' | 'iendswith' | 'regex' | 'iregex';
type LookupValue<V, L extends string> = L extends 'in'
  ? readonly (V | null)[] | QuerySet<any, any>
  : L extends 'isnull'
    ? boolean
    : L extends 'range'
      ? readonly [V, V]
      : L extends TextLookup
        ? string
        : V | null;

type Fields<T extends TableTypes> = keyof T['row'] & string;
type DateFields<T extends TableTypes> = { [K in Fields<T>]: NonNullable<T['row'][K]> extends Date ? K : never }[Fields<T>];
type RelationNames<T extends TableTypes> = keyof T['relations'] & string;

/**
 * The keys and values `filter()`/`exclude()` accept: a field (`email`), a field
 * and a lookup (`email__endswith`), a date transform (`created__year__gte`),
 * or a path through a relation (`author__email`, checked from the first hop).
 */
export type Filter<T extends TableTypes = GenericTable> = string extends Fields<T> ? UntypedFilter : TypedFilter<T>;
/** Before `noormme generate-types`, keys and values are checked at run time only. */
type UntypedFilter = Record<string, unknown>;
type TypedFilter<T extends TableTypes> = {
  [K in Fields<T>]?: T['row'][K] | null;
} & {
  [P in `${Fields<T>}__${Lookup}`]?: P extends `${infer F}__${infer L}` ? (F extends keyof T['row'] ? LookupValue<NonNullable<T['row'][F]>, L> : never) : never;
} & {
  [P in `${DateFields<T>}__${DateTransform}` | `${DateFields<T>}__${DateTransform}__${Lookup}`]?: unknown;
} & {
  [P in `${RelationNames<T>}__${string}` | RelationNames<T>]?: unknown;
};

export interface ColumnSchema {
  name: string;
  declaredType: string;
  affinity: 'INTEGER' | 'TEXT' | 'BLOB' | 'REAL' | 'NUMERIC';
  notNull: boolean;
  default: string | null;
  /** 1-based position in the primary key; 0 when not part of it. */
  primaryKey: number;
  rowidAlias: boolean;
  generated: 'virtual' | 'stored' | null;
  hidden: boolean;
  unique: boolean;
  readOnly: boolean;
  optionalOnInsert: boolean;
  policy: 'integer' | 'real' | 'text' | 'blob' | 'any' | 'numeric' | 'boolean' | 'date' | 'datetime' | 'json' | 'decimal';
  storage: DateStorage | null;
  decimalAsString: boolean;
  jsType: string;
  /** Why sampling overruled the declared type, when it did. */
  note: string | null;
}

export type DateStorage =
  | { kind: 'date' }
  | { kind: 'iso'; separator: ' ' | 'T'; seconds: boolean; fraction: number | null; zone: string }
  | { kind: 'unix' }
  | { kind: 'unix_ms' }
  | { kind: 'julian' };

export interface RelationSchema {
  name: string;
  kind: 'foreign_key' | 'one_to_one' | 'reverse' | 'reverse_one_to_one' | 'many_to_many';
  many: boolean;
  target: string;
  columns: string[];
  targetColumns: string[];
  through: { table: string; sourceColumns: string[]; targetColumns: string[] } | null;
  nullable: boolean;
  relatedName: string;
}

export interface TableSchema {
  name: string;
  kind: 'table' | 'view' | 'virtual';
  module: string | null;
  strict: boolean;
  withoutRowid: boolean;
  hasRowid: boolean;
  autoincrement: boolean;
  writable: boolean;
  primaryKey: string[];
  /** How a row is addressed: the primary key, ['rowid'], or null (views, keyless WITHOUT ROWID). */
  identity: string[] | null;
  columns: ColumnSchema[];
  foreignKeys: { columns: string[]; target: string; targetColumns: string[]; onUpdate: string; onDelete: string }[];
  indexes: { name: string; unique: boolean; partial: boolean; origin: string; columns: (string | null)[] }[];
  uniqueTogether: string[][];
  checks: string[];
  relations: RelationSchema[];
}

export interface SchemaJson {
  tables: TableSchema[];
}

/** A condition tree: `Q({ a: 1 })`, `Q.or(a, b)`, `Q.and(a, b)`, `Q.xor(a, b)`, `Q.not(a)`. */
export declare class QNode {
  private readonly connector: string;
  and(other: QNode | object): QNode;
  or(other: QNode | object): QNode;
  xor(other: QNode | object): QNode;
  not(): QNode;
}
export declare const Q: {
  (conditions: object): QNode;
  and(...items: (QNode | object)[]): QNode;
  or(...items: (QNode | object)[]): QNode;
  xor(...items: (QNode | object)[]): QNode;
  not(item: QNode | object): QNode;
};

/** A reference to a field (`F('likes')`, `F('author__name')`), with arithmetic. */
export declare class FieldRef {
  private readonly node: unknown;
  add(value: number | FieldRef): FieldRef;
  sub(value: number | FieldRef): FieldRef;
  mul(value: number | FieldRef): FieldRef;
  div(value: number | FieldRef): FieldRef;
  mod(value: number | FieldRef): FieldRef;
  /** For orderBy(): ascending (the default). */
  asc(options?: NullsOrder): OrderExpression;
  /** For orderBy(): descending. */
  desc(options?: NullsOrder): OrderExpression;
}
export declare function F(path: string): FieldRef;
/** A literal where an expression is expected. */
export declare function Value(value: BindValue): ValueNode;
export declare class ValueNode {
  private readonly value: unknown;
}

/** An aggregate or function expression, usable in annotate(), aggregate(), filter values and orderBy through annotations. */
export declare class Expression<V = unknown> {
  private readonly __value?: V;
  asc(options?: NullsOrder): OrderExpression;
  desc(options?: NullsOrder): OrderExpression;
}
/** An expression with a direction, for orderBy(). */
export declare class OrderExpression {
  private readonly descending: boolean;
}
/** Where NULLs sort (Django's nulls_first / nulls_last); SQLite's default puts them lowest. */
export interface NullsOrder {
  nullsFirst?: boolean;
  nullsLast?: boolean;
}
type ExprArg = string | FieldRef | Expression | ValueNode;
export interface AggregateOptions {
  distinct?: boolean;
  /** Only rows matching this condition are aggregated (SQL FILTER). */
  filter?: object | QNode;
}
export interface DefaultedAggregateOptions<V> extends AggregateOptions {
  /** The value when no row is aggregated (Django's default), instead of null. */
  default?: V;
}
export declare function Count(field?: string | FieldRef, options?: AggregateOptions): Expression<number>;
export declare function Sum(field: string | FieldRef, options?: DefaultedAggregateOptions<number>): Expression<number | null>;
export declare function Avg(field: string | FieldRef, options?: DefaultedAggregateOptions<number>): Expression<number | null>;
export declare function Min<V = unknown>(field: string | FieldRef, options?: DefaultedAggregateOptions<V>): Expression<V | null>;
export declare function Max<V = unknown>(field: string | FieldRef, options?: DefaultedAggregateOptions<V>): Expression<V | null>;
export declare function Coalesce<V = unknown>(...args: ExprArg[]): Expression<V>;
export declare function Lower(arg: ExprArg): Expression<string | null>;
export declare function Upper(arg: ExprArg): Expression<string | null>;
export declare function Length(arg: ExprArg): Expression<number | null>;
export declare function Concat(...args: ExprArg[]): Expression<string>;
export declare function Now(): Expression<string>;
export declare function Cast<V = unknown>(arg: ExprArg, type: 'INTEGER' | 'REAL' | 'TEXT' | 'BLOB' | 'NUMERIC'): Expression<V>;
type ExprValue<E> = E extends Expression<infer V> ? V : unknown;

/** Field names to order by: `'name'`, `'-created'`, `'author__name'`, or `'?'` for random. */
export type OrderKey<T extends TableTypes = GenericTable> =
  | Fields<T>
  | `-${Fields<T>}`
  | `${RelationNames<T>}__${string}`
  | `-${RelationNames<T>}__${string}`
  | '?';

/** A table's types with annotations added to its row, so filters and values() accept them. */
type AnnotatedTable<T extends TableTypes, A> = {
  row: T['row'] & { [K in keyof A]: ExprValue<A[K]> };
  insert: T['insert'];
  relations: T['relations'];
  writable: T['writable'];
};

type Picked<T extends TableTypes, K extends string> = { [P in K]: P extends keyof T['row'] ? T['row'][P] : unknown };
type FieldPath<T extends TableTypes> = Fields<T> | `${RelationNames<T>}__${string}`;
type Condition<T extends TableTypes> = Filter<T> | QNode;
type UpdateValues<T extends TableTypes> = { [K in keyof T['insert']]?: T['insert'][K] | FieldRef };

type RelatedRow<T extends TableTypes, K extends keyof T['relations']> = T['relations'][K] extends { target: infer N; many: infer M }
  ? N extends string
    ? M extends true
      ? TypesOf<N>['row'][]
      : TypesOf<N>['row'] | null
    : unknown
  : unknown;

/** A customised prefetch: `Prefetch('comments', { queryset: Comment.objects.filter(...), toAttr: 'approved' })`. */
export declare class Prefetch {
  constructor(lookup: string, options?: { queryset?: QuerySet<any, any>; toAttr?: string });
  readonly lookup: string;
}

/** A lazy, immutable query: chain it, then await it (or call a terminal method). */
export interface QuerySet<T extends TableTypes = GenericTable, R = T['row']> extends PromiseLike<R[]>, AsyncIterable<R> {
  filter(...conditions: Condition<T>[]): QuerySet<T, R>;
  exclude(...conditions: Condition<T>[]): QuerySet<T, R>;
  orderBy(...fields: (OrderKey<T> | FieldRef | Expression | OrderExpression)[]): QuerySet<T, R>;
  reverse(): QuerySet<T, R>;
  distinct(): QuerySet<T, R>;
  /** Follows forward relations with JOINs: rows get nested objects (`post.author.email`, or null). */
  selectRelated<K extends RelationNames<T>>(...paths: (K | `${K}__${string}`)[]): QuerySet<T, R & { [P in K]: RelatedRow<T, P> }>;
  /** Loads relations of any kind with one extra query per level; arrays for to-many, object or null otherwise. */
  prefetch<K extends RelationNames<T>>(...lookups: (K | `${K}__${string}` | Prefetch)[]): QuerySet<T, R & { [P in K]: RelatedRow<T, P> }>;
  /** Adds computed fields to each row. */
  annotate<A extends Record<string, Expression | FieldRef | ValueNode>>(expressions: A): QuerySet<AnnotatedTable<T, A>, R & { [K in keyof A]: ExprValue<A[K]> }>;
  /** Computed fields usable in filter() and orderBy(), not selected. */
  alias<A extends Record<string, Expression | FieldRef | ValueNode>>(expressions: A): QuerySet<AnnotatedTable<T, A>, R>;
  /** Aggregates over the whole QuerySet: `aggregate({ total: Sum('Bytes') })`. */
  aggregate<A extends Record<string, Expression>>(expressions: A): Promise<{ [K in keyof A]: ExprValue<A[K]> }>;
  values<K extends FieldPath<T>>(...fields: K[]): QuerySet<T, Picked<T, K>>;
  valuesList<K extends FieldPath<T>>(fields: K | K[], options: { flat: true }): QuerySet<T, Picked<T, K>[K]>;
  valuesList<K extends FieldPath<T>>(fields: K[], options?: { flat?: false }): QuerySet<T, Picked<T, K>[K][]>;
  /** Rows with only these fields, plus the key. */
  only<K extends Fields<T>>(...fields: K[]): QuerySet<T, Pick<T['row'], K> & Partial<T['row']>>;
  /** Rows without these fields (the key always stays). */
  defer<K extends Fields<T>>(...fields: K[]): QuerySet<T, Omit<T['row'], K> & Partial<Pick<T['row'], K>>>;
  /** Rows [start, end), like a Python slice. */
  slice(start: number, end?: number | null): QuerySet<T, R>;
  /** At most `n` rows from the offset (SQL LIMIT; the last call wins). */
  limit(n: number): QuerySet<T, R>;
  /** Skip `n` rows, keeping the limit (SQL OFFSET; the last call wins): `limit(10).offset(20)` is rows 20–29. */
  offset(n: number): QuerySet<T, R>;
  none(): QuerySet<T, R>;
  all(): QuerySet<T, R>;
  first(): Promise<R | null>;
  last(): Promise<R | null>;
  /** Exactly one row, else DoesNotExist or MultipleObjectsReturned. */
  get(...conditions: Condition<T>[]): Promise<R>;
  count(): Promise<number>;
  exists(): Promise<boolean>;
  /** Updates the matching rows; returns how many changed. */
  update(values: UpdateValues<T>): Promise<number>;
  /** Deletes the matching rows; returns how many. */
  delete(): Promise<number>;
  latest(...fields: Fields<T>[]): Promise<R>;
  earliest(...fields: Fields<T>[]): Promise<R>;
  inBulk(ids: readonly BindValue[], options?: { fieldName?: Fields<T> }): Promise<Record<string, R>>;
  /** SQLite's query plan for this query. */
  explain(): Promise<string>;
  /** The SQL and parameters this query runs. */
  toSQL(): { sql: string; params: BindValue[] };
}

export interface Manager<T extends TableTypes = GenericTable> extends QuerySet<T> {
  /** Runs your SQL and applies this model's value policies to the rows (Django's Manager.raw). */
  raw(sql: string, params?: Params): Promise<T['row'][]>;
  /** Inserts a row and returns it as stored. */
  create(data: T['insert']): Promise<T['row']>;
  getOrCreate(lookup: Filter<T>, options?: { defaults?: Partial<T['insert']> }): Promise<[T['row'], boolean]>;
  updateOrCreate(lookup: Filter<T>, options?: { defaults?: Partial<T['insert']>; createDefaults?: Partial<T['insert']> }): Promise<[T['row'], boolean]>;
  /**
   * Inserts rows, many per statement, in one transaction. Returns each row as given plus the columns the
   * database filled (key, defaults), as Django does; with a conflict option, the rows as stored (skipped ones left out).
   */
  bulkCreate(rows: T['insert'][], options?: BulkCreateOptions<T>): Promise<T['row'][]>;
  /** Writes `fields` of each row, found by its key, in one transaction; resolves to how many rows matched. */
  bulkUpdate<K extends Fields<T>>(rows: (Partial<T['row']> & Pick<T['row'], K>)[], fields: K[]): Promise<number>;
}

export interface BulkCreateOptions<T extends TableTypes = GenericTable> {
  /** Rows per INSERT: 100 by default, at most what fits in SQLite's 32766 parameters. */
  batchSize?: number;
  /** Skip rows that violate a unique constraint (ON CONFLICT DO NOTHING). */
  ignoreConflicts?: boolean;
  /** On a conflict on `uniqueFields`, overwrite `updateFields` (an upsert). */
  updateConflicts?: boolean;
  uniqueFields?: Fields<T>[];
  updateFields?: Fields<T>[];
}

type RelationTarget<T extends TableTypes, K extends keyof T['relations']> = T['relations'][K] extends { target: infer N } ? (N extends string ? N : string) : string;

export interface RelatedManager<T extends TableTypes = GenericTable> {
  all(): Promise<T['row'][]>;
  filter(...conditions: Condition<T>[]): Promise<T['row'][]>;
  count(): Promise<number>;
  exists(): Promise<boolean>;
  /** Reverse foreign key: creates a row pointing at the parent. Many-to-many: creates and links it. */
  create(data: Partial<T['insert']>): Promise<T['row']>;
  /** Many-to-many: links rows or keys (existing links are left alone); resolves to how many were added. */
  add(...items: (BindValue | T['row'])[]): Promise<number>;
  remove(...items: (BindValue | T['row'])[]): Promise<number>;
  set(items: (BindValue | T['row'])[]): Promise<void>;
  clear(): Promise<number>;
}

export interface Model<T extends TableTypes = GenericTable> {
  readonly name: string;
  readonly meta: TableSchema;
  readonly fields: Fields<T>[];
  readonly relations: RelationNames<T>[];
  readonly identity: string[] | null;
  readonly objects: Manager<T>;
  /** Applies the value policies to a row read from this table. */
  decodeRow(row: Row): T['row'];
  /** One parent's related rows (reverse and many-to-many relations), with writes. */
  related<K extends RelationNames<T>>(key: BindValue | Record<string, BindValue>, relation: K): RelatedManager<TypesOf<RelationTarget<T, K>>>;
  /** The value to bind for a field, in its storage format (a Date becomes the column's date text...). */
  encodeValue<K extends Fields<T>>(field: K, value: T['row'][K]): BindValue;
  /** The parameters a request may filter and order these rows by; everything else in the request is ignored. */
  filterSet(options: FilterSetOptions<T>): FilterSet<T>;
}

/** What a filterSet field may list: a lookup, a date transform, or a transform and a lookup (`'year__gte'`). */
export type FilterLookup = Lookup | DateTransform | `${DateTransform}__${Lookup}`;

/** `model.filterSet(...)`'s declaration: only these parameters act on a request. */
export interface FilterSetOptions<T extends TableTypes = GenericTable> {
  /** Field (or relation path) → its lookups: `{ title: ['icontains'], author__name: ['exact'], created_at: ['year', 'gte'] }`. */
  fields: { [K in FieldPath<T> | RelationNames<T>]?: readonly FilterLookup[] };
  /** Fields the order parameter may sort by (`?o=-created_at,views`). */
  orderBy?: readonly FieldPath<T>[];
  /** The order parameter's name. Default 'o', as django-filter's OrderingFilter. */
  orderParam?: string;
  /** How many values one `in` parameter may carry. Default 100. */
  maxValues?: number;
}

/** Request parameters: URLSearchParams, FormData, a Next.js `searchParams` object (awaited), or a plain object. */
export type SearchParamsInput =
  | URLSearchParams
  | { getAll(name: string): unknown[] }
  | Readonly<Record<string, string | number | boolean | readonly (string | number | boolean)[] | undefined>>
  | null
  | undefined;

export interface FilterResult<T extends TableTypes = GenericTable, R = T['row']> {
  /** The filtered QuerySet; empty (none()) when `errors` has an entry. */
  qs: QuerySet<T, R>;
  /** A message per parameter whose value did not convert (e.g. `{ published: 'Enter true, false, 1 or 0.' }`). */
  errors: Record<string, string>;
  /** The converted values of the parameters that acted, by parameter name (the order parameter as a list). */
  data: Record<string, unknown>;
}

/** URL filters with an allowlist (django-filter's FilterSet). */
export interface FilterSet<T extends TableTypes = GenericTable> {
  /** The parameter names it reads, in the order it applies them. */
  readonly params: readonly string[];
  /** Filters `queryset` (default: every row) by the declared parameters `params` holds; ignores every other parameter. */
  apply<R = T['row']>(params: SearchParamsInput, queryset?: QuerySet<T, R>): FilterResult<T, R>;
}

export interface SchemaOptions {
  /** Rename discovered relations: `{ posts: { author_id: { name: 'writer', related: 'articles' } } }`. */
  relations?: Record<string, Record<string, { name?: string; related?: string }>>;
  /** Override value policies: `{ users: { joined: 'datetime' } }` or `{ policy: 'datetime', storage: 'unix' }`. */
  columns?: Record<string, Record<string, ColumnSchema['policy'] | 'decimal-string' | { policy: string; storage?: 'date' | 'iso' | 'iso-t' | 'unix' | 'unix_ms' | 'julian' }>>;
  /** Read DECIMAL/NUMERIC columns as strings instead of numbers. */
  decimalAsString?: boolean;
}

export declare class NOORMME implements Queryable {
  constructor(options: (NoormmeOptions & SchemaOptions) | string);
  /** The model of a table or view: the exact name, or the one table matching ignoring case. */
  model<N extends TableName>(name: N): Model<TypesOf<N>>;
  /** The discovered schema as plain JSON. */
  schema(): SchemaJson;
  /** Discovers the schema again after DDL. */
  refreshSchema(): SchemaJson;
  /** TypeScript declarations for this schema (what `noormme generate-types` writes). */
  generateTypes(): string;
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
  /** The model concerned, when there is one. */
  model?: string;
  /** The field or parameter concerned, when there is one. */
  field?: string;
  /** A short description of the offending value, when there is one. */
  value?: string;
}
export declare class SqliteError extends NoormmeError {
  /** SQLite's extended result code name, e.g. SQLITE_CONSTRAINT_UNIQUE. */
  code: string;
  rawCode: number;
  sql?: string;
}
export declare class BusyError extends SqliteError {}
export declare class ModelNotFoundError extends NoormmeError {
  model: string;
  suggestion?: string;
  available: string[];
}
export declare class FieldError extends NoormmeError {
  model: string;
  /** The field, relation path or lookup key asked for. */
  field: string;
  /** The nearest valid name, when one is close. */
  suggestion?: string;
  /** The valid names (`available` is the same list). */
  choices: string[];
  available: string[];
}
export declare class ReadOnlyModelError extends NoormmeError {}
export declare class DoesNotExist extends NoormmeError {}
export declare class NPlusOneError extends NoormmeError {}
export declare class MultipleObjectsReturned extends NoormmeError {}
export declare class ConnectionError extends NoormmeError {
  rawCode: number;
  /** Absolute path of the database file. */
  path: string;
}
