import { describe, expect, it } from 'vitest';
import { StateColumns } from './state-columns.js';

describe('state columns', () => {
  it('grow at least twofold when reserved a little more each time (a live projection catching up)', () => {
    const c = new StateColumns();
    let n = 1;
    // Reserve until the columns have grown once.
    const first = c.originKind;
    while (c.originKind === first) c.reserve(++n, n);
    const [kinds, via, size] = [c.originKind, c.via, n];
    // A little more each time, for a thousand more (the columns at least doubled): no new copy.
    while (n < size + 1000) c.reserve(++n, n);
    expect(c.originKind).toBe(kinds);
    expect(c.via).toBe(via);
    expect(c.originKind.length).toBeGreaterThan(size + 1000);
  });
});
