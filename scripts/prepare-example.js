#!/usr/bin/env node
'use strict';
// Installs the example app's dependencies with a fresh copy of this package
// (it is installed as files, not a symlink, so Next.js treats it as the
// external package it is), after the addon was built.
const fs = require('node:fs');
const path = require('node:path');
const { execSync } = require('node:child_process');

const app = path.resolve(__dirname, '..', 'examples', 'nextjs-app');
fs.rmSync(path.join(app, 'node_modules', 'noormme'), { recursive: true, force: true });
execSync('npm install --no-audit --no-fund', { cwd: app, stdio: 'inherit' });
