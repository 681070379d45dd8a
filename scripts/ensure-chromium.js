#!/usr/bin/env node
'use strict';
// Makes sure the end-to-end test has a browser: Debian's chromium (driven by
// playwright-core, which downloads nothing). Installs it with apt-get when it
// is missing and we are root on a Debian-like system; otherwise says what to
// install and fails, before any test runs.
const fs = require('node:fs');
const { execSync } = require('node:child_process');

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

function has(command) {
  try {
    execSync(`command -v ${command}`, { stdio: 'ignore', shell: '/bin/sh' });
    return true;
  } catch {
    return false;
  }
}

if (!fs.existsSync(CHROMIUM)) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !has('apt-get')) {
    console.error(`[noormme] the end-to-end test needs Chromium at ${CHROMIUM}: install Debian's package (sudo apt-get install chromium), or set CHROMIUM_PATH to a Chromium binary.`);
    process.exit(1);
  }
  console.log("[noormme] installing Debian's chromium for the end-to-end test");
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execSync('apt-get update -qq', { stdio: 'inherit', env });
  execSync('apt-get install -y -qq --no-install-recommends chromium', { stdio: 'inherit', env });
  if (!fs.existsSync(CHROMIUM)) {
    console.error(`[noormme] apt-get installed chromium, but ${CHROMIUM} is still missing: set CHROMIUM_PATH`);
    process.exit(1);
  }
}
