#!/usr/bin/env node
'use strict';
// `npm run demo`, after the addon is built: installs the example app, seeds
// its database if missing, builds it and serves it on 127.0.0.1:3000
// (PORT overrides the port). Ctrl-C stops the server.
const path = require('node:path');
const { spawn, execFileSync } = require('node:child_process');

const root = path.resolve(__dirname, '..');
const app = path.join(root, 'examples', 'nextjs-app');
const next = path.join(app, 'node_modules', 'next', 'dist', 'bin', 'next');
const port = process.env.PORT ?? '3000';
const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1' };

function step(title, args, cwd = app) {
  console.log(`\n[demo] ${title}`);
  execFileSync(process.execPath, args, { cwd, env, stdio: 'inherit' });
}

step('installing the example app', [path.join(__dirname, 'prepare-example.js')], root);
step('seeding the blog database if missing', [path.join(app, 'scripts', 'seed.js')]);
step('building the app (next build)', [next, 'build']);

console.log(`\n[demo] serving the blog on http://127.0.0.1:${port}`);
console.log('[demo] sign-in links are printed here and written to examples/nextjs-app/data/magic-links.log');
const server = spawn(process.execPath, [next, 'start', '-H', '127.0.0.1', '-p', port], { cwd: app, env, stdio: 'inherit' });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => server.kill(signal));
server.on('exit', (code, signal) => process.exit(code ?? (signal ? 0 : 1)));
