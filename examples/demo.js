'use strict';
// `npm run demo`: seeds the sample blog database and shows NOORMME at work.
const path = require('node:path');
const { NOORMME, SqliteError } = require('..');
const { seed } = require('./seed');

function show(title, value) {
  console.log(`\n— ${title}`);
  console.table(value);
}

(async () => {
  const file = await seed(path.join(__dirname, 'data', 'blog.sqlite'));
  const db = new NOORMME({ database: file });
  const info = db.info();
  console.log(`NOORMME on ${info.path}\n  SQLite ${info.sqliteVersion}, journal ${info.journalMode}, ${info.readers} reader connections + 1 writer`);

  show(
    'Top 5 published posts by views (raw SQL, bound parameters)',
    await db.query(
      `SELECT p.id, p.title, u.name AS author, p.views FROM posts p JOIN users u ON u.id = p.author_id
       WHERE p.published = ? ORDER BY p.views DESC LIMIT ?`,
      [true, 5],
    ),
  );

  const domain = '@example.com';
  show('Authors at example.com (tagged template)', await db.sql`SELECT id, name, email FROM users WHERE email LIKE ${'%' + domain} ORDER BY id`);

  const before = (await db.query('SELECT count(*) AS n FROM comments'))[0].n;
  await db
    .transaction(async (tx) => {
      await tx.execute('INSERT INTO comments(post_id, author_id, body, created_at) VALUES (?, ?, ?, ?)', [1, 1, 'kept?', new Date()]);
      throw new Error('changed my mind');
    })
    .catch((e) => console.log(`\n— A transaction that throws rolls back: "${e.message}"`));
  const after = (await db.query('SELECT count(*) AS n FROM comments'))[0].n;
  console.log(`  comments before ${before}, after ${after}`);

  const err = await db.execute('INSERT INTO users(email, name, joined_at) VALUES (?, ?, ?)', ['ada@example.com', 'Ada again', new Date()]).catch((e) => e);
  console.log(`\n— Typed errors: ${err instanceof SqliteError ? 'SqliteError' : err.name} ${err.code} (rawCode ${err.rawCode}): ${err.message}`);

  const slow = 'WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < 2000000) SELECT count(*) AS n FROM c';
  let ticks = 0;
  const timer = setInterval(() => ticks++, 5);
  const started = performance.now();
  await db.query(slow);
  clearInterval(timer);
  console.log(`\n— A ${(performance.now() - started).toFixed(0)} ms query ran on a reader thread; the event loop ticked ${ticks} times meanwhile`);

  db.close();
})().catch((e) => {
  console.error(e);
  process.exit(1);
});
