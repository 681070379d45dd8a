'use strict';
// Normalises user values into what the native layer binds: number, string,
// bigint, Buffer or null. Anything else is refused with the parameter named.

const { NoormmeError } = require('./errors');

/** `label` names the value: a string, or a parameter's position (named only when something is wrong). */
function invalid(label, what) {
  return new NoormmeError(`${typeof label === 'number' ? `parameter ${label}` : label} is ${what}; bind a number, bigint, string, boolean, Date, Buffer/Uint8Array or null`, {
    code: 'INVALID_PARAMETER',
  });
}

const TEMPLATES = [];

/**
 * An array of `length` nulls with generic elements, for arguments. An array
 * V8 holds as unboxed numbers is converted, copying every element, on each
 * call where the native layer's caller has also met arrays holding texts.
 */
function argsArray(length) {
  if (length > 64) return new Array(length).fill(null);
  return (TEMPLATES[length] ??= new Array(length).fill(null)).slice();
}

function bindable(value, label) {
  switch (typeof value) {
    case 'string':
    case 'bigint':
      return value;
    case 'number':
      if (Number.isNaN(value)) throw invalid(label, 'NaN');
      return value;
    case 'boolean':
      return value ? 1 : 0;
    case 'undefined':
      throw invalid(label, 'undefined');
    case 'object':
      if (value === null) return null;
      if (value instanceof Date) {
        if (Number.isNaN(value.getTime())) throw invalid(label, 'an invalid Date');
        return value.toISOString();
      }
      if (Buffer.isBuffer(value)) return value;
      if (value instanceof Uint8Array) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
      if (value instanceof ArrayBuffer) return Buffer.from(value);
      throw invalid(label, `an object (${Object.prototype.toString.call(value).slice(8, -1)})`);
    default:
      throw invalid(label, `a ${typeof value}`);
  }
}

// A surrogate half without its partner (Node 18 lacks String#isWellFormed).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
/** Whether `text` has no lone UTF-16 surrogate (so UTF-8 can hold it as it is). */
const isWellFormed = typeof String.prototype.isWellFormed === 'function' ? (text) => text.isWellFormed() : (text) => !LONE_SURROGATE.test(text);

/**
 * Refuses a text holding a lone UTF-16 surrogate (from JSON such as
 * "\ud83d"): UTF-8 cannot store it, so it would be replaced silently, and
 * two such halves in a row of parameters could be read as one character.
 * `label` is a parameter's position or name. Throws NoormmeError
 * INVALID_PARAMETER.
 */
function assertWellFormed(text, label) {
  if (!isWellFormed(text)) {
    throw new NoormmeError(`${typeof label === 'number' ? `parameter ${label}` : label} holds a lone UTF-16 surrogate (ill-formed text that UTF-8 cannot store)`, {
      code: 'INVALID_PARAMETER',
    });
  }
}

function assertValidDate(value) {
  if (value instanceof Date && Number.isNaN(value.getTime())) {
    throw new NoormmeError('an invalid Date cannot be compared or stored', { code: 'INVALID_PARAMETER' });
  }
}

/** `value` in a column's storage format, through its encoder (null: as it is). */
function encodeWith(value, encode) {
  assertValidDate(value);
  return encode === null || value === null ? value : encode(value);
}

/**
 * Turns `params` (an array for `?`, or an object for `:name`/`@name`/`$name`)
 * into the positional list the statement expects.
 */
function bindArgs(stmt, params) {
  const names = stmt.params;
  const count = names.length;
  if (params === undefined || params === null) {
    if (count === 0) return undefined;
    throw new NoormmeError(`the statement expects ${count} parameter(s) but none were given`, { code: 'PARAMETER_COUNT' });
  }
  if (Array.isArray(params)) {
    if (params.length !== count) {
      throw new NoormmeError(`the statement expects ${count} parameter(s) but ${params.length} were given`, {
        code: 'PARAMETER_COUNT',
      });
    }
    const out = argsArray(count);
    for (let i = 0; i < count; i++) out[i] = bindable(params[i], i + 1);
    return out;
  }
  if (typeof params !== 'object') {
    throw new NoormmeError('parameters must be an array (for ?) or an object (for :name, @name, $name)', {
      code: 'INVALID_PARAMETER',
    });
  }
  const out = argsArray(count);
  for (let i = 0; i < count; i++) {
    const name = names[i];
    if (name === null || name[0] === '?') {
      throw new NoormmeError('this statement has positional (?) parameters: pass an array, not an object', {
        code: 'INVALID_PARAMETER',
      });
    }
    const key = name.slice(1);
    if (!Object.prototype.hasOwnProperty.call(params, key)) {
      throw new NoormmeError(`missing named parameter '${key}' (used as ${name} in the statement)`, {
        code: 'MISSING_PARAMETER',
      });
    }
    out[i] = bindable(params[key], `parameter '${key}'`);
  }
  return out;
}

module.exports = { argsArray, bindArgs, bindable, encodeWith, assertValidDate, assertWellFormed, isWellFormed };
