'use strict';
// Models: one per discovered table or view, found by name, carrying the
// column policies. Rows stay plain objects; a model only knows how to read
// and write them.

const { FieldError, ReadOnlyModelError, ModelNotFoundError } = require('./errors');
const { decoderFor, encoderFor } = require('./policies');
const { closest, didYouMean } = require('./suggest');

class Model {
  constructor(db, table) {
    this.db = db;
    this.name = table.name;
    this.meta = table;
    this.fields = table.columns.map((c) => c.name);
    this.relations = table.relations.map((r) => r.name);
    this.identity = table.identity;
    this.columns = new Map(table.columns.map((c) => [c.name, c]));
    this.decoders = [];
    this.encoders = new Map();
    for (const column of table.columns) {
      const decode = decoderFor(column);
      if (decode) this.decoders.push([column.name, decode]);
      const encode = encoderFor(column);
      if (encode) this.encoders.set(column.name, encode);
    }
    this.objects = new Manager(this);
  }

  /** Applies the column policies to a row read from this table (in place). */
  decodeRow(row) {
    for (const [name, decode] of this.decoders) {
      if (name in row) row[name] = decode(row[name]);
    }
    return row;
  }

  /** The field's column, or a FieldError naming the nearest one. */
  field(name) {
    const column = this.columns.get(name);
    if (column) return column;
    const suggestion = closest(name, this.fields);
    throw new FieldError(
      `${this.name} has no field '${name}'.${suggestion ? ` Did you mean '${suggestion}'?` : ''} Fields: ${this.fields.join(', ')}`,
      { model: this.name, field: name, suggestion, available: this.fields },
    );
  }

  /** The value to bind for `value` in `name`, in the column's storage format. */
  encodeValue(name, value) {
    this.field(name);
    const encode = this.encoders.get(name);
    return encode ? encode(value) : value;
  }

  /** Checks that rows of this model can be written, and this field with them. */
  assertWritable(fieldName) {
    if (!this.meta.writable) {
      const why = this.meta.kind === 'view' ? 'is a view' : 'has neither a primary key nor a rowid';
      throw new ReadOnlyModelError(`${this.name} ${why}: its rows cannot be written through a model. Use db.execute() with your own SQL.`);
    }
    if (fieldName !== undefined && this.field(fieldName).readOnly) {
      throw new ReadOnlyModelError(`${this.name}.${fieldName} is a generated column: SQLite computes it, it cannot be written.`);
    }
  }

  toJSON() {
    return { model: this.name };
  }
}

/** `Model.objects`: the entry point for queries (QuerySets build on it). */
class Manager {
  constructor(model) {
    this.model = model;
  }

  /** Runs your SQL and returns rows with this model's value policies applied (Django's Manager.raw). */
  async raw(sql, params) {
    const rows = await this.model.db.query(sql, params);
    for (const row of rows) this.model.decodeRow(row);
    return rows;
  }
}

/** Finds a table by its exact name, else by a unique case-insensitive match. */
function resolveTable(schema, name) {
  if (typeof name !== 'string') {
    throw new ModelNotFoundError(`db.model() takes a table name, got ${typeof name}`, { name, available: [] });
  }
  const exact = schema.tables.find((t) => t.name === name);
  if (exact) return exact;
  const folded = schema.tables.filter((t) => t.name.toLowerCase() === name.toLowerCase());
  if (folded.length === 1) return folded[0];
  const available = schema.tables.map((t) => t.name);
  const suggestion = folded.length > 1 ? undefined : closest(name, available);
  const why = folded.length > 1 ? ` Several tables match ignoring case (${folded.map((t) => t.name).join(', ')}): use the exact name.` : didYouMean(name, available);
  throw new ModelNotFoundError(`The database has no table or view '${name}'.${why} Tables: ${available.join(', ')}`, {
    name,
    suggestion,
    available,
  });
}

module.exports = { Model, Manager, resolveTable };
