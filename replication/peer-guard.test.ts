import { describe, expect, it } from 'vitest';
import { defaultLimits } from './limits.js';
import { PeerGuard } from './peer-guard.js';

describe('PeerGuard', () => {
  it('limits sessions per window and forgives after the window', () => {
    let now = 0;
    const guard = new PeerGuard(
      { ...defaultLimits, sessionsPerWindow: 2, rateWindowMs: 1000 },
      () => now,
    );
    expect([guard.allowSession('p'), guard.allowSession('p'), guard.allowSession('p')]).toEqual([
      true,
      true,
      false,
    ]);
    expect(guard.allowSession('q')).toBe(true);
    now = 1500;
    expect(guard.allowSession('p')).toBe(true);
  });

  it('penalises offenders for a doubling while, up to a minute', () => {
    let now = 0;
    const guard = new PeerGuard({ ...defaultLimits, penaltyMs: 1000 }, () => now);
    expect(guard.penalise('p')).toBe(1000);
    expect(guard.isPenalised('p')).toBe(true);
    expect(guard.allowSession('p')).toBe(false);
    now = 1001;
    expect(guard.isPenalised('p')).toBe(false);
    expect(guard.penalise('p')).toBe(2000);
    for (let i = 0; i < 20; i++) guard.penalise('p');
    expect(guard.penalise('p')).toBe(60_000);
  });
});
