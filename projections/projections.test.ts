import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EventId, GenotypeId, PublicKey, RealmId } from '../crypto/index.js';
import { LevelStore } from '../ledger/level-store.js';
import { foldEvaluation } from './evolve.js';
import {
  continueRun,
  partitionedExperiment,
  startRun,
  syntheticEngine,
  syntheticLedger,
  authorWriter,
} from '../property-tests/projections-synthetic.js';
import {
  addExact,
  exactValue,
  finalize,
  foldEvents,
  initialState,
  LiveProjection,
  measuredScore,
  populationAt,
  populationOf,
  PROJECTION_CACHE_KEY,
  ProjectionError,
  projectionHash,
  projectionHashOf,
  replayAll,
  resolveBranches,
} from './index.js';
import type { SelectionFacts } from './index.js';

const sel = (
  id: string,
  previous: string | null,
  best: number,
  generation = 0,
): SelectionFacts => ({
  id: id.padEnd(64, '0') as EventId,
  realm: 'r' as RealmId,
  run: 'run' as EventId,
  author: 'a' as PublicKey,
  generation,
  previous: previous === null ? null : (previous.padEnd(64, '0') as EventId),
  survivors: [],
  method: 'm',
  best,
  considered: 0,
});

describe('branch resolution (merge rule)', () => {
  it('keeps the branch that reaches the highest fitness, not the best first step', () => {
    const r = resolveBranches([
      sel('a', null, 1),
      sel('b', 'a', 5, 1), // side B: better at generation 1, then stalls
      sel('c', 'a', 3, 1), // side C: worse at generation 1 ...
      sel('d', 'c', 9, 2), // ... but its branch reaches 9
    ]);
    expect(r.chain.map((s) => s.id[0])).toEqual(['a', 'c', 'd']);
    expect(r.lost).toHaveLength(1);
    expect(r.lost[0]!.selection[0]).toBe('b');
    expect(r.lost[0]!.lostTo[0]).toBe('c');
  });

  it('breaks ties on ids, whatever the input order', () => {
    const a = resolveBranches([sel('1', null, 0), sel('e', '1', 2, 1), sel('f', '1', 2, 1)]);
    const b = resolveBranches([sel('f', '1', 2, 1), sel('e', '1', 2, 1), sel('1', null, 0)]);
    expect(a.chain.map((s) => s.id)).toEqual(b.chain.map((s) => s.id));
    expect(a.chain[1]!.id[0]).toBe('e');
  });

  it('scores branches by measured fitness in the projections: a claim alone does not win', () => {
    const state = initialState();
    const g = (c: string) => c.repeat(64) as GenotypeId;
    const put = (s: SelectionFacts) => state.selections.set(s.id, s);
    put(sel('a', null, 1));
    put({ ...sel('b', 'a', 1e9, 1), survivors: [g('1')] }); // claims 1e9, measured 2
    put({ ...sel('c', 'a', 5, 1), survivors: [g('2')] }); // claims 5, measured 5
    const author = 'f'.repeat(64) as PublicKey;
    const run = 'e'.repeat(64) as EventId;
    const c = state.columns;
    const measure = (genotype: GenotypeId, fitness: number) =>
      foldEvaluation(
        state,
        Buffer.from(genotype, 'hex'), // its evaluation's id
        0,
        'realm' as RealmId,
        author,
        c.author(author),
        run,
        c.eventHex(run),
        c.genotypeHex(genotype),
        { id: 'xor', version: 1 },
        fitness,
        0,
        false,
        1,
      );
    measure(g('1'), 2);
    measure(g('2'), 5);
    const claimedOnly = resolveBranches([...state.selections.values()]);
    expect(claimedOnly.chain[1]!.id[0]).toBe('b');
    const measured = resolveBranches([...state.selections.values()], measuredScore(state));
    expect(measured.chain[1]!.id[0]).toBe('c');
    expect(measured.lost[0]).toMatchObject({ score: 2 });
  });

  it('sets apart selections whose previous is not held', () => {
    const r = resolveBranches([sel('a', null, 1), sel('b', 'z', 5, 1)]);
    expect(r.chain).toHaveLength(1);
    expect(r.detached).toEqual([sel('b', 'z', 5).id]);
  });
});

describe('exact sums', () => {
  it('do not depend on the order of the terms', () => {
    const terms = [1e16, 1, -1e16, 0.1, 0.2, 0.3, 1e-9, 3.5];
    const forward: number[] = [];
    const backward: number[] = [];
    for (const t of terms) addExact(forward, t);
    for (const t of [...terms].reverse()) addExact(backward, t);
    expect(exactValue(forward)).toBe(exactValue(backward));
    expect(exactValue(forward)).toBeCloseTo(5.100000001, 12);
  });
});

describe('projections of a partitioned experiment', () => {
  it('show both runs, the kept branch, the lost branch, champions and credit', async () => {
    const { events } = await partitionedExperiment({ seed: 3, base: 2, sideA: 2, sideB: 3 });
    const view = finalize(await foldEvents(initialState(), events));
    expect(view.runs).toHaveLength(2);
    const main = view.runs.find((r) => r.lostBranches.length > 0)!;
    expect(main.known).toBe(true);
    expect(main.lostBranches).toHaveLength(1);
    // Generations are contiguous along the kept chain.
    expect(main.generations.map((g) => g.generation)).toEqual(main.generations.map((_, i) => i));
    // The kept branch reaches at least the fitness of the lost one.
    const keptBest = Math.max(...main.generations.map((g) => g.best));
    expect(keptBest).toBeGreaterThanOrEqual(main.lostBranches[0]!.score);
    expect(main.evaluations).toBe(main.evaluationEvents);
    expect(view.champions).toHaveLength(1);
    expect(view.credit.map((c) => c.author)).toHaveLength(4); // admin (genesis) + three authors
    expect(view.credit.reduce((n, c) => n + c.evaluations, 0)).toBe(
      view.runs.reduce((n, r) => n + r.evaluations, 0),
    );
    expect(view.credit.reduce((n, c) => n + c.champions, 0)).toBe(1);
  });

  it('give the population of any kept generation, and of a lost selection', async () => {
    const { events } = await partitionedExperiment({ seed: 4, base: 1, sideA: 1, sideB: 1 });
    const state = await foldEvents(initialState(), events);
    const run = finalize(state).runs.find((r) => r.lostBranches.length > 0)!;
    const pop = populationAt(state, run.run, 1);
    expect(pop.kept).toBe(true);
    expect(pop.members).toHaveLength(3);
    expect(pop.members.every((m) => m.fitness !== null && m.origin !== null)).toBe(true);
    const last = populationAt(state, run.run);
    expect(last.generation).toBe(2);
    expect(last.competitors).toHaveLength(1);
    const lost = populationOf(state, run.lostBranches[0]!.selection);
    expect(lost.kept).toBe(false);
    expect(() => populationAt(state, run.run, 99)).toThrow(
      expect.objectContaining({ code: 'UNKNOWN_GENERATION' }) as Error,
    );
    expect(() => populationAt(state, 'f'.repeat(64) as EventId)).toThrow(ProjectionError);
  });

  it('ignore duplicates and keep unknown kinds counted', async () => {
    const { events } = await partitionedExperiment({ seed: 5, base: 1, sideA: 1, sideB: 0 });
    const once = await projectionHashOf(events);
    const twice = await projectionHashOf([...events, ...events.slice(0, 20)]);
    expect(twice).toBe(once);
    const unknown = {
      ...events[0]!,
      id: 'e'.repeat(64) as EventId,
      kind: 'future',
      known: false as const,
      body: {},
    };
    const view = finalize(await foldEvents(initialState(), [...events, unknown]));
    expect(view.unknownEvents).toBe(1);
  });
});

describe('LiveProjection and its cache', () => {
  it('reopens from the cache, catches up, and equals a rebuild when the cache is deleted', async () => {
    const { ledger, store, realm } = await syntheticLedger();
    const w = await authorWriter(ledger, realm, 'cache-author', 16);
    let run = startRun(w, { seed: 9, population: 5, k: 2 });
    await w.flush();
    const first = await LiveProjection.open(store);
    expect(first.source).toBe('rebuilt');
    expect(first.position).toBe((await store.counts()).blocks);
    const before = first.hash();
    await first.save(store);

    run = continueRun(w, run, 3);
    await w.flush();
    const reopened = await LiveProjection.open(store);
    expect(reopened.source).toBe('cache');
    const folded = await first.catchUp(store);
    expect(folded).toBeGreaterThan(0);
    expect(first.position).toBe((await store.counts()).blocks);
    // The hash is kept between calls and recomputed after new events.
    expect(first.hash()).not.toBe(before);
    expect(first.hash()).toBe(reopened.hash());

    await store.deleteMeta(PROJECTION_CACHE_KEY);
    const rebuilt = await LiveProjection.open(store);
    expect(rebuilt.source).toBe('rebuilt');
    expect(rebuilt.hash()).toBe(reopened.hash());
    expect(rebuilt.hash()).toBe(await projectionHashOf(store.events()));
    expect(projectionHash(rebuilt.view())).toBe(rebuilt.hash());
    expect(run.generation).toBe(3);
  });

  it('refuses a cache written for another log and rebuilds', async () => {
    const a = await syntheticLedger('one');
    const b = await syntheticLedger('two');
    const wa = await authorWriter(a.ledger, a.realm, 'x');
    startRun(wa, { seed: 1, population: 3, k: 2 });
    await wa.flush();
    const la = await LiveProjection.open(a.store);
    await la.save(a.store);
    await b.store.putMeta(PROJECTION_CACHE_KEY, (await a.store.getMeta(PROJECTION_CACHE_KEY))!);
    const lb = await LiveProjection.open(b.store);
    expect(lb.source).toBe('rebuilt');
    expect(lb.hash()).toBe(await projectionHashOf(b.store.events()));
    await b.store.putMeta(PROJECTION_CACHE_KEY, new Uint8Array([1, 2, 3]));
    expect((await LiveProjection.open(b.store)).source).toBe('rebuilt');
  });

  it('give the same hash on the level store, whose cache survives a reopen', async () => {
    const { store } = await partitionedExperiment({ seed: 12, base: 2, sideA: 1, sideB: 2 });
    const dir = await mkdtemp(join(tmpdir(), 'evoledger-projections-level-'));
    try {
      let level = await LevelStore.open(join(dir, 'store'), { sync: false });
      const blocks = [];
      for await (const b of store.blocks()) blocks.push(b);
      await level.append(blocks);
      const expected = (await LiveProjection.open(store)).hash();
      const built = await LiveProjection.open(level);
      expect(built.hash()).toBe(expected);
      await built.save(level);
      await level.close();
      level = await LevelStore.open(join(dir, 'store'), { sync: false });
      const reopened = await LiveProjection.open(level);
      expect(reopened.source).toBe('cache');
      expect(reopened.hash()).toBe(expected);
      await level.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stops on abort', async () => {
    const { store } = await partitionedExperiment({ seed: 2, base: 1, sideA: 0, sideB: 0 });
    await expect(LiveProjection.open(store, { signal: AbortSignal.abort() })).rejects.toMatchObject(
      { code: 'ABORTED' },
    );
  });
});

describe('replay', () => {
  it('re-derives a recorded synthetic experiment, selections and fitness included', async () => {
    const { store } = await partitionedExperiment({ seed: 6, base: 2, sideA: 1, sideB: 1 });
    const report = await replayAll(store.events(), syntheticEngine, { reEvaluate: true });
    expect(report.ok).toBe(true);
    expect(report.reEvaluated).toBe(report.evaluations);
    expect(report.reselected).toBe(report.selections);
  });

  it('waits for a parent that arrives later, and reports one that never does', async () => {
    const { events } = await partitionedExperiment({ seed: 7, base: 2, sideA: 0, sideB: 0 });
    const reversed = [...events].reverse();
    const report = await replayAll(reversed, syntheticEngine, { stopAtFirst: false });
    // Selections come before their evaluations when reversed: only genotype derivation is order-free.
    expect(
      report.divergences.filter((d) => d.check === 'child-id' || d.check === 'seed-id'),
    ).toEqual([]);
    const withoutSeeds = events.filter((e) => e.kind !== 'seed');
    const missing = await replayAll(withoutSeeds, syntheticEngine);
    expect(missing.ok).toBe(false);
    expect(missing.divergences[0]!.code).toBe('UNKNOWN_GENOTYPE');
  });

  it('skips, and counts, the runs of engines it does not accept', async () => {
    const { events } = await partitionedExperiment({ seed: 9, base: 1, sideA: 1, sideB: 0 });
    const picky = { ...syntheticEngine, accepts: (engine: string) => engine !== 'synthetic/1' };
    const report = await replayAll(events, picky, { reEvaluate: true });
    expect(report.ok).toBe(true);
    expect(report.foreignEngines).toEqual(['synthetic/1']);
    // Everything but the realm's genesis belongs to a skipped run.
    expect(report.skipped).toBe(events.length - 1);
    expect(report.mutations + report.seeds + report.reEvaluated).toBe(0);
  });

  it('yields typed progress and honours its AbortSignal', async () => {
    const { events } = await partitionedExperiment({ seed: 8, base: 1, sideA: 0, sideB: 0 });
    const { replay } = await import('./replay.js');
    const types: string[] = [];
    for await (const p of replay(events, syntheticEngine, { progressEvery: 10 }))
      types.push(p.type);
    expect(types.filter((t) => t === 'progress').length).toBeGreaterThan(1);
    expect(types[types.length - 1]).toBe('done');
    const it = replay(events, syntheticEngine, { signal: AbortSignal.abort() });
    await expect(it.next()).rejects.toMatchObject({ code: 'ABORTED' });
  });
});

export type { GenotypeId };
