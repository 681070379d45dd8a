'use strict';
// URL filters with an allowlist (django-filter's FilterSet): the declared
// `field__lookup` parameters of a request, converted from text through each
// column's value policy as Django's form fields do, become filter() calls;
// every other parameter is ignored. A value that does not convert makes the
// result empty, so bad input can only narrow what a page shows.

const { NoormmeError } = require('./errors');
const { CONVERTERS, BY_POLICY, ConversionError } = require('./policies');
const { closest } = require('./suggest');
const { isWellFormed } = require('./params');

// The lookups and transforms a declared name may end with. The compiler
// checks each declared name against the schema; these lists only decide how
// a parameter's text is converted.
const LOOKUPS = new Set(['exact', 'iexact', 'contains', 'icontains', 'in', 'gt', 'gte', 'lt', 'lte', 'startswith', 'istartswith', 'endswith', 'iendswith', 'range', 'isnull', 'regex', 'iregex']);
const TEXT_LOOKUPS = new Set(['iexact', 'contains', 'icontains', 'startswith', 'istartswith', 'endswith', 'iendswith', 'regex', 'iregex']);
// Date transforms yielding whole numbers (`created_at__year`); `date` yields a date.
const NUMBER_TRANSFORMS = new Set(['year', 'month', 'day', 'week', 'week_day', 'iso_week_day', 'quarter', 'hour', 'minute', 'second']);

const OPTIONS = ['fields', 'orderBy', 'orderParam', 'maxValues'];
const DEFAULT_MAX_VALUES = 100;

/** A mistake in a filterSet declaration: code, not input, so it throws. */
function optionError(message) {
  return new NoormmeError(message, { code: 'INVALID_OPTION' });
}

/**
 * One declared parameter: its name in the URL, the filter key it becomes, how
 * its text converts, and its lookup (`in` and `range` take several values).
 */
function declare(model, field, lookup) {
  if (typeof lookup !== 'string' || lookup === '') throw optionError(`filterSet(): fields.${field} lists lookups as non-empty strings`);
  const key = `${field}__${lookup}`;
  // The lookup string alone holds the transform: a field may be named `day`.
  const parts = lookup.split('__');
  const last = parts[parts.length - 1];
  const final = LOOKUPS.has(last) ? last : 'exact';
  const transform = parts.length > 1 || !LOOKUPS.has(last) ? parts[0] : null;
  // A probe value of the right shape: the compiler checks the whole key
  // (fields, relations, transforms, lookup) and says where the value binds.
  const probe = final === 'in' ? ['x'] : final === 'range' ? ['x', 'x'] : final === 'isnull' ? true : 'x';
  const qs = model.objects.filter({ [key]: probe });
  const binds = model.compile(qs.shape('select').shape).binds;
  let kind;
  if (final === 'isnull') kind = 'boolean';
  else if (TEXT_LOOKUPS.has(final)) kind = 'text';
  else if (transform === 'date') kind = 'dateText';
  else if (NUMBER_TRANSFORMS.has(transform)) kind = 'integer';
  else {
    const column = binds.length ? binds[0][1] : null;
    const meta = column === null ? null : model.db.model(column[0]).columns.get(column[1]);
    if (meta && meta.policy === 'json') {
      throw optionError(`filterSet(): ${key} compares a whole JSON value; filter through a key path instead (${field}__<key>)`);
    }
    kind = (meta && BY_POLICY[meta.policy]) ?? 'text';
  }
  // The parameter's name is the filter key it becomes: 'exact' is the plain field.
  return { name: lookup === 'exact' ? field : key, lookup: final, convert: CONVERTERS[kind], kind };
}

/** The texts a request holds for `name`: every value, in order (URLSearchParams, FormData, or a Next.js searchParams object). */
function valuesOf(params, name) {
  if (typeof params.getAll === 'function') return params.getAll(name);
  if (!Object.prototype.hasOwnProperty.call(params, name)) return [];
  const value = params[name];
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** A request value as text, or a ConversionError: a parsed JSON body may hold numbers and booleans, never objects. */
function asText(value) {
  if (typeof value === 'string') {
    // A JSON body can hold "\ud800"; binding it would throw later, as the page renders.
    if (!isWellFormed(value)) throw new ConversionError('Enter well-formed text (it holds a lone UTF-16 surrogate).');
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new ConversionError('Enter text, not a list or an object.');
}

/**
 * `model.filterSet({ fields, orderBy })`: the parameters a request may
 * filter and order a model's rows by. See FilterSet#apply.
 */
class FilterSet {
  /**
   * `fields`: `{ field_or_path: ['lookup', ...] }` ('exact' is the plain
   * name; 'year' or 'year__gte' go through a date transform); `orderBy`:
   * field paths the `orderParam` parameter ('o' by default, as
   * django-filter's OrderingFilter) may sort by, each also with '-';
   * `maxValues`: how many values an `in` parameter may carry (100).
   * Throws INVALID_OPTION for a malformed or unknown option, and the
   * compiler's FieldError for a field, relation or lookup that does not
   * exist: declarations are code, checked once.
   */
  constructor(model, options) {
    if (options === null || typeof options !== 'object' || Array.isArray(options)) throw optionError('filterSet() takes { fields, orderBy?, orderParam?, maxValues? }');
    for (const name of Object.keys(options)) {
      if (!OPTIONS.includes(name)) {
        const suggestion = closest(name, OPTIONS);
        throw optionError(`filterSet(): unknown option '${name}'.${suggestion ? ` Did you mean '${suggestion}'?` : ''} Options: ${OPTIONS.join(', ')}`);
      }
    }
    const { fields, orderBy = [], orderParam = 'o', maxValues = DEFAULT_MAX_VALUES } = options;
    if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) throw optionError('filterSet(): fields is { field: [lookups] }');
    if (!Array.isArray(orderBy) || orderBy.some((f) => typeof f !== 'string' || f === '' || f.startsWith('-'))) {
      throw optionError("filterSet(): orderBy lists field paths ('created_at', 'author__name'); '-' is the request's choice");
    }
    if (typeof orderParam !== 'string' || orderParam === '') throw optionError('filterSet(): orderParam is a parameter name');
    if (!Number.isSafeInteger(maxValues) || maxValues < 1) throw optionError('filterSet(): maxValues is a positive whole number');
    this.model = model;
    this.declared = [];
    for (const [field, lookups] of Object.entries(fields)) {
      if (!Array.isArray(lookups) || lookups.length === 0) throw optionError(`filterSet(): fields.${field} lists its lookups: ['exact', 'icontains', ...]`);
      for (const lookup of new Set(lookups)) this.declared.push(declare(model, field, lookup));
    }
    const names = this.declared.map((d) => d.name);
    if (names.includes(orderParam)) throw optionError(`filterSet(): orderParam '${orderParam}' is also a filter parameter`);
    for (const field of orderBy) model.objects.orderBy(field);
    this.orderBy = [...new Set(orderBy)];
    this.orderParam = orderParam;
    this.maxValues = maxValues;
    /** The parameter names this filter set reads, in the order it applies them. */
    this.params = this.orderBy.length ? [...names, orderParam] : names;
    Object.freeze(this);
  }

  /**
   * Filters `queryset` (default: every row of the model) by the declared
   * parameters `params` holds: a URLSearchParams, a FormData, a Next.js
   * `searchParams` object (awaited) or a plain object of strings. Returns
   * `{ qs, errors, data }`: `qs` the filtered QuerySet (empty, through
   * none(), when `errors` has an entry), `errors` a message per parameter
   * whose value did not convert, `data` the converted values of the
   * parameters that acted. Undeclared parameters are ignored, as are empty
   * values (an empty form field). `in` takes repeated keys and
   * comma-separated lists, `range` 'low,high'; other lookups take the last
   * value, as Django's QueryDict.get does.
   */
  apply(params, queryset) {
    const model = this.model;
    if (params !== null && params !== undefined && typeof params.then === 'function') {
      throw new NoormmeError('filterSet.apply() takes the search parameters themselves: await searchParams first (Next.js passes a Promise)', { code: 'INVALID_ARGUMENT' });
    }
    if (params !== null && params !== undefined && typeof params !== 'object') {
      throw new NoormmeError(`filterSet.apply() takes URLSearchParams or an object of parameters, got ${typeof params}`, { code: 'INVALID_ARGUMENT' });
    }
    const { QuerySet } = require('./queryset');
    if (queryset !== undefined && !(queryset instanceof QuerySet && queryset.model === model)) {
      throw new NoormmeError(`filterSet.apply(params, queryset): queryset must be a QuerySet of ${model.name}`, { code: 'INVALID_ARGUMENT', model: model.name });
    }
    const source = params ?? {};
    let qs = queryset ?? model.objects.all();
    const errors = {};
    const data = {};
    for (const d of this.declared) {
      let value;
      try {
        value = this.convert(d, valuesOf(source, d.name));
      } catch (err) {
        if (!(err instanceof ConversionError)) throw err;
        errors[d.name] = err.message;
        continue;
      }
      if (value === undefined) continue;
      data[d.name] = value;
      qs = qs.filter({ [d.name]: value });
    }
    if (this.orderBy.length) {
      try {
        const order = this.ordering(valuesOf(source, this.orderParam));
        if (order !== undefined) {
          data[this.orderParam] = order;
          // The key last, as a tiebreak: pages of equal values stay stable.
          const tiebreak = (model.identity ?? []).filter((k) => !order.some((o) => o.replace(/^-/, '') === k));
          qs = qs.orderBy(...order, ...tiebreak);
        }
      } catch (err) {
        if (!(err instanceof ConversionError)) throw err;
        errors[this.orderParam] = err.message;
      }
    }
    if (Object.keys(errors).length) qs = qs.none();
    return { qs, errors, data };
  }

  /** A declared parameter's value, converted; undefined when absent or empty. */
  convert(d, raw) {
    if (raw.length === 0) return undefined;
    if (d.lookup === 'in') {
      const items = [];
      for (const value of raw) {
        for (const item of asText(value).split(',')) {
          if (item === '') continue;
          if (items.length === this.maxValues) throw new ConversionError(`Enter at most ${this.maxValues} values.`);
          items.push(d.convert(item));
        }
      }
      return items.length ? items : undefined;
    }
    const text = asText(raw[raw.length - 1]);
    if (text === '') return undefined;
    if (d.lookup === 'range') {
      const pair = text.split(',');
      if (pair.length !== 2 || pair[0] === '' || pair[1] === '') throw new ConversionError('Enter two values separated by a comma: low,high.');
      return [d.convert(pair[0]), d.convert(pair[1])];
    }
    const value = d.convert(text);
    if (d.lookup === 'regex' || d.lookup === 'iregex') {
      try {
        require('./native').checkRegex(value);
      } catch {
        throw new ConversionError('Enter a valid regular expression.');
      }
    }
    return value;
  }

  /** The order the `orderParam` parameter asks for ('-views,title'), or undefined when absent. */
  ordering(raw) {
    if (raw.length === 0) return undefined;
    const text = asText(raw[raw.length - 1]);
    if (text === '') return undefined;
    const items = text.split(',');
    if (items.length > this.orderBy.length) throw new ConversionError(`Order by at most ${this.orderBy.length} fields.`);
    const seen = new Set();
    for (const item of items) {
      const name = item.startsWith('-') ? item.slice(1) : item;
      if (!this.orderBy.includes(name) || seen.has(name)) throw new ConversionError(`Order by ${this.orderBy.join(', ')} (each at most once, '-' for descending).`);
      seen.add(name);
    }
    return items;
  }
}

module.exports = { FilterSet };
