'use strict';
// Measurements shared by the peers workloads and the raw-layer cases.

/** The worst gap a 5 ms timer sees while `work()` runs. */
async function worstTimerGap(work) {
  let last = performance.now();
  let worst = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last);
    last = now;
  }, 5);
  await new Promise((r) => setTimeout(r, 25));
  last = performance.now();
  await work();
  await new Promise((r) => setTimeout(r, 15));
  clearInterval(timer);
  return worst;
}

/** The argument `n` for which `slow(n)` (a recursive CTE counting to n) takes about `ms`. */
async function calibrate(slow, ms) {
  let n = 100000;
  for (;;) {
    const started = performance.now();
    await slow(n);
    const took = performance.now() - started;
    if (took > 20) return Math.round((n * ms) / took);
    n *= 4;
  }
}

module.exports = { worstTimerGap, calibrate };
