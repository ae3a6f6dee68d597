import type { ReplicationLimits } from './limits.js';

interface PeerRecord {
  windowStart: number;
  sessions: number;
  offences: number;
  penalisedUntil: number;
}

/**
 * Per-peer rate limits: a budget of inbound sessions per window, and a
 * penalty (refusal for a while, doubling per offence up to a minute) for a
 * peer that sent invalid blocks. The clock is injected.
 */
export class PeerGuard {
  readonly #limits: ReplicationLimits;
  readonly #now: () => number;
  readonly #peers = new Map<string, PeerRecord>();

  constructor(limits: ReplicationLimits, now: () => number = () => performance.now()) {
    this.#limits = limits;
    this.#now = now;
  }

  #record(peer: string): PeerRecord {
    let r = this.#peers.get(peer);
    if (r === undefined) {
      if (this.#peers.size > 10_000) this.#peers.clear();
      r = { windowStart: this.#now(), sessions: 0, offences: 0, penalisedUntil: 0 };
      this.#peers.set(peer, r);
    }
    return r;
  }

  /** True while `peer` is refused for an offence. */
  isPenalised(peer: string): boolean {
    return this.#record(peer).penalisedUntil > this.#now();
  }

  /** Counts one inbound session; false when the peer is over budget or penalised. */
  allowSession(peer: string): boolean {
    const r = this.#record(peer);
    const now = this.#now();
    if (r.penalisedUntil > now) return false;
    if (now - r.windowStart > this.#limits.rateWindowMs) {
      r.windowStart = now;
      r.sessions = 0;
    }
    r.sessions++;
    return r.sessions <= this.#limits.sessionsPerWindow;
  }

  /** Records an offence (invalid blocks, protocol violation); returns the penalty in ms. */
  penalise(peer: string): number {
    const r = this.#record(peer);
    r.offences++;
    const ms = Math.min(60_000, this.#limits.penaltyMs * 2 ** Math.min(r.offences - 1, 10));
    r.penalisedUntil = this.#now() + ms;
    return ms;
  }

  /** Peers currently penalised, with their offence counts. */
  penalised(): { peer: string; offences: number }[] {
    const now = this.#now();
    return [...this.#peers]
      .filter(([, r]) => r.penalisedUntil > now)
      .map(([peer, r]) => ({ peer, offences: r.offences }));
  }
}
