'use strict';
// The same operations written the way each library's users write them. One
// peer per process: two SQLite copies must never open one file together.
// Every peer runs with WAL (set in the file), synchronous=NORMAL and
// foreign_keys=ON.
const path = require('node:path');

const SLOW_SQL = 'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ?) SELECT count(*) AS n FROM c';
const LIKE = '%@example.com';

/** Groups posts under their users, in the users' order (for the two-query peers). */
function attachPosts(users, posts) {
  const byId = new Map(users.map((u) => [u.id, (u.posts = [])]));
  for (const p of posts) byId.get(p.author_id).push(p);
  return users;
}

/**
 * better-sqlite3 with every statement prepared once. `sync`: called as its
 * users call it, synchronously (the baseline of every ratio); otherwise each
 * call wrapped in an async function and awaited, for comparison.
 */
function raw(file, { sync }) {
  const Database = require('better-sqlite3');
  const db = new Database(file);
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  const get = db.prepare('SELECT * FROM users WHERE id = ?');
  const list = db.prepare('SELECT * FROM users WHERE is_active = 1 AND email LIKE ? ORDER BY created_at DESC LIMIT 50');
  const first20 = db.prepare('SELECT * FROM users WHERE id >= ? ORDER BY id LIMIT 20');
  const postsOf = db.prepare(`SELECT * FROM posts WHERE author_id IN (${Array(20).fill('?').join(', ')})`);
  const insertUser = db.prepare('INSERT INTO users(email, name, is_active, created_at) VALUES (?, ?, ?, ?)');
  const insertPost = db.prepare('INSERT INTO posts(author_id, title, body, published, created_at) VALUES (?, ?, ?, ?, ?)');
  const bulk = db.transaction((rows) => {
    for (const r of rows) insertPost.run(r.author_id, r.title, r.body, r.published, r.created_at);
  });
  const count = db.prepare('SELECT count(*) AS n FROM posts WHERE published = 1 AND author_id BETWEEN ? AND ?');
  const publish = db.prepare('UPDATE posts SET published = ? WHERE author_id = ?');
  const slow = db.prepare(SLOW_SQL);
  const ops = {
    getUser: (id) => get.get(id),
    listActive: () => list.all(LIKE),
    usersWithPosts: (from) => {
      const users = first20.all(from);
      const ids = users.map((u) => u.id);
      return attachPosts(users, postsOf.all(...ids, ...Array(20 - ids.length).fill(null)));
    },
    insertUser: (u) => Number(insertUser.run(u.email, u.name, u.is_active, u.created_at).lastInsertRowid),
    bulkPosts: (rows) => bulk(rows),
    countPosts: (lo, hi) => count.get(lo, hi).n,
    publishAuthor: (authorId, value) => publish.run(value, authorId).changes,
    slow: (n) => slow.get(n).n,
    sql: (text) => db.prepare(text).all(),
  };
  const wrapped = {};
  for (const [name, fn] of Object.entries(ops)) wrapped[name] = sync ? fn : async (...args) => fn(...args);
  // The worker times a synchronous peer without awaiting each call.
  return { ...wrapped, sync, close: () => db.close() };
}

function drizzle(file, { prepared }) {
  const Database = require('better-sqlite3');
  const { drizzle: connect } = require('drizzle-orm/better-sqlite3');
  const { sqliteTable, integer, text } = require('drizzle-orm/sqlite-core');
  const { eq, and, like, desc, gte, between, inArray, asc, sql } = require('drizzle-orm');
  const users = sqliteTable('users', { id: integer('id').primaryKey(), email: text('email'), name: text('name'), is_active: integer('is_active'), created_at: text('created_at') });
  const posts = sqliteTable('posts', {
    id: integer('id').primaryKey(),
    author_id: integer('author_id'),
    title: text('title'),
    body: text('body'),
    published: integer('published'),
    created_at: text('created_at'),
  });
  const client = new Database(file);
  client.pragma('synchronous = NORMAL');
  client.pragma('foreign_keys = ON');
  const db = connect({ client });
  const ops = {
    getUser: async (id) => db.select().from(users).where(eq(users.id, id)).get(),
    listActive: async () =>
      db
        .select()
        .from(users)
        .where(and(eq(users.is_active, 1), like(users.email, LIKE)))
        .orderBy(desc(users.created_at))
        .limit(50)
        .all(),
    usersWithPosts: async (from) => {
      const found = db.select().from(users).where(gte(users.id, from)).orderBy(asc(users.id)).limit(20).all();
      const rows = db
        .select()
        .from(posts)
        .where(inArray(posts.author_id, found.map((u) => u.id)))
        .all();
      return attachPosts(found, rows);
    },
    insertUser: async (u) => db.insert(users).values(u).returning({ id: users.id }).get().id,
    bulkPosts: async (rows) =>
      db.transaction((tx) => {
        for (let i = 0; i < rows.length; i += 1000) tx.insert(posts).values(rows.slice(i, i + 1000)).run();
      }),
    countPosts: async (lo, hi) =>
      db
        .select({ n: sql`count(*)`.mapWith(Number) })
        .from(posts)
        .where(and(eq(posts.published, 1), between(posts.author_id, lo, hi)))
        .get().n,
    publishAuthor: async (authorId, value) => db.update(posts).set({ published: value }).where(eq(posts.author_id, authorId)).run().changes,
    slow: async (n) => db.get(sql.raw(SLOW_SQL.replace('?', String(Math.trunc(n))))).n,
    sql: async (text) => db.all(sql.raw(text)),
    close: () => client.close(),
  };
  if (!prepared) return ops;
  const p = sql.placeholder;
  const get = db.select().from(users).where(eq(users.id, p('id'))).prepare();
  const list = db
    .select()
    .from(users)
    .where(and(eq(users.is_active, 1), like(users.email, p('like'))))
    .orderBy(desc(users.created_at))
    .limit(50)
    .prepare();
  const first20 = db.select().from(users).where(gte(users.id, p('from'))).orderBy(asc(users.id)).limit(20).prepare();
  const insert = db
    .insert(users)
    .values({ email: p('email'), name: p('name'), is_active: p('is_active'), created_at: p('created_at') })
    .returning({ id: users.id })
    .prepare();
  const count = db
    .select({ n: sql`count(*)`.mapWith(Number) })
    .from(posts)
    .where(and(eq(posts.published, 1), between(posts.author_id, p('lo'), p('hi'))))
    .prepare();
  const publish = db.update(posts).set({ published: p('value') }).where(eq(posts.author_id, p('author'))).prepare();
  return {
    ...ops,
    getUser: async (id) => get.get({ id }),
    listActive: async () => list.all({ like: LIKE }),
    usersWithPosts: async (from) => {
      const found = first20.all({ from });
      // IN lists vary in length, so this query is built per call, as users do.
      const rows = db
        .select()
        .from(posts)
        .where(inArray(posts.author_id, found.map((u) => u.id)))
        .all();
      return attachPosts(found, rows);
    },
    insertUser: async (u) => insert.get(u).id,
    countPosts: async (lo, hi) => count.get({ lo, hi }).n,
    publishAuthor: async (author, value) => publish.run({ author, value }).changes,
  };
}

function kysely(file) {
  const Database = require('better-sqlite3');
  const { Kysely, SqliteDialect, sql } = require('kysely');
  const client = new Database(file);
  client.pragma('synchronous = NORMAL');
  client.pragma('foreign_keys = ON');
  const db = new Kysely({ dialect: new SqliteDialect({ database: client }) });
  return {
    getUser: (id) => db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst(),
    listActive: () => db.selectFrom('users').selectAll().where('is_active', '=', 1).where('email', 'like', LIKE).orderBy('created_at', 'desc').limit(50).execute(),
    usersWithPosts: async (from) => {
      const found = await db.selectFrom('users').selectAll().where('id', '>=', from).orderBy('id').limit(20).execute();
      const rows = await db
        .selectFrom('posts')
        .selectAll()
        .where(
          'author_id',
          'in',
          found.map((u) => u.id),
        )
        .execute();
      return attachPosts(found, rows);
    },
    insertUser: async (u) => (await db.insertInto('users').values(u).returning('id').executeTakeFirstOrThrow()).id,
    bulkPosts: (rows) =>
      db.transaction().execute(async (trx) => {
        for (let i = 0; i < rows.length; i += 1000) await trx.insertInto('posts').values(rows.slice(i, i + 1000)).execute();
      }),
    countPosts: async (lo, hi) =>
      Number(
        (
          await db
            .selectFrom('posts')
            .select((eb) => eb.fn.countAll().as('n'))
            .where('published', '=', 1)
            .where('author_id', '>=', lo)
            .where('author_id', '<=', hi)
            .executeTakeFirstOrThrow()
        ).n,
      ),
    publishAuthor: async (authorId, value) => Number((await db.updateTable('posts').set({ published: value }).where('author_id', '=', authorId).executeTakeFirst()).numUpdatedRows),
    slow: async (n) => (await sql`WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < ${n}) SELECT count(*) AS n FROM c`.execute(db)).rows[0].n,
    sql: async (text) => (await sql.raw(text).execute(db)).rows,
    close: () => db.destroy(),
  };
}

async function prisma(file) {
  const { PrismaClient } = require(path.join(__dirname, '..', 'generated', 'prisma-js', 'client.js'));
  const { PrismaBetterSqlite3 } = require('@prisma/adapter-better-sqlite3');
  const client = new PrismaClient({ adapter: new PrismaBetterSqlite3({ url: `file:${file}` }) });
  await client.$queryRawUnsafe('PRAGMA synchronous = NORMAL');
  await client.$queryRawUnsafe('PRAGMA foreign_keys = ON');
  return {
    getUser: (id) => client.users.findUnique({ where: { id } }),
    listActive: () => client.users.findMany({ where: { is_active: 1, email: { endsWith: '@example.com' } }, orderBy: { created_at: 'desc' }, take: 50 }),
    usersWithPosts: (from) => client.users.findMany({ where: { id: { gte: from } }, orderBy: { id: 'asc' }, take: 20, include: { posts: true } }),
    insertUser: async (u) => (await client.users.create({ data: u, select: { id: true } })).id,
    bulkPosts: (rows) => client.$transaction(async (tx) => tx.posts.createMany({ data: rows })),
    countPosts: (lo, hi) => client.posts.count({ where: { published: 1, author_id: { gte: lo, lte: hi } } }),
    publishAuthor: async (authorId, value) => (await client.posts.updateMany({ where: { author_id: authorId }, data: { published: value } })).count,
    slow: async (n) => Number((await client.$queryRawUnsafe(SLOW_SQL, n))[0].n),
    sql: (text) => client.$queryRawUnsafe(text),
    close: () => client.$disconnect(),
  };
}

function noormme(file) {
  const { NOORMME } = require(path.resolve(__dirname, '..', '..'));
  const db = new NOORMME({ database: file });
  const User = db.model('users');
  const Post = db.model('posts');
  // The public ORM API, chains built fresh on every call.
  return {
    getUser: (id) => User.objects.get({ id }),
    listActive: () => User.objects.filter({ is_active: 1, email__endswith: '@example.com' }).orderBy('-created_at').slice(0, 50),
    usersWithPosts: (from) => User.objects.filter({ id__gte: from }).orderBy('id').slice(0, 20).prefetch('posts'),
    insertUser: async (u) => (await User.objects.create(u)).id,
    bulkPosts: (rows) => Post.objects.bulkCreate(rows),
    countPosts: (lo, hi) => Post.objects.filter({ published: 1, author_id__range: [lo, hi] }).count(),
    publishAuthor: (authorId, value) => Post.objects.filter({ author_id: authorId }).update({ published: value }),
    slow: async (n) => (await db.query(SLOW_SQL, [n]))[0].n,
    sql: (text) => db.query(text),
    close: () => db.close(),
  };
}

const PEERS = {
  raw: (file) => raw(file, { sync: true }),
  'raw-async': (file) => raw(file, { sync: false }),
  'drizzle': (file) => drizzle(file, { prepared: false }),
  'drizzle-prepared': (file) => drizzle(file, { prepared: true }),
  kysely: (file) => kysely(file),
  prisma: (file) => prisma(file),
  noormme: (file) => noormme(file),
};

module.exports = { PEERS };
