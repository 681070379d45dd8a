'use strict';
// "Did you mean" for names: the closest candidate by edit distance, ignoring case.

function distance(a, b) {
  a = a.toLowerCase();
  b = b.toLowerCase();
  const prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length];
}

/** The closest of `candidates` to `name`, or undefined when none is close enough to help. */
function closest(name, candidates) {
  let best;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = distance(name, c);
    if (d < bestScore) {
      best = c;
      bestScore = d;
    }
  }
  return bestScore <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined;
}

function didYouMean(name, candidates) {
  const best = closest(name, candidates);
  return best === undefined ? '' : ` Did you mean '${best}'?`;
}

module.exports = { distance, closest, didYouMean };
