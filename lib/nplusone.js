'use strict';
// The N+1 guard: in development, the same query shape running many times in
// a row (only the values changing) is the loop that should have been a
// prefetch. It warns once per query shape (naming the first call site that
// repeated it) with the fix, or throws when strict. After a shape has been
// warned about, its repeats cost no stack capture.

const path = require('node:path');
const { NoormmeError } = require('./errors');

const THRESHOLD = 10;
const MAX_WARNED = 1000;
const LIB_DIR = __dirname;

class NPlusOneError extends NoormmeError {
  constructor(message) {
    super(message, { code: 'N_PLUS_ONE' });
  }
}

/** The first stack frame outside NOORMME: where the loop is. */
function callSite() {
  const stack = new Error().stack.split('\n').slice(1);
  const frame = stack.find((l) => !l.includes(LIB_DIR) && !l.includes('node:internal') && !l.includes(`${path.sep}index.js`));
  return frame ? frame.trim().replace(/^at /, '') : 'unknown';
}

/**
 * The fix to suggest for a repeated lookup by `field` on `model`. Which rows
 * the loop walks is unknown here, so each relation that leads to `field` is
 * offered on the condition that the values come from its rows, and the
 * `__in` query always.
 */
function advice(db, model, field) {
  const ways = [];
  for (const table of db.catalog.tables) {
    for (const rel of table.relations) {
      if (rel.target !== model.name || rel.targetColumns.length !== 1 || rel.targetColumns[0] !== field) continue;
      const fix = rel.kind === 'reverse' || rel.kind === 'reverse_one_to_one' || rel.kind === 'many_to_many' ? `.prefetch('${rel.name}')` : `.selectRelated('${rel.name}') or .prefetch('${rel.name}')`;
      ways.push(`if the values come from ${table.name} rows, ${fix} on that ${table.name} query`);
      if (ways.length === 3) break;
    }
  }
  ways.push(`one query with ${field}__in: [...] instead of one per row`);
  return ways.join('; or ');
}

class NPlusOneGuard {
  constructor(mode) {
    this.mode = mode; // 'warn' | 'throw'
    this.lastKey = null;
    this.count = 0;
    this.warnedKeys = new Set();
  }

  /** Whether the next repeat may need a call site (taking one costs a stack capture). */
  nearThreshold() {
    return this.count >= THRESHOLD - 1 && !(this.mode === 'warn' && this.warnedKeys.has(this.lastKey));
  }

  /** Called before each SELECT a QuerySet or kept plan runs; `key` identifies its shape (a key string, or the kept plan itself). */
  observe(db, model, key, state) {
    if (key !== this.lastKey) {
      this.lastKey = key;
      this.count = 1;
      return;
    }
    this.count++;
    if (this.count < THRESHOLD) return;
    // Only per-row lookups count: one condition, an exact match on one field.
    const where = state.where;
    if (where.length !== 1 || where[0].kind !== 'filter') return;
    const leaves = where[0].q.children;
    if (leaves.length !== 1 || leaves[0].children || leaves[0].key === undefined) return;
    const field = leaves[0].key.replace(/__exact$/, '');
    if (field.includes('__')) return;
    if (this.mode === 'warn' && this.warnedKeys.has(key)) return;
    // Bounded: past this many shapes, warning about one again is the lesser harm.
    if (this.warnedKeys.size >= MAX_WARNED) this.warnedKeys.clear();
    this.warnedKeys.add(key);
    const site = where[0].site ?? callSite();
    const message =
      `N+1 queries: ${model.name} was queried ${this.count} times in a row by ${field}, once per row, at ${site}. ` +
      `Load them together with ${advice(db, model, field)}.`;
    if (this.mode === 'throw') {
      this.count = 0;
      throw new NPlusOneError(message);
    }
    process.emitWarning(message, { type: 'NoormmeNPlusOneWarning' });
  }
}

module.exports = { NPlusOneGuard, NPlusOneError, THRESHOLD, callSite };
