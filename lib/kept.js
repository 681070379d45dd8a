'use strict';
// Plans kept per list of field names: a get() by { id }, a create() with
// these fields, a filter({ author_id }).update({ published }). The names are
// walked one at a time through nested maps rather than joined into one
// signature string: names written in code are interned strings whose hash
// V8 keeps, so a lookup builds and hashes nothing new on each call.

const LIMIT = 1000;

class Node {
  constructor() {
    this.plan = undefined;
    this.next = null;
  }
}

class KeptPlans {
  constructor() {
    this.heads = new Map();
    this.size = 0;
  }

  /** The plan kept for `head` followed by the keys of `object` in order, or undefined. */
  get(head, object) {
    let node = this.heads.get(head);
    for (const key in object) {
      if (node === undefined || node.next === null) return undefined;
      node = node.next.get(key);
    }
    return node === undefined ? undefined : node.plan;
  }

  /** Keeps `plan` for `head` and the keys of `object` (up to a bound, so hostile keys cannot grow it forever). */
  set(head, object, plan) {
    if (this.size >= LIMIT) return;
    let node = this.heads.get(head);
    if (node === undefined) this.heads.set(head, (node = new Node()));
    for (const key in object) {
      node.next ??= new Map();
      let child = node.next.get(key);
      if (child === undefined) node.next.set(key, (child = new Node()));
      node = child;
    }
    if (node.plan === undefined) this.size++;
    node.plan = plan;
  }
}

module.exports = { KeptPlans };
