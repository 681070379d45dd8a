'use strict';
// The raw-layer cases (run after the peers by `npm run bench`): every case
// for NOORMME and better-sqlite3, each in its own process, several rounds;
// prints medians and the ratio to better-sqlite3. NODE_ENV=production, as
// deployed (the N+1 guard is off).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const LIBRARIES = ['better-sqlite3', 'noormme'];
const CASES = (process.env.BENCH_CASES ?? 'point-select,select-100,select-10k,insert-in-tx,orm-get,orm-first,orm-list-50,orm-count,orm-update,orm-prefetch-20,event-loop-gap,parallel-slow-reads').split(',');
// Cases where smaller is better.
const LOWER_IS_BETTER = new Set(['event-loop-gap', 'parallel-slow-reads']);

function makeDatabase(dir) {
  const file = path.join(dir, 'bench.sqlite');
  const script = `
    const { NOORMME } = require(${JSON.stringify(path.resolve(__dirname, '..'))});
    (async () => {
      const db = new NOORMME({ database: ${JSON.stringify(file)} });
      await db.exec('CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT NOT NULL, age INTEGER, score REAL, bio TEXT, created_at TEXT NOT NULL); CREATE TABLE events(id INTEGER PRIMARY KEY, kind TEXT, at INTEGER); CREATE TABLE posts(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id), title TEXT NOT NULL, body TEXT, created_at TEXT NOT NULL); CREATE INDEX posts_user ON posts(user_id);');
      await db.transaction(async (tx) => {
        for (let i = 1; i <= 10000; i++) {
          await tx.execute('INSERT INTO users(email, name, age, score, bio, created_at) VALUES (?, ?, ?, ?, ?, ?)',
            ['user' + i + '@example.com', 'User ' + i, 18 + (i % 60), i / 7, i % 3 ? 'Bio of user ' + i : null, new Date(Date.UTC(2024, 0, 1) + i * 60000)]);
        }
        for (let i = 1; i <= 50000; i++) {
          await tx.execute('INSERT INTO posts(user_id, title, body, created_at) VALUES (?, ?, ?, ?)', [1 + (i % 10000), 'Post ' + i, 'Body of post ' + i, new Date(Date.UTC(2024, 0, 1) + i * 1000)]);
        }
      });
      db.close();
    })();`;
  execFileSync(process.execPath, ['-e', script], { stdio: 'inherit' });
  return file;
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'noormme-bench-'));
try {
  const file = makeDatabase(dir);
  const results = {};
  for (const name of CASES) {
    for (let round = 0; round < ROUNDS; round++) {
      // Alternate the order so neither library always runs on a warmer machine.
      const order = round % 2 ? [...LIBRARIES].reverse() : LIBRARIES;
      for (const library of order) {
        const out = execFileSync(process.execPath, [path.join(__dirname, 'cases.js'), library, name, file], { encoding: 'utf8', env: { ...process.env, NODE_ENV: 'production' } });
        const r = JSON.parse(out.trim().split('\n').at(-1));
        ((results[name] ??= {})[library] ??= { unit: r.unit, values: [] }).values.push(r.value);
      }
    }
  }
  console.log(`NOORMME bench — Node ${process.version}, ${os.cpus().length} cores, ${ROUNDS} rounds, medians`);
  const rows = [];
  for (const [name, byLib] of Object.entries(results)) {
    const base = median(byLib['better-sqlite3'].values);
    for (const library of LIBRARIES) {
      const m = median(byLib[library].values);
      const ratio = LOWER_IS_BETTER.has(name) ? '' : (m / base).toFixed(2) + '×';
      rows.push({ case: name, library, median: Number(m.toFixed(m < 100 ? 1 : 0)), unit: byLib[library].unit, 'vs better-sqlite3': ratio });
    }
  }
  console.table(rows);
  const discovery = JSON.parse(execFileSync(process.execPath, [path.join(__dirname, 'discovery.js')], { encoding: 'utf8' }).trim());
  console.log(`Schema discovery, ${discovery.tables} tables: median ${discovery.medianMs} ms`);
  results.discovery = discovery;
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  fs.writeFileSync(path.join(__dirname, 'results', 'latest.json'), JSON.stringify({ node: process.version, rounds: ROUNDS, results }, null, 2));
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
