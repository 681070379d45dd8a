'use strict';
// Builds the sample blog database the demo and examples run on. Deterministic:
// the same file every time, made by this repo rather than downloaded.
const fs = require('node:fs');
const path = require('node:path');
const { NOORMME } = require('..');

const SCHEMA = `
CREATE TABLE users (
  id INTEGER PRIMARY KEY,
  email TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  is_staff BOOLEAN NOT NULL DEFAULT 0,
  joined_at DATETIME NOT NULL
);
CREATE TABLE posts (
  id INTEGER PRIMARY KEY,
  author_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  title TEXT NOT NULL,
  body TEXT NOT NULL,
  published BOOLEAN NOT NULL DEFAULT 0,
  views INTEGER NOT NULL DEFAULT 0,
  likes INTEGER NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL
);
CREATE INDEX posts_author ON posts(author_id);
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE post_tags (
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
  PRIMARY KEY (post_id, tag_id)
) WITHOUT ROWID;
CREATE TABLE comments (
  id INTEGER PRIMARY KEY,
  post_id INTEGER NOT NULL REFERENCES posts(id) ON DELETE CASCADE,
  author_id INTEGER REFERENCES users(id) ON DELETE SET NULL,
  body TEXT NOT NULL,
  created_at DATETIME NOT NULL
);
`;

const NAMES = ['Ada Lovelace', 'Grace Hopper', 'Édouard Lucas', 'Katherine Johnson', 'Alan Turing', 'Hedy Lamarr', 'Ørsted Hans', 'Sofia Kovalevskaya'];
const TAGS = ['sqlite', 'rust', 'nextjs', 'orm', 'django', 'performance'];
const WORDS = 'query index page cache writer reader snapshot lock journal commit rollback savepoint schema column row'.split(' ');

// A small linear congruential generator: reproducible "random" content.
function rng(seed) {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

async function seed(file) {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  const db = new NOORMME({ database: file });
  const rand = rng(42);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const day = (n) => new Date(Date.UTC(2024, 0, 1) + n * 86400000);
  try {
    await db.exec(SCHEMA);
    await db.transaction(async (tx) => {
      for (const [i, name] of NAMES.entries()) {
        const domain = i % 3 === 0 ? 'example.com' : 'mail.test';
        const email = `${name.split(' ')[0].toLowerCase().normalize('NFD').replace(/[^a-z]/g, '')}@${domain}`;
        await tx.execute('INSERT INTO users(email, name, is_staff, joined_at) VALUES (?, ?, ?, ?)', [email, name, i < 2, day(i * 3)]);
      }
      for (const name of TAGS) await tx.execute('INSERT INTO tags(name) VALUES (?)', [name]);
      for (let p = 1; p <= 120; p++) {
        const title = `${pick(WORDS)} ${pick(WORDS)} ${p % 10 === 0 ? '(draft)' : 'notes'} #${p}`;
        const body = Array.from({ length: 30 }, () => pick(WORDS)).join(' ');
        await tx.execute(
          'INSERT INTO posts(author_id, title, body, published, views, likes, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
          [1 + (p % NAMES.length), title, body, p % 4 !== 0, Math.floor(rand() * 1000), Math.floor(rand() * 300), day(10 + p)],
        );
        const first = 1 + (p % TAGS.length);
        await tx.execute('INSERT INTO post_tags(post_id, tag_id) VALUES (?, ?)', [p, first]);
        if (p % 3 === 0) await tx.execute('INSERT INTO post_tags(post_id, tag_id) VALUES (?, ?)', [p, 1 + ((first + 2) % TAGS.length)]);
        for (let c = 0; c < p % 5; c++) {
          await tx.execute('INSERT INTO comments(post_id, author_id, body, created_at) VALUES (?, ?, ?, ?)', [
            p,
            c === 3 ? null : 1 + Math.floor(rand() * NAMES.length),
            `${pick(WORDS)}? ${pick(WORDS)}!`,
            day(11 + p + c),
          ]);
        }
      }
    });
  } finally {
    db.close();
  }
  return file;
}

module.exports = { seed };

if (require.main === module) {
  const file = process.argv[2] ?? path.join(__dirname, 'data', 'blog.sqlite');
  seed(file).then(() => console.log(`seeded ${file}`));
}
