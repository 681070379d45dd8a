'use strict';
// Builds row objects from the compact encoding the native layer writes
// (see src/exec.rs): one f64 slot and one tag byte per cell, one string per
// row for text. A per-statement builder made with `new Function` creates every
// row as an object literal, so V8 gives all rows of a statement one shape.

const HEADER_SLOTS = 8;
const FLAG_TEXT = 1;
const FLAG_COLUMNS = 2;
const FLAG_BLOBS = 4;
const FLAG_BIG_ROWID = 8;
const FLAG_EXTERNAL = 16;

const TAG_NULL = 0;
const TAG_TEXT = 3;
const TAG_BLOB = 4;
const TAG_BIGINT = 5;

// Decoding state, set for the row being built. Safe as module state because
// decoding is synchronous on the JS thread.
let F = null; // Float64Array over the encoding
let U = null; // Uint8Array over the encoding
let tagStart = 0;
let line = '';
let pos = 0;
let blobs = null;

function cell(i) {
  const tag = U[tagStart + i];
  if (tag < TAG_TEXT) return tag === TAG_NULL ? null : F[HEADER_SLOTS + i];
  if (tag === TAG_TEXT) {
    const end = F[HEADER_SLOTS + i];
    const text = line.slice(pos, end);
    pos = end;
    return text;
  }
  if (tag === TAG_BLOB) return blobs[F[HEADER_SLOTS + i]];
  if (tag === TAG_BIGINT) {
    const end = F[HEADER_SLOTS + i];
    const digits = line.slice(pos, end);
    pos = end;
    return BigInt(digits);
  }
  throw new Error(`noormme: unknown cell tag ${tag}`);
}

function propertyKey(name) {
  // `__proto__: v` in a literal sets the prototype; a computed key defines an own property.
  return name === '__proto__' ? '["__proto__"]' : JSON.stringify(name);
}

/** Compiles the row builder for a list of column names. */
function makeRowBuilder(columns) {
  const props = columns.map((name, i) => `${propertyKey(name)}: c(b + ${i})`).join(',\n');
  // eslint-disable-next-line no-new-func
  return new Function('c', `return function buildRow(b) {\n return {${props}};\n};`)(cell);
}

function sameColumns(a, b) {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function updateColumns(stmt, columns) {
  if (!sameColumns(stmt.columns, columns)) {
    stmt.columns = columns;
    stmt.buildRow = makeRowBuilder(columns);
  }
}

function viewsOver(buffer) {
  if (buffer.byteOffset % 8 !== 0) buffer = Buffer.from(buffer);
  return [
    new Float64Array(buffer.buffer, buffer.byteOffset, buffer.byteLength >> 3),
    new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength),
  ];
}

/**
 * Decodes a result. `f`/`u` view the encoding, `texts` holds one string per
 * row (a lone string for one row, null when no cell is text), `extras` the
 * rest (or null).
 * Returns { rows, changes, lastInsertRowid }.
 */
function decode(stmt, f, u, texts, extras) {
  const flags = f[2];
  if (flags & FLAG_EXTERNAL) [f, u] = viewsOver(extras.buffer);
  if (flags & FLAG_COLUMNS || (extras && extras.columns)) updateColumns(stmt, extras.columns);
  const rowCount = f[0];
  const colCount = f[1];
  const result = {
    rows: null,
    changes: f[3],
    lastInsertRowid: flags & FLAG_BIG_ROWID ? BigInt(extras.rowid) : f[4],
    elapsedUs: f[5],
  };
  const rows = new Array(rowCount);
  if (rowCount > 0) {
    F = f;
    U = u;
    tagStart = (HEADER_SLOTS + rowCount * colCount) * 8;
    blobs = flags & FLAG_BLOBS ? extras.blobs : null;
    const build = stmt.buildRow;
    const hasText = (flags & FLAG_TEXT) !== 0;
    // A one-row result sends its text as a lone string, not an array.
    const single = typeof texts === 'string';
    for (let r = 0, base = 0; r < rowCount; r++, base += colCount) {
      line = hasText ? (single ? texts : texts[r]) : '';
      pos = 0;
      rows[r] = build(base);
    }
    F = U = blobs = null;
    line = '';
  }
  result.rows = rows;
  return result;
}

/** Decodes the object a worker-thread run resolves with. */
function decodeAsync(stmt, extras) {
  const [f, u] = viewsOver(extras.buffer);
  return decode(stmt, f, u, extras.texts, extras);
}

module.exports = { propertyKey, decode, decodeAsync, HEADER_SLOTS, FLAG_COLUMNS, FLAG_BLOBS, FLAG_BIG_ROWID, FLAG_EXTERNAL };
