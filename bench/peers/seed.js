'use strict';
// The generated bench database (issue 7's schema): 10,000 users and 100,000
// posts, deterministic, in WAL mode. Written with better-sqlite3, in the
// orchestrator's process, which never loads NOORMME.
const Database = require('better-sqlite3');

const USERS = 10000;
const POSTS = 100000;
const EPOCH = Date.UTC(2024, 0, 1);

/** created_at values are distinct ISO strings, shuffled against the ids. */
const isoAt = (minutes) => new Date(EPOCH + minutes * 60000).toISOString();

function seedBenchDatabase(file) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(`
    CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT, is_active INTEGER, created_at TEXT);
    CREATE TABLE posts(id INTEGER PRIMARY KEY, author_id INTEGER REFERENCES users(id), title TEXT, body TEXT, published INTEGER, created_at TEXT);
    CREATE INDEX posts_author ON posts(author_id);`);
  const user = db.prepare('INSERT INTO users VALUES (?, ?, ?, ?, ?)');
  const post = db.prepare('INSERT INTO posts VALUES (?, ?, ?, ?, ?, ?)');
  db.transaction(() => {
    for (let i = 1; i <= USERS; i++) {
      const domain = i % 4 === 0 ? 'other.org' : 'example.com';
      user.run(i, `user${i}@${domain}`, `User ${i}`, i % 3 === 0 ? 0 : 1, isoAt((i * 7919) % 10007));
    }
    for (let i = 1; i <= POSTS; i++) {
      post.run(i, 1 + ((i * 31) % USERS), `Post ${i}`, `Body of post ${i}, long enough to look like text.`, i % 5 === 0 ? 0 : 1, isoAt(20000 + i));
    }
  })();
  db.close();
}

module.exports = { seedBenchDatabase, USERS, POSTS, isoAt };
