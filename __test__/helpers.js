'use strict';
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const SHARED_DATA = path.join(__dirname, 'data');

/** A fresh temporary directory, removed when the process exits. */
function tempDir(prefix = 'noormme-') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function tempDb(name = 'test.db') {
  return path.join(tempDir(), name);
}

/** Copies one of the shared sample databases so tests may write to it. */
function copyShared(name) {
  const source = path.join(SHARED_DATA, name);
  const target = path.join(tempDir(), name);
  fs.copyFileSync(source, target);
  fs.chmodSync(target, 0o644);
  return target;
}

/**
 * Watches the event loop with a 5 ms timer; `stop()` returns the longest
 * wait between two ticks, in ms (a stall shows as a long wait).
 */
function watchEventLoop() {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 5);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(worst, performance.now() - last);
    },
  };
}

/** Stops a child process: SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
function stopChild(child, graceMs = 5000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  child.kill('SIGTERM');
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

module.exports = { ROOT, SHARED_DATA, tempDir, tempDb, copyShared, watchEventLoop, stopChild };
