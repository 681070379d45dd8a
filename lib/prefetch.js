'use strict';
// Relation loading: selectRelated() nests the joined columns the compiler
// selected as `path__column`; prefetch() loads any relation with one extra
// query per level (`key IN (...)`, chunked) and attaches the results. Rows
// stay plain objects: no lazy loading, no class instances.

const { NoormmeError, FieldError, checkOptionKeys } = require('./errors');
const { closest } = require('./suggest');

// Keys per IN (...) query: well under SQLite's variable limit, and a handful
// of shapes so the compiled statements are reused.
const CHUNK = 500;

/** `Prefetch('comments', { queryset, toAttr })`: a customised prefetch. */
class Prefetch {
  constructor(lookup, options) {
    const { queryset = null, toAttr = null } = checkOptionKeys('Prefetch()', options, ['queryset', 'toAttr']);
    if (typeof lookup !== 'string' || lookup === '') throw new NoormmeError('Prefetch() takes a relation path', { code: 'INVALID_QUERY' });
    this.lookup = lookup;
    this.queryset = queryset;
    this.toAttr = toAttr;
  }
}

function relationOf(model, name) {
  const rel = model.meta.relations.find((r) => r.name === name);
  if (rel) return rel;
  const names = model.meta.relations.map((r) => r.name);
  const suggestion = closest(name, names);
  throw new FieldError(
    `${model.name} has no relation '${name}'.${suggestion ? ` Did you mean '${suggestion}'?` : ''} Relations: ${names.join(', ') || '(none)'}`,
    { model: model.name, field: name, suggestion, available: names },
  );
}

/** The relation path's target models, checked: [[relation, model], ...]. */
function walk(db, model, path) {
  const out = [];
  let current = model;
  for (const part of path.split('__')) {
    const rel = relationOf(current, part);
    current = db.model(rel.target);
    out.push([rel, current]);
  }
  return out;
}

/** A Map key for one or more column values (composite keys included). */
function keyOf(row, columns) {
  if (columns.length === 1) {
    const v = row[columns[0]];
    return v instanceof Date ? v.getTime() : v;
  }
  const parts = columns.map((c) => {
    const v = row[c];
    return v instanceof Date ? v.getTime() : typeof v === 'bigint' ? `${v}n` : v;
  });
  return parts.some((p) => p === null || p === undefined) ? null : JSON.stringify(parts);
}

/** Builds nested objects for selectRelated paths, in place of their `path__column` keys. */
function nestSelected(db, model, rows, paths) {
  if (rows.length === 0) return rows;
  const plans = paths
    .map((path) => {
      const steps = walk(db, model, path);
      const [, target] = steps[steps.length - 1];
      const identity = target.identity ?? target.fields;
      return { path, parts: path.split('__'), target, identity };
    })
    .sort((a, b) => a.parts.length - b.parts.length);
  const rootFields = model.fields;
  return rows.map((row) => {
    const out = {};
    // only()/defer() rows carry some fields: the others stay absent.
    for (const f of rootFields) if (f in row) out[f] = row[f];
    for (const key of Object.keys(row)) if (!(key in out) && !plans.some((p) => key.startsWith(`${p.path}__`))) out[key] = row[key];
    for (const plan of plans) {
      let parent = out;
      for (const part of plan.parts.slice(0, -1)) parent = parent === null ? null : parent[part];
      if (parent === null || parent === undefined) continue;
      const obj = {};
      for (const f of plan.target.fields) obj[f] = row[`${plan.path}__${f}`];
      // A LEFT JOIN that found nothing fills every column with NULL.
      parent[plan.parts[plan.parts.length - 1]] = plan.identity.every((k) => obj[k] === null || obj[k] === undefined) ? null : obj;
    }
    return out;
  });
}

function chunks(list) {
  const out = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

/** Rows of `model` whose `columns` take one of `keys` (single or composite), via `base` (a QuerySet). */
async function rowsWhere(base, columns, keyRows) {
  const out = [];
  if (columns.length === 1) {
    const values = [...new Set(keyRows.map((r) => r[0]))];
    for (const chunk of chunks(values)) out.push(...(await base.filter({ [`${columns[0]}__in`]: chunk })));
    return out;
  }
  const { Q } = require('./expressions');
  for (const chunk of chunks(keyRows)) {
    const conditions = chunk.map((values) => Object.fromEntries(columns.map((c, i) => [c, values[i]])));
    out.push(...(await base.filter(Q.or(...conditions))));
  }
  return out;
}

/**
 * Loads `lookups` (strings or Prefetch) for `rows` of `model` and attaches
 * them. Paths sharing a prefix load it once.
 */
async function prefetchRelated(db, model, rows, lookups) {
  if (rows.length === 0 || lookups.length === 0) return;
  const byFirst = new Map();
  for (const lookup of lookups) {
    const item = lookup instanceof Prefetch ? lookup : new Prefetch(lookup);
    const [first, ...rest] = item.lookup.split('__');
    relationOf(model, first);
    // A Prefetch with its own attribute is loaded on its own; plain paths
    // through the same relation share one load.
    const group = rest.length === 0 && item.toAttr ? `${first}\u0000${item.toAttr}` : first;
    if (!byFirst.has(group)) byFirst.set(group, { name: first, own: null, nested: [] });
    const entry = byFirst.get(group);
    if (rest.length === 0) entry.own = item;
    else entry.nested.push(new Prefetch(rest.join('__'), { queryset: item.queryset, toAttr: item.toAttr }));
  }
  for (const { name, own, nested } of byFirst.values()) {
    const rel = relationOf(model, name);
    const target = db.model(rel.target);
    // A queryset narrowed by only()/defer() still loads the columns this
    // relation groups by and those the nested lookups follow.
    const base = (own && own.queryset ? own.queryset : target.objects.all()).including([...rel.targetColumns, ...columnsFor(target, nested)]);
    const attr = own && own.toAttr ? own.toAttr : rel.name;
    const related = await loadRelation(db, rel, target, base, rows, attr);
    await prefetchRelated(db, target, related, nested);
  }
}

/** The columns of `model` rows that `lookups` (paths or Prefetch) follow from them. */
function columnsFor(model, lookups) {
  const columns = new Set();
  for (const lookup of lookups) {
    const path = lookup instanceof Prefetch ? lookup.lookup : lookup;
    for (const c of relationOf(model, path.split('__')[0]).columns) columns.add(c);
  }
  return [...columns];
}

/** Loads one relation for `rows`, attaches it as `attr`, returns the distinct related rows. */
async function loadRelation(db, rel, target, sliced, rows, attr) {
  // A slice in a Prefetch queryset applies per parent ("the 3 latest comments
  // of each post"): load unsliced, then cut each parent's list.
  const { start, end } = sliced.state;
  const base = start > 0 || end !== null ? sliced.clone({ start: 0, end: null }) : sliced;
  const cut = (list) => (start > 0 || end !== null ? list.slice(start, end === null ? undefined : end) : list);
  const parentKeys = [];
  const seen = new Set();
  for (const row of rows) {
    const k = keyOf(row, rel.columns);
    if (k === null || k === undefined || seen.has(k)) continue;
    seen.add(k);
    parentKeys.push(rel.columns.map((c) => row[c]));
  }
  if (rel.kind === 'many_to_many') {
    const junction = db.model(rel.through.table);
    const links = parentKeys.length ? await rowsWhere(junction.objects.all(), rel.through.sourceColumns, parentKeys) : [];
    const targetKeys = links.map((l) => rel.through.targetColumns.map((c) => l[c]));
    const found = targetKeys.length ? await rowsWhere(base, rel.targetColumns, targetKeys) : [];
    const byKey = new Map(found.map((r) => [keyOf(r, rel.targetColumns), r]));
    const groups = new Map();
    for (const link of links) {
      const target = byKey.get(keyOf(link, rel.through.targetColumns));
      if (!target) continue;
      const parent = keyOf(link, rel.through.sourceColumns);
      if (!groups.has(parent)) groups.set(parent, []);
      groups.get(parent).push(target);
    }
    // Keep the related queryset's order within each parent.
    const order = new Map(found.map((r, i) => [r, i]));
    for (const row of rows) row[attr] = cut((groups.get(keyOf(row, rel.columns)) ?? []).sort((a, b) => order.get(a) - order.get(b)));
    return found;
  }
  const found = parentKeys.length ? await rowsWhere(base, rel.targetColumns, parentKeys) : [];
  if (rel.many || rel.kind === 'reverse_one_to_one') {
    const groups = new Map();
    for (const r of found) {
      const k = keyOf(r, rel.targetColumns);
      if (!groups.has(k)) groups.set(k, []);
      groups.get(k).push(r);
    }
    for (const row of rows) {
      const list = groups.get(keyOf(row, rel.columns)) ?? [];
      row[attr] = rel.many ? cut(list) : (list[0] ?? null);
    }
  } else {
    const byKey = new Map(found.map((r) => [keyOf(r, rel.targetColumns), r]));
    for (const row of rows) row[attr] = byKey.get(keyOf(row, rel.columns)) ?? null;
  }
  return found;
}

module.exports = { Prefetch, prefetchRelated, nestSelected, walk, columnsFor };
