'use strict';
// `npm run demo`'s server step, as a user runs it from a fresh clone (the
// build step of `npm run demo` has run by then, as `npm test` builds first):
// it installs and builds the example, serves it, and answers with the blog.
const test = require('node:test');
const assert = require('node:assert/strict');
const net = require('node:net');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { ROOT, stopChild } = require('./helpers');

function freePort() {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

test('scripts/demo.js builds the example and serves the blog on 127.0.0.1', { timeout: 300000 }, async () => {
  const port = await freePort();
  const demo = spawn(process.execPath, [path.join(ROOT, 'scripts', 'demo.js')], { cwd: ROOT, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  demo.stdout.on('data', (d) => (log += d));
  demo.stderr.on('data', (d) => (log += d));
  try {
    const deadline = Date.now() + 240000;
    let body = null;
    while (body === null && Date.now() < deadline) {
      assert.equal(demo.exitCode, null, `the demo exited early:\n${log.slice(-3000)}`);
      if (log.includes(`http://127.0.0.1:${port}`)) {
        const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) }).catch(() => null);
        if (res && res.status === 200) body = await res.text();
      }
      if (body === null) await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(body !== null, `no answer within 240 s:\n${log.slice(-3000)}`);
    assert.match(body, /<h1>Posts<\/h1>/);
    assert.match(body, /data-testid="total">\d+/);
  } finally {
    await stopChild(demo, 10000);
  }
});
