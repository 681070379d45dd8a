#!/usr/bin/env node
'use strict';
// Installs the package's npm dependencies when they are missing or older than
// package-lock.json, so `npm test` and `npm run demo` work from a fresh clone.
const { execSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

function ensure(dir) {
  const lock = path.join(dir, 'package-lock.json');
  const marker = path.join(dir, 'node_modules', '.package-lock.json');
  const stale = !fs.existsSync(marker) || (fs.existsSync(lock) && fs.statSync(lock).mtimeMs > fs.statSync(marker).mtimeMs);
  if (!stale) return;
  // `npm ci` installs exactly what the lock file lists and never rewrites it,
  // so a test run leaves the clone clean (and fails loudly on a stale lock).
  const cmd = 'npm ci';
  console.log(`[noormme] ${cmd} in ${path.relative(process.cwd(), dir) || '.'}`);
  execSync(`${cmd} --no-audit --no-fund`, { cwd: dir, stdio: 'inherit' });
}

const root = path.resolve(__dirname, '..');
ensure(root);
for (const extra of process.argv.slice(2)) ensure(path.resolve(root, extra));
