import { describe, expect, it } from 'vitest';
import type { BlockId, GenotypeId } from '../crypto/index.js';
import type { EventStore, SignedBlock } from '../ledger/index.js';
import {
  authorWriter,
  chainRun,
  continueRun,
  startRun,
  syntheticLedger,
} from '../property-tests/projections-synthetic.js';
import {
  descendants,
  formatLineageDot,
  formatLineageText,
  lineage,
  LiveProjection,
} from './index.js';

async function deepRun(generations: number) {
  const { ledger, store, realm } = await syntheticLedger();
  const w = await authorWriter(ledger, realm, 'deep', 200);
  const run = continueRun(w, startRun(w, { seed: 11, population: 2, k: 1 }), generations);
  await w.flush();
  return { store, run };
}

describe('lineage', () => {
  it('walks back to the seed, one step per generation, every signature checked', async () => {
    const { store, run } = await deepRun(30);
    const champion = run.survivors[0]!.genotype;
    const l = await lineage(store, champion);
    expect(l.verified).toBe(true);
    expect(l.intact).toBe(true);
    expect(l.seeds).toHaveLength(1);
    expect(l.missing).toEqual([]);
    expect(l.steps[0]!.genotype).toBe(champion);
    expect(l.steps[0]!.evaluations.length).toBeGreaterThan(0);
    // Survivors of a generation may come from earlier ones: depth ≤ generations.
    expect(l.steps.length).toBeGreaterThan(1);
    expect(l.steps.length).toBeLessThanOrEqual(31);
    const seed = l.steps[l.steps.length - 1]!;
    expect(seed.origin?.kind).toBe('seed');
    for (const s of l.steps.slice(0, -1)) {
      expect(s.origin?.kind).toBe('mutation');
      expect(s.origin!.ops.length).toBeGreaterThan(0);
      expect(s.origin!.verification?.ok).toBe(true);
    }
    const text = formatLineageText(l);
    expect(text[text.length - 1]).toContain('checks out');
    const dot = formatLineageDot(l);
    expect(dot.startsWith('digraph lineage {')).toBe(true);
    expect(dot.match(/->/g)?.length).toBe(l.steps.length - 1);
  });

  it('follows a chain of 120 generations, and stops at --depth and says so', async () => {
    const { ledger, store, realm } = await syntheticLedger();
    const w = await authorWriter(ledger, realm, 'chain', 100);
    const { genotypes } = chainRun(w, { seed: 5, generations: 120 });
    await w.flush();
    const last = genotypes[genotypes.length - 1]!;
    const full = await lineage(store, last);
    expect(full.steps.map((s) => s.genotype)).toEqual([...genotypes].reverse());
    expect(full.intact).toBe(true);
    // Through the projections' origin table: the same steps, the same verdicts.
    const live = await LiveProjection.open(store);
    const projected = await lineage(store, last, { projection: live.state });
    expect(
      projected.steps.map((s) => [s.genotype, s.origin?.event, s.evaluations[0]?.event]),
    ).toEqual(full.steps.map((s) => [s.genotype, s.origin?.event, s.evaluations[0]?.event]));
    expect(projected.intact).toBe(true);
    const quick = await lineage(store, last, { projection: live.state, verify: false });
    expect(quick.steps[5]!.evaluations[0]!.fitness).toEqual(full.steps[5]!.evaluations[0]!.fitness);
    const l = await lineage(store, last, { depth: 2, verify: false });
    expect(l.steps).toHaveLength(3);
    expect(l.truncated).toBe(true);
    expect(l.verified).toBe(false);
  });

  it('walks the projections alike whether the store reads synchronously or not, and can be aborted', async () => {
    const { ledger, store, realm } = await syntheticLedger();
    const w = await authorWriter(ledger, realm, 'chain', 100);
    const { genotypes } = chainRun(w, { seed: 6, generations: 300 });
    await w.flush();
    const last = genotypes[genotypes.length - 1]!;
    const live = await LiveProjection.open(store);
    expect(store.getEventNow).toBeTypeOf('function');
    // The same store seen without its synchronous read: the walk reads everything first.
    const asyncOnly: EventStore = Object.create(store) as EventStore;
    Object.defineProperty(asyncOnly, 'getEventNow', { value: undefined });
    asyncOnly.getEvent = (id) => store.getEvent(id);
    asyncOnly.getBlock = (id) => store.getBlock(id);
    asyncOnly.getBlockAt = (r, a, s) => store.getBlockAt(r, a, s);
    for (const verify of [false, true]) {
      const now = await lineage(store, last, { projection: live.state, verify });
      expect(now.steps.map((s) => s.genotype)).toEqual([...genotypes].reverse());
      expect(now.intact).toBe(true);
      expect(await lineage(asyncOnly, last, { projection: live.state, verify })).toEqual(now);
    }
    // A walk that never waits still turns the event loop now and then to see an abort.
    const ac = new AbortController();
    setImmediate(() => ac.abort());
    await expect(
      lineage(store, last, { projection: live.state, verify: false, signal: ac.signal }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
  });

  it('reports a block whose signature does not verify', async () => {
    const { store, run } = await deepRun(3);
    const broken = new Set<BlockId>();
    const tampering: EventStore = Object.create(store) as EventStore;
    tampering.getBlock = async (id: BlockId) => {
      const b = await store.getBlock(id);
      if (b === undefined) return b;
      broken.add(id);
      const signature = new Uint8Array(b.signature);
      signature[0]! ^= 1;
      const tampered: SignedBlock = { ...b, signature };
      return tampered;
    };
    tampering.events = (q) => store.events(q);
    tampering.getBlockAt = (r, a, s) => store.getBlockAt(r, a, s);
    const l = await lineage(tampering, run.survivors[0]!.genotype);
    expect(l.intact).toBe(false);
    expect(l.steps[0]!.origin!.verification).toMatchObject({
      ok: false,
      code: 'INVALID_SIGNATURE',
    });
    expect(broken.size).toBeGreaterThan(0);
  });

  it('throws UNKNOWN_GENOTYPE for a genotype no event names', async () => {
    const { store } = await deepRun(1);
    await expect(lineage(store, 'a'.repeat(64) as GenotypeId)).rejects.toMatchObject({
      code: 'UNKNOWN_GENOTYPE',
    });
  });
});

describe('descendants', () => {
  it('finds everything bred from a seed, breadth-first, and what the lineage of each leads back to', async () => {
    const { store, run } = await deepRun(5);
    const l = await lineage(store, run.survivors[0]!.genotype, { verify: false });
    const seed = l.seeds[0]!;
    const d = await descendants(store, seed);
    expect(d.descendants.map((x) => x.genotype)).toContain(run.survivors[0]!.genotype);
    const depths = d.descendants.map((x) => x.depth);
    expect([...depths].sort((a, b) => a - b)).toEqual(depths);
    const limited = await descendants(store, seed, { limit: 2 });
    expect(limited.descendants).toHaveLength(2);
    expect(limited.truncated).toBe(true);
  });
});
