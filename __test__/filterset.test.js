'use strict';
// filterSet: URL filters with an allowlist (issue #14, part 1). Declared
// parameters convert through the column's value policy and act; everything
// else in the request is ignored; bad values make the result empty.
const test = require('node:test');
const assert = require('node:assert/strict');
const { NOORMME, NoormmeError, FieldError } = require('..');
const { tempDb } = require('./helpers');

/** A blog whose users also sign in (sessions point at users), as an app with Auth.js on its own users table has. */
async function blog() {
  const file = tempDb();
  const setup = new NOORMME({ database: file, nPlusOne: false });
  await setup.exec(`
    CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL, is_staff BOOLEAN NOT NULL DEFAULT 0);
    CREATE TABLE session (sessionToken TEXT PRIMARY KEY, userId INTEGER NOT NULL REFERENCES users(id), expires DATETIME NOT NULL);
    CREATE TABLE posts (id INTEGER PRIMARY KEY, author_id INTEGER NOT NULL REFERENCES users(id), title TEXT NOT NULL, published BOOLEAN NOT NULL,
      views INTEGER NOT NULL, price DECIMAL(10, 2), created_at DATETIME NOT NULL, day DATE);
    CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
    CREATE TABLE post_tags (post_id INTEGER NOT NULL REFERENCES posts(id), tag_id INTEGER NOT NULL REFERENCES tags(id), PRIMARY KEY (post_id, tag_id)) WITHOUT ROWID;
    CREATE TABLE event (id INTEGER PRIMARY KEY, at_iso DATETIME NOT NULL, at_t DATETIME NOT NULL, at_unix INTEGER NOT NULL, at_julian REAL NOT NULL);
    INSERT INTO users VALUES (1, 'Ada', 'ada@example.com', 1), (2, 'Bob', 'bob@example.com', 0);
    INSERT INTO session VALUES ('s3cr3t-ada-token', 1, '2030-01-01 00:00:00');
    INSERT INTO tags VALUES (1, 'rust'), (2, 'node'), (3, 'sql,lite');
  `);
  const posts = [];
  for (let i = 1; i <= 40; i++) {
    const created = new Date(Date.UTC(2023 + (i % 3), i % 12, (i % 27) + 1, i % 24, 0, 0));
    posts.push(`(${i}, ${(i % 2) + 1}, 'Post ${i}${i % 5 === 0 ? ' about Rust' : ''}', ${i % 4 === 0 ? 0 : 1}, ${i * 10}, '${(i * 1.25).toFixed(2)}', '${created.toISOString().replace('T', ' ').slice(0, 19)}', '${created.toISOString().slice(0, 10)}')`);
  }
  await setup.exec(`INSERT INTO posts VALUES ${posts.join(', ')};
    INSERT INTO post_tags SELECT id, 1 + id % 3 FROM posts;
    INSERT INTO post_tags SELECT id, 3 FROM posts WHERE id % 3 = 1 AND id % 7 = 0;`);
  // One instant in four storage formats.
  const instants = ['2024-02-29T23:30:00Z', '2024-03-01T00:30:00Z', '2025-01-01T12:00:00Z'];
  for (const [i, iso] of instants.entries()) {
    const ms = Date.parse(iso);
    await setup.execute('INSERT INTO event VALUES (?, ?, ?, ?, ?)', [i + 1, iso.replace('T', ' ').replace('Z', ''), iso, ms / 1000, ms / 86400000 + 2440587.5]);
  }
  setup.close();
  const db = new NOORMME({
    database: file,
    nPlusOne: false,
    columns: { event: { at_unix: { policy: 'datetime', storage: 'unix' }, at_julian: { policy: 'datetime', storage: 'julian' } } },
  });
  return { db, Post: db.model('posts') };
}

const ids = async (qs) => (await qs.valuesList('id', { flat: true }).orderBy('id')).map(Number);

test('declared parameters convert through the value policy and filter; others are ignored', async () => {
  const { db, Post } = await blog();
  const filters = Post.filterSet({
    fields: { title: ['icontains'], published: ['exact'], created_at: ['year', 'gte', 'lte'], author__name: ['exact', 'icontains'], tags__name: ['in'], views: ['range', 'gt'], price: ['lte'], day: ['exact', 'lt'] },
    orderBy: ['created_at', 'views'],
  });
  const all = await ids(Post.objects.all());
  const check = async (query, expected, data) => {
    const result = filters.apply(new URLSearchParams(query));
    assert.deepEqual(result.errors, {}, query);
    assert.deepEqual(await ids(result.qs), await ids(expected), query);
    if (data) assert.deepEqual(result.data, data, query);
  };
  await check('title__icontains=rust', Post.objects.filter({ title__icontains: 'rust' }), { title__icontains: 'rust' });
  await check('published=false', Post.objects.filter({ published: false }), { published: false });
  await check('published=1', Post.objects.filter({ published: true }), { published: true });
  await check('published=TRUE', Post.objects.filter({ published: true }));
  await check('created_at__year=2024', Post.objects.filter({ created_at__year: 2024 }), { created_at__year: 2024 });
  await check('created_at__gte=2024-06-01&created_at__lte=2024-12-31T23:59:59', Post.objects.filter({ created_at__gte: new Date('2024-06-01T00:00:00Z'), created_at__lte: new Date('2024-12-31T23:59:59Z') }));
  await check('author__name=Ada', Post.objects.filter({ author__name: 'Ada' }));
  await check('author__name__icontains=BO', Post.objects.filter({ author__name__icontains: 'bo' }));
  // `in`: repeated keys and comma lists together; an empty item is dropped.
  await check('tags__name__in=rust&tags__name__in=node,', Post.objects.filter({ tags__name__in: ['rust', 'node'] }), { tags__name__in: ['rust', 'node'] });
  await check('views__range=100,200', Post.objects.filter({ views__range: [100, 200] }), { views__range: [100, 200] });
  await check('views__gt=+150', Post.objects.filter({ views__gt: 150 }));
  await check('views__gt=150.0', Post.objects.filter({ views__gt: 150 }));
  await check('price__lte=10.00', Post.objects.filter({ price__lte: 10 }), { price__lte: '10.00' });
  await check('day=2024-03-07', Post.objects.filter({ day: new Date('2024-03-07T00:00:00Z') }));
  await check('day__lt=2023-06-01', Post.objects.filter({ day__lt: new Date('2023-06-01T00:00:00Z') }));
  // Other lookups take the last value, as QueryDict.get does.
  await check('views__gt=999&views__gt=300', Post.objects.filter({ views__gt: 300 }));
  // Empty values (an empty form field) and undeclared names are ignored.
  await check('title__icontains=&utm_source=x&page=2&views=10&author__session__sessionToken__startswith=s3&title__contains=Post', Post.objects.all(), {});
  // Ordering: declared fields only, '-' for descending, the key as tiebreak.
  const ordered = filters.apply(new URLSearchParams('o=-views'));
  assert.deepEqual(ordered.data, { o: ['-views'] });
  assert.deepEqual((await ordered.qs.valuesList('id', { flat: true })).map(Number), [...all].reverse());
  const byTwo = filters.apply(new URLSearchParams('o=created_at,-views'));
  assert.deepEqual((await byTwo.qs.valuesList('id', { flat: true })).map(Number), (await Post.objects.orderBy('created_at', '-views', 'id').valuesList('id', { flat: true })).map(Number));
  // Chains on: qs is a normal QuerySet, and a base queryset narrows first.
  const based = filters.apply({ title__icontains: 'post' }, Post.objects.filter({ author: 1 }));
  assert.deepEqual(await ids(based.qs.filter({ views__lt: 100 })), await ids(Post.objects.filter({ author: 1, views__lt: 100 })));
  db.close();
});

test('dates filter in any storage format; __date and __year on each', async () => {
  const { db } = await blog();
  const Event = db.model('event');
  const filters = Event.filterSet({ fields: { at_iso: ['gte', 'date', 'year'], at_t: ['gte', 'date', 'year'], at_unix: ['gte', 'date', 'year'], at_julian: ['gte', 'date', 'year'] } });
  for (const column of ['at_iso', 'at_t', 'at_unix', 'at_julian']) {
    for (const [query, expected] of [
      [`${column}__gte=2024-03-01`, [2, 3]],
      [`${column}__gte=2024-03-01T00:00:00%2B01:00`, [1, 2, 3]],
      [`${column}__gte=2024-02-29T23:30`, [1, 2, 3]],
      [`${column}__gte=2024-02-29T23:30:01Z`, [2, 3]],
      [`${column}__date=2024-02-29`, [1]],
      [`${column}__year=2025`, [3]],
    ]) {
      const { qs, errors } = filters.apply(new URLSearchParams(query));
      assert.deepEqual(errors, {}, query);
      assert.deepEqual(await ids(qs), expected, query);
    }
  }
  db.close();
});

test('values that do not convert put a message in errors and make qs empty', async () => {
  const { db, Post } = await blog();
  const filters = Post.filterSet({ fields: { published: ['exact'], views: ['gte', 'in', 'range'], created_at: ['gte', 'year', 'date'], day: ['exact'], price: ['lt'], title: ['regex'] }, orderBy: ['views'] });
  for (const [query, param] of [
    ['published=maybe', 'published'],
    ['published=yes', 'published'],
    ['views__gte=ten', 'views__gte'],
    ['views__gte=1.5', 'views__gte'],
    ['views__gte=1e3', 'views__gte'],
    ['views__gte=99999999999999999999', 'views__gte'],
    ['views__in=1,x,3', 'views__in'],
    ['views__range=1', 'views__range'],
    ['views__range=1,2,3', 'views__range'],
    ['created_at__gte=yesterday', 'created_at__gte'],
    ['created_at__gte=2024-02-30', 'created_at__gte'],
    ['created_at__year=MMXXIV', 'created_at__year'],
    ['created_at__date=2024-13-01', 'created_at__date'],
    ['day=2024-01-01T00:00:00', 'day'],
    ['price__lt=NaN', 'price__lt'],
    ['price__lt=Infinity', 'price__lt'],
    ['title__regex=(unclosed', 'title__regex'],
    ['o=-secret', 'o'],
    ['o=views,views', 'o'],
    [`views__in=${Array.from({ length: 101 }, (_, i) => i).join(',')}`, 'views__in'],
  ]) {
    const { qs, errors, data } = filters.apply(new URLSearchParams(`published=true&${query}`));
    assert.equal(typeof errors[param], 'string', query);
    assert.deepEqual(Object.keys(errors), param === 'published' ? ['published'] : [param], query);
    assert.equal(param in data, false, query);
    assert.deepEqual(await qs, [], query);
    assert.equal(await qs.count(), 0, query);
  }
  // A JSON body or a Next.js searchParams object: arrays act as repeated keys, objects are refused.
  // A JSON body can carry a lone surrogate: reported, not thrown when the page runs the query.
  const surrogate = Post.filterSet({ fields: { title: ['icontains', 'in'] } }).apply(JSON.parse('{"title__icontains": "\\ud800", "title__in": ["a", "\\udc00"]}'));
  assert.deepEqual(Object.keys(surrogate.errors), ['title__icontains', 'title__in']);
  assert.deepEqual(await surrogate.qs, []);
  // Dates: years before 100 are read as written, offsets past 23:59 refused (as Python's datetime).
  const dated = Post.filterSet({ fields: { created_at: ['gte'], day: ['exact'] } });
  assert.equal(dated.apply({ created_at__gte: '0050-01-01' }).data.created_at__gte.toISOString(), '0050-01-01T00:00:00.000Z');
  assert.equal(dated.apply({ day: '0000-01-01' }).data.day.getUTCFullYear(), 0);
  assert.equal(typeof dated.apply({ created_at__gte: '2024-01-01T10:00:00+99:99' }).errors.created_at__gte, 'string');
  assert.equal(typeof dated.apply({ created_at__gte: '2024-01-01T24:00:00' }).errors.created_at__gte, 'string');
  const fromJson = filters.apply(JSON.parse('{"views__in": ["10", "20,30"], "published": true, "views__gte": {"$gt": ""}}'));
  assert.deepEqual(fromJson.errors, { views__gte: 'Enter text, not a list or an object.' });
  assert.deepEqual(fromJson.data, { published: true, views__in: [10, 20, 30] });
  db.close();
});

test('a relation path acts only when declared whole: the session-token oracle is closed', async () => {
  const { db, Post } = await blog();
  // Raw filter() keys from a URL follow any relation: each guess of the
  // token's next character changes the result.
  const raw = async (guess) => Post.objects.filter({ author__session__sessionToken__startswith: guess }).count();
  assert.ok((await raw('s3cr')) > 0);
  assert.equal(await raw('s3cx'), 0);
  // Through filterSet the same parameters are ignored: every guess gives the same page.
  const filters = Post.filterSet({ fields: { title: ['icontains'], author__name: ['exact', 'icontains'], author: ['exact'] }, orderBy: ['views'] });
  const baseline = await ids(filters.apply(new URLSearchParams('')).qs);
  for (const attack of [
    'author__session__sessionToken__startswith=s3cr',
    'author__session__sessionToken__startswith=s3cx',
    'author__session__sessionToken=s3cr3t-ada-token',
    'author__email__startswith=ada',
    'author__name__session=x',
    'author__name__regex=.*',
    'o=author__email',
    'o=author__session__sessionToken',
    'author__is_staff=true',
    '__proto__=1&constructor=x&toString=y',
  ]) {
    const { qs, errors } = filters.apply(new URLSearchParams(attack));
    const got = await ids(qs);
    if (Object.keys(errors).length === 0) assert.deepEqual(got, baseline, attack);
    else assert.deepEqual(got, [], attack);
  }
  db.close();
});

test('declarations are checked once, as code: unknown fields, lookups and options are errors', async () => {
  const { db, Post } = await blog();
  assert.throws(() => Post.filterSet({ fields: { titel: ['exact'] } }), (e) => e instanceof FieldError && /Did you mean 'title'/.test(e.message));
  assert.throws(() => Post.filterSet({ fields: { title: ['icontain'] } }), (e) => e instanceof NoormmeError && /icontains/.test(e.message));
  assert.throws(() => Post.filterSet({ fields: { author__nmae: ['exact'] } }), (e) => e instanceof NoormmeError);
  assert.throws(() => Post.filterSet({ fields: { title: 'icontains' } }), { code: 'INVALID_OPTION' });
  assert.throws(() => Post.filterSet({ fields: { title: [] } }), { code: 'INVALID_OPTION' });
  assert.throws(() => Post.filterSet({ fields: {}, order: ['views'] }), (e) => e.code === 'INVALID_OPTION' && /Did you mean 'orderBy'/.test(e.message));
  assert.throws(() => Post.filterSet({ fields: {}, orderBy: ['-views'] }), { code: 'INVALID_OPTION' });
  assert.throws(() => Post.filterSet({ fields: {}, orderBy: ['viewz'] }), FieldError);
  assert.throws(() => Post.filterSet({ fields: { o: ['exact'] } }), FieldError);
  assert.throws(() => Post.filterSet({ fields: { views: ['exact'] }, orderParam: 'views' }), { code: 'INVALID_OPTION' });
  assert.throws(() => Post.filterSet({ fields: {}, maxValues: 0 }), { code: 'INVALID_OPTION' });
  await db.exec('CREATE TABLE doc (id INTEGER PRIMARY KEY, meta JSON)');
  db.refreshSchema();
  assert.throws(() => db.model('doc').filterSet({ fields: { meta: ['exact'] } }), (e) => e.code === 'INVALID_OPTION' && /meta__<key>/.test(e.message));
  assert.deepEqual(db.model('doc').filterSet({ fields: { meta__owner: ['exact'] } }).params, ['meta__owner']);
  const filters = Post.filterSet({ fields: { views: ['exact'] } });
  assert.deepEqual(filters.params, ['views']);
  assert.throws(() => filters.apply(Promise.resolve({})), (e) => e.code === 'INVALID_ARGUMENT' && /await searchParams/.test(e.message));
  assert.throws(() => filters.apply('views=1'), { code: 'INVALID_ARGUMENT' });
  assert.throws(() => filters.apply({}, db.model('users').objects.all()), { code: 'INVALID_ARGUMENT' });
  assert.equal(await filters.apply(undefined).qs.count(), 40);
  db.close();
});

test("the example app's filter set on its seeded blog: no undeclared relation path is an oracle", async () => {
  const fs = require('node:fs');
  const path = require('node:path');
  const { seed } = require('../examples/seed');
  // The declaration exactly as the example's list page writes it.
  const page = fs.readFileSync(path.join(__dirname, '..', 'examples', 'nextjs-app', 'app', 'page.tsx'), 'utf8');
  const literal = /Post\.filterSet\((\{[\s\S]*?\n\})\);/.exec(page);
  assert.ok(literal, 'the page declares Post.filterSet({...})');
  const file = tempDb('blog.sqlite');
  await seed(file);
  const db = new NOORMME({ database: file, nPlusOne: false });
  const Post = db.model('posts');
  const PostFilter = new Function('Post', `return Post.filterSet(${literal[1]});`)(Post);
  const base = Post.objects.filter({ published: true });
  // An email the page never shows: its author's posts are listed, the address is not.
  const { author__email: email, author_id: authorId } = await base.values('author__email', 'author_id').first();
  // With raw keys, guessing an author's email one character at a time works.
  const raw = (prefix) => base.filter({ author__email__startswith: prefix }).count();
  assert.ok((await raw(email.slice(0, 3))) > 0);
  assert.equal(await raw(`${email.slice(0, 2)}\u0001`), 0);
  // Through the page's filter set every guess gives the same page.
  const page1 = async (query) => (await PostFilter.apply(new URLSearchParams(query), base).qs.orderBy('id').valuesList('id', { flat: true })).join();
  const baseline = await page1('');
  for (const guess of [email.slice(0, 3), 'zzz', email]) {
    for (const key of ['author__email__startswith', 'author__email', 'author__email__regex', 'author__is_staff', 'author__posts__author__email__startswith', 'comments__author__email__startswith', 'author__joined_at__year']) {
      assert.equal(await page1(`${key}=${encodeURIComponent(guess)}`), baseline, `${key}=${guess}`);
    }
  }
  // ...while the declared parameters still act.
  assert.notEqual(await page1('tags__name=rust'), baseline);
  assert.notEqual(await page1(`author=${authorId}`), baseline);
  db.close();
});

test('in lists of any length up to maxValues share one statement', async () => {
  const { db, Post } = await blog();
  const filters = Post.filterSet({ fields: { views: ['in'] } });
  const statements = () => db.info().statementsCached;
  const before = statements();
  for (let n = 1; n <= 100; n++) {
    const values = Array.from({ length: n }, (_, i) => (i + 1) * 10);
    const { qs, data } = filters.apply({ views__in: values.join(',') });
    assert.deepEqual(data.views__in, values);
    assert.deepEqual(await ids(qs), values.filter((v) => v <= 400).map((v) => v / 10), `${n} values`);
  }
  // One list query and one id-list query for every length: the list is one parameter.
  assert.ok(statements() - before <= 2, `${statements() - before} statements`);
  db.close();
});
