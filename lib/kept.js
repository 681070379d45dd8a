'use strict';
// Plans kept per list of field names: a get() by { id }, a create() with
// these fields, a filter({ author_id }).update({ published }). The names are
// walked one at a time through nested maps rather than joined into one
// signature string: names written in code are interned strings whose hash
// V8 keeps, so a lookup builds and hashes nothing new on each call. Each
// node also remembers the last name it was walked by: code that repeats one
// shape compares one pointer instead of probing a map.

const LIMIT = 1000;

class Node {
  constructor() {
    this.plan = undefined;
    this.next = null;
    this.lastKey = undefined;
    this.lastChild = undefined;
  }

  child(key) {
    if (key === this.lastKey) return this.lastChild;
    const child = this.next === null ? undefined : this.next.get(key);
    if (child !== undefined) {
      this.lastKey = key;
      this.lastChild = child;
    }
    return child;
  }
}

class KeptPlans {
  constructor() {
    this.heads = new Node();
    this.size = 0;
  }

  /** The plan kept for `head` followed by the keys of `object` in order, or undefined. */
  get(head, object) {
    let node = this.heads.child(head);
    for (const key in object) {
      if (node === undefined) return undefined;
      node = node.child(key);
    }
    return node === undefined ? undefined : node.plan;
  }

  /**
   * As get(); null when some value of `object` is not a number, string,
   * boolean or bigint (the only values a kept plan binds as they come), or
   * null where `nullable` allows it.
   */
  getScalars(head, object, nullable = false) {
    let node = this.heads.child(head);
    for (const key in object) {
      const value = object[key];
      const type = typeof value;
      if (type !== 'number' && type !== 'string' && type !== 'boolean' && type !== 'bigint' && !(nullable && value === null)) return null;
      if (node !== undefined) node = node.child(key);
    }
    return node === undefined ? undefined : node.plan;
  }

  /** Keeps `plan` for `head` and the keys of `object` (up to a bound, so hostile keys cannot grow it forever). */
  set(head, object, plan) {
    if (this.size >= LIMIT) return;
    let node = this.heads;
    for (const key of [head, ...keysOf(object)]) {
      node.next ??= new Map();
      let child = node.next.get(key);
      if (child === undefined) node.next.set(key, (child = new Node()));
      node = child;
    }
    if (node.plan === undefined) this.size++;
    node.plan = plan;
  }
}

/** The for-in keys of `object`, in the order get() walks them. */
function keysOf(object) {
  const keys = [];
  for (const key in object) keys.push(key);
  return keys;
}

module.exports = { KeptPlans, keysOf };
