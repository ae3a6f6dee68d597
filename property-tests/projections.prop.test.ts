import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventId, GenotypeId } from '../crypto/index.js';
import { Ledger } from '../ledger/index.js';
import type { EventDraft, SignedBlock } from '../ledger/index.js';
import { MemoryStore } from '../ledger/memory-store.js';
import { getTask } from '../evolution/index.js';
import { evolve as evolveRun } from '../evolution/index.js';
import {
  addExact,
  evolutionReplayEngine,
  exactValue,
  LiveProjection,
  PROJECTION_CACHE_KEY,
  projectionHashOf,
  replayAll,
} from '../projections/index.js';
import { fcParams } from './fc.js';
import {
  authorWriter,
  continueRun,
  partitionedExperiment,
  recordingSink,
  startRun,
  syntheticEngine,
  syntheticLedger,
} from './projections-synthetic.js';

const experiment = fc.record({
  seed: fc.integer({ min: 0, max: 1000 }),
  base: fc.integer({ min: 0, max: 3 }),
  sideA: fc.integer({ min: 0, max: 3 }),
  sideB: fc.integer({ min: 0, max: 3 }),
});

describe('projections depend on the event set only', () => {
  it('any permutation or duplication of an event set gives the same projection hash', async () => {
    await fc.assert(
      fc.asyncProperty(
        experiment,
        fc.infiniteStream(fc.nat()),
        fc.array(fc.nat(), { maxLength: 40 }),
        async (x, shuffle, duplicates) => {
          const { events, store } = await partitionedExperiment(x);
          const reference = await LiveProjection.open(store);
          const order = events.map((e, i) => ({ e, k: shuffle.next().value as number, i }));
          order.sort((a, b) => a.k - b.k || a.i - b.i);
          const permuted = order.map((o) => o.e);
          for (const d of duplicates)
            permuted.splice(d % (permuted.length + 1), 0, events[d % events.length]!);
          expect(await projectionHashOf(permuted)).toBe(reference.hash());
          expect(await projectionHashOf(events)).toBe(reference.hash());
        },
      ),
      fcParams({ numRuns: 25 }),
    );
  });

  it('two nodes that each received part of the blocks and then rejoined agree', async () => {
    await fc.assert(
      fc.asyncProperty(
        experiment,
        fc.array(fc.boolean(), { minLength: 64, maxLength: 64 }),
        async (x, sides) => {
          const { store } = await partitionedExperiment(x);
          const blocks: SignedBlock[] = [];
          for await (const b of store.blocks()) blocks.push(b);
          const genesis = blocks[0]!;
          const left = blocks.slice(1).filter((_, i) => sides[i % sides.length]);
          const right = blocks.slice(1).filter((_, i) => !sides[i % sides.length]);
          const nodes = await Promise.all([MemoryStore.open(), MemoryStore.open()]);
          const ledgers = await Promise.all(nodes.map((s) => Ledger.open(s)));
          // Apart: each holds genesis and its share (blocks missing a predecessor wait outside).
          await ledgers[0]!.ingest([genesis, ...left]);
          await ledgers[1]!.ingest([genesis, ...right]);
          const live = await Promise.all(nodes.map((s) => LiveProjection.open(s)));
          // Rejoin: each receives the other's blocks (and retries its own waiting ones).
          await ledgers[0]!.ingest([...right, ...left]);
          await ledgers[1]!.ingest([...left, ...right]);
          const expected = await projectionHashOf(store.events());
          for (let i = 0; i < 2; i++) {
            await live[i]!.catchUp(nodes[i]!);
            expect(live[i]!.hash()).toBe(expected);
            expect((await LiveProjection.open(nodes[i]!, { cache: false })).hash()).toBe(expected);
          }
        },
      ),
      fcParams({ numRuns: 20 }),
    );
  });

  it('float sums do not depend on order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e200, max: 1e200 })),
        (xs) => {
          const a: number[] = [];
          const b: number[] = [];
          for (const x of xs) addExact(a, x);
          for (const x of [...xs].reverse()) addExact(b, x);
          expect(exactValue(a)).toBe(exactValue(b));
        },
      ),
      fcParams({ numRuns: 200 }),
    );
  });
});

describe('incremental projections', () => {
  it('equal a rebuild from the ledger at every generation, with and without the cache', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 6 }),
        fc.integer({ min: 1, max: 40 }),
        async (seed, generations, blockSize) => {
          const { ledger, store, realm } = await syntheticLedger();
          const w = await authorWriter(ledger, realm, 'live', blockSize);
          const live = LiveProjection.empty();
          let run = startRun(w, { seed, population: 5, k: 2 });
          for (let g = 0; g <= generations; g++) {
            if (g > 0) run = continueRun(w, run, 1);
            await w.flush();
            await live.catchUp(store);
            const rebuilt = await LiveProjection.open(store, { cache: false });
            expect(live.hash()).toBe(rebuilt.hash());
            expect(live.view().runs[0]!.generations).toHaveLength(g + 1);
            if (g % 2 === 0) await live.save(store);
            const cached = await LiveProjection.open(store);
            expect(cached.hash()).toBe(rebuilt.hash());
          }
          await store.deleteMeta(PROJECTION_CACHE_KEY);
          expect((await LiveProjection.open(store)).hash()).toBe(live.hash());
        },
      ),
      fcParams({ numRuns: 15 }),
    );
  });
});

type Tamper = 'operator' | 'fitness' | 'survivors';

/** Rewrites one draft the way a dishonest (but validly signing) author would. */
function tamperWith(
  draft: EventDraft,
  what: Tamper,
  genotypeOfEvaluation: Map<EventId, GenotypeId>,
): EventDraft | undefined {
  if (what === 'operator' && draft.kind === 'mutation') {
    const ops = draft.body.ops.map((op, i) => {
      if (i !== 0) return op;
      const [name, a, b] = op;
      const changed: typeof op =
        name === 'nudge' ? [name, a!, (b as number) + 1] : [name, (a as number) + 1];
      return changed;
    });
    return { ...draft, body: { ...draft.body, ops } };
  }
  if (what === 'fitness' && draft.kind === 'evaluation') {
    return { ...draft, body: { ...draft.body, fitness: (draft.body.fitness as number) - 1 } };
  }
  if (what === 'survivors' && draft.kind === 'selection') {
    const survivors = draft.body.survivors;
    const others = draft.deps
      .map((d) => genotypeOfEvaluation.get(d)!)
      .filter((g) => !survivors.includes(g));
    const changed =
      others.length > 0 ? [...survivors.slice(0, -1), others[0]!] : survivors.slice(0, -1);
    return { ...draft, body: { ...draft.body, survivors: changed } };
  }
  return undefined;
}

describe('replay', () => {
  it('a recorded run replays; a changed operator, fitness or survivor list is caught at that event', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 1, max: 4 }),
        fc.constantFrom<Tamper>('operator', 'fitness', 'survivors'),
        fc.nat(),
        async (seed, generations, what, pick) => {
          // An honest recording first, to choose which event the dishonest author changes.
          const honest = await syntheticLedger();
          const hw = recordingSink(await authorWriter(honest.ledger, honest.realm, 'honest'));
          continueRun(hw, startRun(hw, { seed, population: 5, k: 2 }), generations);
          await (hw as unknown as { flush?: () => Promise<void> }).flush?.();
          const candidates = hw.drafts
            .map((d, i) => [d, i] as const)
            .filter(
              ([d]) =>
                d.kind ===
                (what === 'operator'
                  ? 'mutation'
                  : what === 'fitness'
                    ? 'evaluation'
                    : 'selection'),
            );
          const target = candidates[pick % candidates.length]![1];

          const { ledger, store, realm } = await syntheticLedger();
          const writer = await authorWriter(ledger, realm, 'dishonest');
          const genotypeOf = new Map<EventId, GenotypeId>();
          const sink = recordingSink(writer, (draft, index) => {
            const out = index === target ? (tamperWith(draft, what, genotypeOf) ?? draft) : draft;
            return out;
          });
          const tracking = {
            emit(d: EventDraft) {
              const id = sink.emit(d);
              if (d.kind === 'evaluation') genotypeOf.set(id, d.body.genotype);
              return id;
            },
          };
          continueRun(tracking, startRun(tracking, { seed, population: 5, k: 2 }), generations);
          await writer.flush();

          const report = await replayAll(store.events(), syntheticEngine, { reEvaluate: true });
          expect(report.ok).toBe(false);
          expect(report.divergences[0]!.event).toBe(sink.ids[target]);
          expect(report.divergences[0]!.code).toBe('REPLAY_DIVERGED');
          expect(report.divergences[0]!.check).toBe(
            what === 'operator' ? 'child-id' : what === 'fitness' ? 'fitness' : 'survivors',
          );
        },
      ),
      fcParams({ numRuns: 30 }),
    );
  });

  it('a real XOR run of the evolution engine replays with identical ids, selections and fitness', async () => {
    const { ledger, store, realm } = await syntheticLedger('xor');
    const writer = await authorWriter(ledger, realm, 'xor', 500);
    const task = getTask('xor');
    for await (const _ of evolveRun({ task, seed: 42, sink: writer })) {
      // run to the end (xor stops when solved)
    }
    await writer.flush();
    const report = await replayAll(store.events(), evolutionReplayEngine(), { reEvaluate: true });
    expect(report.divergences).toEqual([]);
    expect(report.mutations).toBeGreaterThan(0);
    expect(report.reEvaluated).toBe(report.evaluations);
    expect(report.reselected).toBe(report.selections);
    // Species are not recorded in events: the engine reports them when it re-runs selection.
    expect(report.species).toHaveLength(report.selections);
    expect(report.species.every((s) => s.species >= 1)).toBe(true);
    const live = await LiveProjection.open(store);
    expect(live.view().champions[0]!.task).toBe('xor@1');
  });

  it('in a real XOR run, a changed operator, fitness or survivor list is caught at that event', async () => {
    const task = getTask('xor');
    const record = async (tamper?: (d: EventDraft, i: number) => EventDraft) => {
      const { ledger, store, realm } = await syntheticLedger('xor-tamper');
      const writer = await authorWriter(ledger, realm, 'xor', 500);
      const sink = recordingSink(writer, tamper);
      for await (const _ of evolveRun({ task, seed: 9, sink: sink })) {
        // to the end
      }
      await writer.flush();
      return { store, sink };
    };
    const honest = await record();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Tamper>('operator', 'fitness', 'survivors'),
        fc.nat(),
        async (what, pick) => {
          const kind =
            what === 'operator' ? 'mutation' : what === 'fitness' ? 'evaluation' : 'selection';
          const candidates = honest.sink.drafts
            .map((d, i) => [d, i] as const)
            .filter(
              ([d]) =>
                d.kind === kind &&
                (d.kind !== 'mutation' ||
                  d.body.ops.some((op) => op.some((p) => typeof p === 'number'))),
            );
          const target = candidates[pick % candidates.length]![1];
          const genotypeOf = new Map<EventId, GenotypeId>();
          honest.sink.drafts.forEach((d, i) => {
            if (d.kind === 'evaluation') genotypeOf.set(honest.sink.ids[i]!, d.body.genotype);
          });
          const { store, sink } = await record((draft, index) => {
            if (index !== target) return draft;
            if (draft.kind === 'mutation') {
              // Bump the first numeric parameter of the first operator that has one.
              let done = false;
              const ops = draft.body.ops.map((op) => {
                if (done) return op;
                const at = op.findIndex((p, j) => j > 0 && typeof p === 'number');
                if (at < 0) return op;
                done = true;
                const changed = [...op] as (string | number)[];
                changed[at] = (changed[at] as number) + 1;
                return changed as unknown as typeof op;
              });
              return { ...draft, body: { ...draft.body, ops } };
            }
            if (draft.kind === 'evaluation') {
              return {
                ...draft,
                body: { ...draft.body, fitness: (draft.body.fitness as number) + 0.5 },
              };
            }
            // Same ids as the honest run up to here: the candidates' genotypes are known.
            return tamperWith(draft, 'survivors', genotypeOf) ?? draft;
          });
          const report = await replayAll(store.events(), evolutionReplayEngine(), {
            reEvaluate: true,
          });
          expect(report.ok).toBe(false);
          expect(report.divergences[0]!.event).toBe(sink.ids[target]);
        },
      ),
      fcParams({ numRuns: 15 }),
    );
  });
});
