/** "Did you mean ...?": the known name closest to a mistyped one. */

/** Edit distance (insertions, deletions, substitutions, adjacent transpositions). */
function distance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/**
 * The candidate `name` most likely meant: the only one it begins (`--max` for
 * `--max-instructions`) or that begins it (`--memory` for `--mem`), else the
 * nearest within a third of its length (at least one edit); undefined when none is close.
 */
export function closest(name: string, candidates: readonly string[]): string | undefined {
  const lower = name.toLowerCase();
  const prefixed = candidates.filter((c) => {
    const l = c.toLowerCase();
    return (lower.length >= 2 && l.startsWith(lower)) || (l.length >= 3 && lower.startsWith(l));
  });
  if (prefixed.length === 1) return prefixed[0];
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(lower.length / 3)) + 1;
  for (const c of candidates) {
    const d = distance(lower, c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return best;
}

/** " (did you mean X?)" or "". */
export function didYouMean(name: string, candidates: readonly string[], show: (c: string) => string = (c) => c): string {
  const c = closest(name, candidates);
  return c === undefined ? "" : ` (did you mean ${show(c)}?)`;
}
