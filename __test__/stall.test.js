'use strict';
// No input a request can carry may crash the process or stall the event
// loop (issue #14, part 3). Each case runs in a child process with a 5 ms
// timer: the child must exit normally, the timer never wait over 50 ms, and
// the input either run or be refused with a NoormmeError code.
const test = require('node:test');
const assert = require('node:assert/strict');
const path = require('node:path');
const { spawnSync } = require('node:child_process');
const { NOORMME } = require('..');
const { tempDb } = require('./helpers');

const PROBE = path.join(__dirname, 'fixtures', 'hostile-input.js');

async function fixture() {
  const file = tempDb();
  const db = new NOORMME({ database: file });
  await db.exec('CREATE TABLE doc (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  // A 200 KB row of 'a' (the worst case for the long suffixes and infixes
  // below, which almost match everywhere), a 1,500-character row, and short rows.
  await db.execute('INSERT INTO doc (body) VALUES (?), (?), (?), (?)', ['a'.repeat(200 * 1024), 'x'.repeat(1500), 'short', 'A'.repeat(200 * 1024)]);
  db.close();
  return file;
}

function probe(file, name) {
  const child = spawnSync(process.execPath, [PROBE, file, name], { encoding: 'utf8', timeout: 60000 });
  assert.equal(child.signal, null, `${name}: the process died with ${child.signal}\n${child.stderr}`);
  assert.equal(child.status, 0, `${name}: exit ${child.status}\n${child.stderr}`);
  return JSON.parse(child.stdout);
}

const EXPECT = {
  nestedRegexLookup: 'refused',
  nestedRegexRaw: 'refused',
  repeatRegex: 'either',
  repeatIregex: 'either',
  foldedClasses: 'either',
  unicodeClasses: 'either',
  hugePattern: 'refused',
  longEndswith: 0,
  longIendswith: 0,
  longContains: 0,
  longIcontains: 0,
  longStartswith: 0,
  longIstartswith: 0,
  deepQ: 'refused',
  absurdRows: 'refused',
  deepShape: 'refused',
};

test('hostile inputs neither crash the process nor stall the event loop past 50 ms', async () => {
  const file = await fixture();
  for (const [name, expected] of Object.entries(EXPECT)) {
    const report = probe(file, name);
    const label = `${name}: ${JSON.stringify(report)}`;
    assert.ok(report.maxGapMs < 50, `${label}: the event loop stalled`);
    if (expected === 'refused' || (expected === 'either' && report.outcome === 'refused')) {
      assert.equal(report.outcome, 'refused', label);
      assert.match(report.name, /^(NoormmeError|SqliteError)$/, label);
      assert.equal(typeof report.code, 'string', label);
      assert.doesNotMatch(report.message, /panicked|capacity overflow|stack/i, label);
    } else if (expected !== 'either') {
      assert.equal(report.outcome, 'ran', label);
      assert.equal(report.result, expected, label);
    }
  }
});
