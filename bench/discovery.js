'use strict';
// Schema discovery time on a 100-table database (with foreign keys, indexes,
// date and boolean columns to sample). Prints the median of 20 runs.
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { NOORMME } = require('..');

(async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'noormme-discovery-'));
  const db = new NOORMME({ database: path.join(dir, 'wide.sqlite') });
  const ddl = [];
  for (let i = 0; i < 100; i++) {
    const fk = i > 0 ? `, parent_id INTEGER REFERENCES t${i - 1}(id), other_id INTEGER REFERENCES t${Math.floor(i / 2)}(id)` : '';
    ddl.push(`CREATE TABLE t${i}(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, active BOOLEAN, created DATETIME, price DECIMAL(8,2), data JSON${fk});`);
    ddl.push(`CREATE INDEX t${i}_created ON t${i}(created);`);
    ddl.push(`INSERT INTO t${i}(name, active, created, price, data) VALUES ('a', 1, '2024-01-01 10:00:00', 1.5, '{}'), ('b', 0, '2024-01-02 10:00:00', 2, '[]');`);
  }
  await db.exec(ddl.join('\n'));
  const times = [];
  for (let run = 0; run < 20; run++) {
    const started = performance.now();
    db.refreshSchema();
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  const tables = db.schema().tables.length;
  console.log(JSON.stringify({ case: 'discovery-100-tables', tables, medianMs: Number(times[10].toFixed(2)), minMs: Number(times[0].toFixed(2)) }));
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
})();
