/**
 * An exact running sum of floats (Shewchuk's algorithm, as Python's
 * `math.fsum`): the partials are non-overlapping and represent the sum
 * exactly, so the rounded total does not depend on the order of the terms.
 * Plain `+=` would make a projection depend on arrival order.
 */
export type ExactSum = number[];

/** Adds `x` to the partials in place. */
export function addExact(partials: ExactSum, x: number): void {
  let i = 0;
  const n = partials.length;
  for (let j = 0; j < n; j++) {
    let y = partials[j]!;
    if (Math.abs(x) < Math.abs(y)) {
      const t = x;
      x = y;
      y = t;
    }
    const hi = x + y;
    const lo = y - (hi - x);
    if (lo !== 0) partials[i++] = lo;
    x = hi;
  }
  // Written in place, the length cut only when partials merged: shrinking
  // then pushing made V8 trim and regrow the array on every call (measured).
  partials[i] = x;
  if (n > i + 1) partials.length = i + 1;
}

/** The correctly rounded value of the partials. */
export function exactValue(partials: ExactSum): number {
  let n = partials.length;
  if (n === 0) return 0;
  let hi = partials[--n]!;
  let lo = 0;
  while (n > 0) {
    const x = hi;
    const y = partials[--n]!;
    hi = x + y;
    const yr = hi - x;
    lo = y - yr;
    if (lo !== 0) break;
  }
  // Round half-even across the remaining partials, as fsum does.
  if (n > 0 && ((lo < 0 && partials[n - 1]! < 0) || (lo > 0 && partials[n - 1]! > 0))) {
    const y = lo * 2;
    const x = hi + y;
    if (y === x - hi) hi = x;
  }
  return hi === 0 ? 0 : hi;
}
