'use strict';
// `npm run bench [-- --only=<workload,...> --peers=<peer,...> --rounds=N]`:
// NOORMME beside raw better-sqlite3, Drizzle, Kysely and Prisma on one
// generated database. One process per (round, peer), each on a fresh copy;
// peer order rotates between rounds. Every peer's results are first checked
// equal to raw better-sqlite3's; a peer that differs is reported, not timed.
// A full run also rewrites the README table and chart, then runs the
// raw-layer cases (raw-layer.js).
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { execFileSync } = require('node:child_process');
const { seedBenchDatabase } = require('./peers/seed');
const { writeReport } = require('./report');

const ALL_PEERS = ['raw', 'raw-async', 'drizzle', 'drizzle-prepared', 'kysely', 'prisma', 'noormme'];
// In the order they run in each process: reads first, then the writes, so no
// peer's reads see rows another workload of its own added.
const ALL_WORKLOADS = ['get-by-pk', 'filtered-list-50', 'users-with-posts-20', 'count-range', 'event-loop-lag', 'parallel-slow-reads', 'insert-one', 'update-author', 'bulk-insert-10k', 'cold-start'];
const CHECKED = new Set(['get-by-pk', 'filtered-list-50', 'users-with-posts-20', 'count-range', 'insert-one', 'update-author', 'bulk-insert-10k']);

const args = Object.fromEntries(
  process.argv
    .slice(2)
    .filter((a) => a.startsWith('--'))
    .map((a) => {
      const [k, v = ''] = a.slice(2).split('=');
      return [k, v];
    }),
);
const pick = (value, all, what) => {
  if (!value) return all;
  const list = value.split(',').filter(Boolean);
  for (const item of list) if (!all.includes(item)) throw new Error(`unknown ${what} '${item}': ${all.join(', ')}`);
  return list;
};
const peers = pick(args.peers, ALL_PEERS, 'peer');
if (!peers.includes('raw')) peers.unshift('raw'); // the baseline every ratio needs
const chosen = pick(args.only, ALL_WORKLOADS, 'workload');
const workloads = ALL_WORKLOADS.filter((w) => chosen.includes(w));
const rounds = Number(args.rounds || process.env.BENCH_ROUNDS || 5);
const full = !args.only && !args.peers;

const worker = path.join(__dirname, 'peers', 'worker.js');
const env = { ...process.env, NODE_ENV: 'production' };

function ensurePrismaClient() {
  const schema = path.join(__dirname, 'prisma', 'schema.prisma');
  const built = path.join(__dirname, 'generated', 'prisma-js', 'client.js');
  if (fs.existsSync(built) && fs.statSync(built).mtimeMs > fs.statSync(schema).mtimeMs) return;
  // Prisma 7's generator needs no engine download; it only checks that this
  // variable names an existing file.
  const prismaEnv = { ...process.env, PRISMA_SCHEMA_ENGINE_BINARY: process.execPath, PRISMA_HIDE_UPDATE_MESSAGE: '1' };
  execFileSync(process.execPath, [require.resolve('prisma/build/index.js'), 'generate', '--schema', schema], { cwd: __dirname, env: prismaEnv, stdio: 'inherit' });
  // The generated client is TypeScript; compile it for Node 20.
  const tsc = path.join(__dirname, '..', 'node_modules', 'typescript', 'bin', 'tsc');
  fs.rmSync(path.join(__dirname, 'generated', 'prisma-js'), { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [tsc, '--outDir', 'generated/prisma-js', '--module', 'commonjs', '--moduleResolution', 'node', '--target', 'es2022', '--skipLibCheck', '--esModuleInterop', 'generated/prisma/client.ts'],
    { cwd: __dirname, stdio: 'inherit' },
  );
}

function runWorker(peer, source, dir, mode, list) {
  const copy = path.join(dir, `${peer}-${mode}.sqlite`);
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(copy + suffix, { force: true });
  fs.copyFileSync(source, copy);
  const out = execFileSync(process.execPath, [worker, peer, copy, mode, list.join(',')], { env, encoding: 'utf8', maxBuffer: 64 << 20 });
  return JSON.parse(out.trim().split('\n').at(-1));
}

function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function versions() {
  const version = (name) => JSON.parse(fs.readFileSync(path.join(__dirname, 'node_modules', name, 'package.json'), 'utf8')).version;
  return {
    node: process.version,
    cpus: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}`,
    'better-sqlite3': version('better-sqlite3'),
    'drizzle-orm': version('drizzle-orm'),
    kysely: version('kysely'),
    prisma: version('@prisma/client'),
    noormme: require('../package.json').version,
  };
}

if (peers.includes('prisma')) ensurePrismaClient();
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'noormme-peers-'));
try {
  const source = path.join(dir, 'bench.sqlite');
  seedBenchDatabase(source);

  // Correctness first: the same answers as raw better-sqlite3, or no timing.
  const checked = workloads.filter((w) => CHECKED.has(w));
  const failed = {};
  let reference = null;
  for (const peer of peers) {
    const got = runWorker(peer, source, dir, 'check', checked);
    if (peer === 'raw') reference = got;
    for (const w of checked) {
      const why = got[w]?.error ?? (JSON.stringify(got[w]) === JSON.stringify(reference[w]) ? null : 'results differ from raw better-sqlite3');
      if (why) (failed[peer] ??= {})[w] = why;
    }
  }

  const samples = {};
  const record = (peer, w, value, unit, extra) => {
    const entry = ((samples[w] ??= {})[peer] ??= { unit, values: [], extra: [] });
    entry.values.push(value);
    if (extra) entry.extra.push(extra);
  };
  for (let round = 0; round < rounds; round++) {
    const order = peers.map((_, i) => peers[(i + round) % peers.length]);
    for (const peer of order) {
      const list = workloads.filter((w) => w !== 'cold-start' && !failed[peer]?.[w]);
      if (list.length) {
        const got = runWorker(peer, source, dir, 'time', list);
        for (const w of list) {
          if (got[w].error) (failed[peer] ??= {})[w] = got[w].error;
          else record(peer, w, got[w].value, got[w].unit);
        }
      }
      if (workloads.includes('cold-start')) {
        const cold = runWorker(peer, source, dir, 'cold', []);
        record(peer, 'cold-start', cold.value, cold.unit, cold.rssMb);
      }
    }
    process.stdout.write(`round ${round + 1}/${rounds} done\n`);
  }

  const results = {};
  for (const w of workloads) {
    results[w] = {};
    const base = samples[w]?.raw ? median(samples[w].raw.values) : null;
    for (const peer of peers) {
      if (failed[peer]?.[w]) {
        results[w][peer] = { failed: failed[peer][w] };
        continue;
      }
      const s = samples[w]?.[peer];
      if (!s) continue;
      const m = median(s.values);
      const lowerIsBetter = s.unit.startsWith('ms');
      results[w][peer] = {
        unit: s.unit,
        median: m,
        min: Math.min(...s.values),
        max: Math.max(...s.values),
        ratio: base ? (lowerIsBetter ? base / m : m / base) : null,
        ...(s.extra.length ? { rssMb: median(s.extra) } : {}),
      };
    }
  }
  const run = { date: new Date().toISOString(), rounds, versions: versions(), peers, results };
  fs.mkdirSync(path.join(__dirname, 'results'), { recursive: true });
  // Only a full run feeds the README table; a narrowed one is kept apart.
  fs.writeFileSync(path.join(__dirname, 'results', full ? 'peers-latest.json' : 'peers-partial.json'), JSON.stringify(run, null, 2));

  const table = [];
  for (const [w, byPeer] of Object.entries(results)) {
    for (const [peer, r] of Object.entries(byPeer)) {
      table.push(
        r.failed
          ? { workload: w, peer, median: 'FAILED', ratio: r.failed.slice(0, 60) }
          : { workload: w, peer, median: Number(r.median.toPrecision(4)), unit: r.unit, min: Number(r.min.toPrecision(4)), max: Number(r.max.toPrecision(4)), ratio: r.ratio === null ? '' : `${r.ratio.toFixed(3)}×`, ...(r.rssMb ? { rssMb: Math.round(r.rssMb) } : {}) },
      );
    }
  }
  console.table(table);
  if (full) {
    writeReport(run);
    console.log('README table and bench/chart.svg updated from results/peers-latest.json');
    execFileSync(process.execPath, [path.join(__dirname, 'raw-layer.js')], { stdio: 'inherit' });
  }
} finally {
  fs.rmSync(dir, { recursive: true, force: true });
}
