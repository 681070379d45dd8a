'use strict';
// What a Next.js build says when NOORMME is used where it cannot run: small
// apps built with the example's installed Next.js (hard-linked, not copied),
// under Turbopack and webpack. The example app itself is covered by e2e.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const { ROOT, tempDir } = require('./helpers');

const EXAMPLE = path.join(ROOT, 'examples', 'nextjs-app');
execFileSync(process.execPath, [path.join(ROOT, 'scripts', 'prepare-example.js')], { stdio: 'inherit' });

const WITH_NOORMME = "import { withNoormme } from 'noormme/next';\nexport default withNoormme({ turbopack: { root: import.meta.dirname } });\n";
const WITHOUT = 'export default { turbopack: { root: import.meta.dirname } };\n';
const LAYOUT = 'export default function Layout({ children }) { return <html><body>{children}</body></html>; }\n';
const COUNT_ROUTE = [
  "import { NOORMME } from 'noormme';",
  "export const dynamic = 'force-dynamic';",
  'export async function GET() {',
  "  const db = new NOORMME({ database: ':memory:' });",
  "  return Response.json(await db.query('SELECT 40 + 2 AS answer'));",
  '}',
  '',
].join('\n');

/** Builds an app made of `files`; returns the exit status and the output. */
function build(files, { webpack = false } = {}) {
  const dir = tempDir('noormme-next-');
  execFileSync('cp', ['-al', path.join(EXAMPLE, 'node_modules'), path.join(dir, 'node_modules')]);
  fs.writeFileSync(path.join(dir, 'package.json'), '{ "private": true }\n');
  for (const [name, text] of Object.entries({ 'app/layout.js': LAYOUT, ...files })) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  const next = path.join(dir, 'node_modules', 'next', 'dist', 'bin', 'next');
  const result = spawnSync(process.execPath, [next, 'build', ...(webpack ? ['--webpack'] : [])], {
    cwd: dir,
    env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1' },
    encoding: 'utf8',
    timeout: 180000,
  });
  return { dir, status: result.status, output: `${result.stdout}\n${result.stderr}` };
}

/** Starts `next start` on a built app, fetches `urlPath` once it answers (30 s at most), stops it; `{ status, body }`. */
async function startAndFetch(dir, urlPath) {
  const port = 30000 + ((process.pid + urlPath.length) % 20000);
  const next = path.join(dir, 'node_modules', 'next', 'dist', 'bin', 'next');
  const server = spawn(process.execPath, [next, 'start', '-H', '127.0.0.1', '-p', String(port)], { cwd: dir, stdio: 'ignore' });
  try {
    const deadline = Date.now() + 30000;
    let res;
    while (!res && Date.now() < deadline) {
      res = await fetch(`http://127.0.0.1:${port}${urlPath}`, { signal: AbortSignal.timeout(5000) }).catch(() => new Promise((r) => setTimeout(r, 250)));
    }
    assert.ok(res, 'the server answered within 30 s');
    return { status: res.status, body: await res.text() };
  } finally {
    server.kill('SIGTERM');
  }
}

const SERVER_ONLY = /NOORMME runs only in the Node\.js server runtime.*Client Component or an edge route/;

for (const webpack of [false, true]) {
  const bundler = webpack ? 'webpack' : 'Turbopack';

  test(`${bundler}: importing noormme in a Client Component fails the build with NOORMME's explanation`, { timeout: 200000 }, () => {
    const { status, output } = build(
      {
        'next.config.mjs': WITH_NOORMME,
        'app/Widget.js': "'use client';\nimport { NOORMME } from 'noormme';\nexport default function Widget() { return <p>{typeof NOORMME}</p>; }\n",
        'app/page.js': "import Widget from './Widget';\nexport default function Page() { return <Widget />; }\n",
      },
      { webpack },
    );
    assert.notEqual(status, 0, output);
    assert.match(output, SERVER_ONLY);
  });

  test(`${bundler}: without withNoormme the build fails naming the fix`, { timeout: 200000 }, () => {
    const { status, output } = build({ 'next.config.mjs': WITHOUT, 'app/api/answer/route.js': COUNT_ROUTE }, { webpack });
    assert.notEqual(status, 0, output);
    assert.match(output, /wrap next\.config with withNoormme\(\) from 'noormme\/next'/);
    assert.doesNotMatch(output, /bindings file/);
  });
}

test("Turbopack: a route with runtime = 'edge' fails the build with NOORMME's explanation", { timeout: 200000 }, () => {
  const edge = COUNT_ROUTE.replace("export const dynamic = 'force-dynamic';", "export const runtime = 'edge';");
  const { status, output } = build({ 'next.config.mjs': WITH_NOORMME, 'app/api/answer/route.js': edge });
  assert.notEqual(status, 0, output);
  assert.match(output, SERVER_ONLY);
});

test('webpack: with withNoormme a route handler builds and answers from SQLite', { timeout: 200000 }, async () => {
  const { dir, status, output } = build({ 'next.config.mjs': WITH_NOORMME, 'app/api/answer/route.js': COUNT_ROUTE }, { webpack: true });
  assert.equal(status, 0, output);
  const res = await startAndFetch(dir, '/api/answer');
  assert.equal(res.status, 200);
  assert.deepEqual(JSON.parse(res.body), [{ answer: 42 }]);
});

test('Turbopack with cacheComponents (create-next-app 16 turns it on): the README pattern, queries inside <Suspense> after connection(), builds and answers', { timeout: 200000 }, async () => {
  const config = "import { withNoormme } from 'noormme/next';\nexport default withNoormme({ cacheComponents: true, turbopack: { root: import.meta.dirname } });\n";
  const page = [
    "import { Suspense } from 'react';",
    "import { connection } from 'next/server';",
    "import { NOORMME } from 'noormme';",
    "const db = new NOORMME({ database: ':memory:' });",
    'async function Answer() {',
    '  await connection();',
    "  const [row] = await db.query('SELECT 40 + 2 AS answer');",
    '  return <p id="answer">{row.answer}</p>;',
    '}',
    'export default function Page() {',
    '  return <Suspense fallback={<p>Loading</p>}><Answer /></Suspense>;',
    '}',
    '',
  ].join('\n');
  const { dir, status, output } = build({ 'next.config.mjs': config, 'app/page.js': page });
  assert.equal(status, 0, output);
  assert.match((await startAndFetch(dir, '/')).body, /id="answer">42</);
  // Without the boundary the build stops, as Next.js requires: the README says why.
  const blocking = page.replace('export default function Page() {\n  return <Suspense fallback={<p>Loading</p>}><Answer /></Suspense>;\n}', 'export default Answer;');
  const failed = build({ 'next.config.mjs': config, 'app/page.js': blocking });
  assert.notEqual(failed.status, 0, failed.output);
  assert.match(failed.output, /Suspense/);
});
