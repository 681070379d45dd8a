'use strict';
// Turns a peers run (results/peers-latest.json) into the README's results
// table and bench/chart.svg (bars per workload: ratio to raw better-sqlite3,
// log scale). `node bench/report.js` redraws both from the last run.
const fs = require('node:fs');
const path = require('node:path');

const README = path.join(__dirname, '..', 'README.md');
const CHART = path.join(__dirname, 'chart.svg');
const START = '<!-- bench:peers:start -->';
const END = '<!-- bench:peers:end -->';
const COLORS = { raw: '#8a8a8a', 'raw-async': '#bdbdbd', drizzle: '#c5d86d', 'drizzle-prepared': '#8fb339', kysely: '#5b8def', prisma: '#2d3748', noormme: '#e4572e' };
const LABELS = {
  'get-by-pk': '1. one user by primary key',
  'filtered-list-50': '2. filtered, ordered 50 users',
  'users-with-posts-20': '3. 20 users with their posts',
  'insert-one': '4. insert one user',
  'bulk-insert-10k': '5. bulk insert 10,000 posts',
  'count-range': '6. count over 100 authors',
  'update-author': "7. update one author's posts",
  'event-loop-lag': '8. event-loop lag, 250 ms query',
  'parallel-slow-reads': '9. 8 concurrent 20 ms reads',
  'cold-start': '10. cold start to first result',
};

/** Workloads in their issue order (1–10), whatever order they ran in. */
const ordered = (results) => Object.keys(results).sort((a, b) => parseInt(LABELS[a] ?? '99', 10) - parseInt(LABELS[b] ?? '99', 10));

const fmt = (n) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toPrecision(3));

function markdown(run) {
  const { peers, results, versions } = run;
  const lines = [
    `Measured ${run.date.slice(0, 10)} on ${versions.cpus}, Node ${versions.node}; better-sqlite3 ${versions['better-sqlite3']}, drizzle-orm ${versions['drizzle-orm']}, kysely ${versions.kysely}, Prisma ${versions.prisma}, NOORMME ${versions.noormme}. Medians of ${run.rounds} rounds, one process per round and peer; the ratio is to raw better-sqlite3 called synchronously, as its users call it (higher is better; for 8–10, raw's time divided by the peer's); raw-async is the same statements awaited one by one. Regenerate with \`npm run bench\`.`,
    '',
    `| workload | ${peers.join(' | ')} |`,
    `|---|${peers.map(() => '---:').join('|')}|`,
  ];
  for (const w of ordered(results)) {
    const byPeer = results[w];
    const cells = peers.map((peer) => {
      const r = byPeer[peer];
      if (!r) return '—';
      if (r.failed) return 'failed';
      const unit = r.unit === 'ops/s' ? '/s' : ' ms';
      const rss = r.rssMb ? `, ${Math.round(r.rssMb)} MB` : '';
      return `${fmt(r.median)}${unit}${rss} (${r.ratio.toFixed(r.ratio < 0.1 ? 3 : 2)}×)`;
    });
    lines.push(`| ${LABELS[w] ?? w} | ${cells.join(' | ')} |`);
  }
  lines.push('', '![NOORMME and its peers: ratio to raw better-sqlite3 per workload](bench/chart.svg)');
  return lines.join('\n');
}

function svg(run) {
  const { peers, results } = run;
  const workloads = ordered(results);
  const bar = 11;
  const groupHeight = peers.length * bar + 14;
  const left = 230;
  const width = 760;
  const plot = width - left - 20;
  const top = 40;
  const height = top + workloads.length * groupHeight + 40;
  const [lo, hi] = [-3, 1]; // 0.001× to 10×, log scale
  const x = (ratio) => left + ((Math.log10(Math.min(Math.max(ratio, 10 ** lo), 10 ** hi)) - lo) / (hi - lo)) * plot;
  const out = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="20" y="16" font-size="13" font-weight="bold">Ratio to raw better-sqlite3 (log scale; higher is better)</text>`,
  ];
  for (let p = lo; p <= hi; p++) {
    const gx = x(10 ** p);
    out.push(`<line x1="${gx}" y1="${top - 8}" x2="${gx}" y2="${height - 30}" stroke="${p === 0 ? '#000' : '#ddd'}"/>`);
    out.push(`<text x="${gx}" y="${height - 16}" text-anchor="middle">${10 ** p}×</text>`);
  }
  workloads.forEach((w, wi) => {
    const gy = top + wi * groupHeight;
    out.push(`<text x="${left - 8}" y="${gy + (peers.length * bar) / 2 + 4}" text-anchor="end">${LABELS[w] ?? w}</text>`);
    peers.forEach((peer, pi) => {
      const r = results[w][peer];
      const y = gy + pi * bar;
      if (!r || r.failed || r.ratio === null) return;
      out.push(`<rect x="${left}" y="${y}" width="${Math.max(1, x(r.ratio) - left).toFixed(1)}" height="${bar - 2}" fill="${COLORS[peer] ?? '#999'}"/>`);
    });
  });
  peers.forEach((peer, i) => {
    const lx = 20 + i * 120;
    out.push(`<rect x="${lx}" y="22" width="10" height="10" fill="${COLORS[peer] ?? '#999'}"/><text x="${lx + 14}" y="31">${peer}</text>`);
  });
  out.push('</svg>');
  return out.join('\n');
}

function writeReport(run) {
  const readme = fs.readFileSync(README, 'utf8');
  const at = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (at < 0 || end < at) throw new Error(`README.md lacks the ${START} … ${END} markers`);
  fs.writeFileSync(README, `${readme.slice(0, at + START.length)}\n${markdown(run)}\n${readme.slice(end)}`);
  fs.writeFileSync(CHART, `${svg(run)}\n`);
}

module.exports = { writeReport };

if (require.main === module) {
  writeReport(JSON.parse(fs.readFileSync(path.join(__dirname, 'results', 'peers-latest.json'), 'utf8')));
}
