'use strict';
// Related managers: `Post.related(postId, 'tags')` — a QuerySet of one
// parent's related rows, plus writes: add/remove/set/clear for many-to-many
// (junction rows in one transaction, duplicates ignored) and create for
// reverse foreign keys (the key is set for you).

const { NoormmeError } = require('./errors');

function parentValues(model, rel, key) {
  const identity = model.identity ?? [];
  if (key !== null && typeof key === 'object' && !(key instanceof Date) && !Buffer.isBuffer(key)) {
    const missing = rel.columns.filter((c) => !(c in key));
    if (missing.length === 0) return { values: rel.columns.map((c) => key[c]) };
    const byIdentity = identity.every((c) => c in key);
    if (!byIdentity) throw new NoormmeError(`${model.name}.related(): the parent needs ${[...new Set([...rel.columns, ...identity])].join(', ')}`, { code: 'INVALID_ARGUMENT' });
    return { lookup: Object.fromEntries(identity.map((c) => [c, key[c]])) };
  }
  if (identity.length !== 1) throw new NoormmeError(`${model.name} has a composite key: pass the parent as an object`, { code: 'INVALID_ARGUMENT' });
  if (rel.columns.length === 1 && rel.columns[0] === identity[0]) return { values: [key] };
  return { lookup: { [identity[0]]: key } };
}

class RelatedManager {
  constructor(model, key, rel) {
    if (!['reverse', 'reverse_one_to_one', 'many_to_many'].includes(rel.kind)) {
      throw new NoormmeError(
        `${model.name}.${rel.name} points at a single row: load it with selectRelated('${rel.name}') or prefetch('${rel.name}')`,
        { code: 'INVALID_ARGUMENT' },
      );
    }
    this.model = model;
    this.rel = rel;
    this.db = model.db;
    this.target = model.db.model(rel.target);
    this.parent = parentValues(model, rel, key);
  }

  /** The parent's values for the relation's columns (read from the parent row when needed). */
  async values() {
    if (this.parent.values) return this.parent.values;
    const row = await this.model.objects.get(this.parent.lookup);
    return this.rel.columns.map((c) => row[c]);
  }

  /** `{ qs }`: the related QuerySet, boxed because awaiting a QuerySet runs it. */
  async build() {
    const values = await this.values();
    if (this.rel.kind === 'many_to_many') {
      const { through } = this.rel;
      const junction = this.db.model(through.table);
      const links = await junction.objects.filter(Object.fromEntries(through.sourceColumns.map((c, i) => [c, values[i]]))).values(...through.targetColumns);
      if (this.rel.targetColumns.length !== 1) throw new NoormmeError('many-to-many through composite keys is not supported by related managers yet', { code: 'NOT_SUPPORTED' });
      return { qs: this.target.objects.filter({ [`${this.rel.targetColumns[0]}__in`]: links.map((l) => l[through.targetColumns[0]]) }) };
    }
    return { qs: this.target.objects.filter(Object.fromEntries(this.rel.targetColumns.map((c, i) => [c, values[i]]))) };
  }

  async all() {
    return (await this.build()).qs.all();
  }

  /** Rows of the relation matching `conditions`. */
  async filter(...conditions) {
    return (await this.build()).qs.filter(...conditions);
  }

  async count() {
    return (await this.build()).qs.count();
  }

  async exists() {
    return (await this.build()).qs.exists();
  }

  /** Reverse foreign key: creates a related row with its key pointing at the parent. */
  async create(data) {
    if (this.rel.kind === 'many_to_many') {
      return this.db.transaction(async () => {
        const row = await this.target.objects.create(data);
        await this.add(row);
        return row;
      });
    }
    const values = await this.values();
    return this.target.objects.create({ ...data, ...Object.fromEntries(this.rel.targetColumns.map((c, i) => [c, values[i]])) });
  }

  targetKeys(items) {
    const col = this.rel.targetColumns[0];
    return items.flat().map((item) => (item !== null && typeof item === 'object' && !(item instanceof Date) ? item[col] : item));
  }

  junction() {
    if (this.rel.kind !== 'many_to_many') {
      throw new NoormmeError(`add/remove/set/clear are for many-to-many relations; ${this.model.name}.${this.rel.name} is a ${this.rel.kind.replace(/_/g, ' ')} relation`, {
        code: 'INVALID_ARGUMENT',
      });
    }
    return this.db.model(this.rel.through.table);
  }

  async sourceFilter() {
    const values = await this.values();
    return Object.fromEntries(this.rel.through.sourceColumns.map((c, i) => [c, values[i]]));
  }

  /** Links the parent to these rows or keys; links that exist already are left alone. */
  async add(...items) {
    const junction = this.junction();
    const keys = [...new Set(this.targetKeys(items))];
    const source = await this.sourceFilter();
    const targetColumn = this.rel.through.targetColumns[0];
    return this.db.transaction(async () => {
      const existing = new Set((await junction.objects.filter(source).filter({ [`${targetColumn}__in`]: keys }).valuesList(targetColumn, { flat: true })));
      const missing = keys.filter((k) => !existing.has(k));
      for (const k of missing) await junction.objects.create({ ...source, [targetColumn]: k });
      return missing.length;
    });
  }

  /** Unlinks the parent from these rows or keys; returns how many links were removed. */
  async remove(...items) {
    const junction = this.junction();
    const keys = this.targetKeys(items);
    return junction.objects.filter(await this.sourceFilter()).filter({ [`${this.rel.through.targetColumns[0]}__in`]: keys }).delete();
  }

  /** Makes the parent's links exactly these rows or keys. */
  async set(items) {
    const junction = this.junction();
    const keys = [...new Set(this.targetKeys([items]))];
    const source = await this.sourceFilter();
    const targetColumn = this.rel.through.targetColumns[0];
    return this.db.transaction(async () => {
      await junction.objects.filter(source).exclude({ [`${targetColumn}__in`]: keys }).delete();
      await this.add(keys);
    });
  }

  /** Removes every link of the parent. */
  async clear() {
    const junction = this.junction();
    return junction.objects.filter(await this.sourceFilter()).delete();
  }
}

module.exports = { RelatedManager };
