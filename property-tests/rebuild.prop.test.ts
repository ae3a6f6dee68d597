import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { EventId, GenotypeId, RealmId } from '../crypto/index.js';
import { blockEvents, storedBlockBytes } from '../ledger/index.js';
import type {
  EventDraft,
  EventStore,
  LedgerEvent,
  SignedBlock,
  StoredBlockBytes,
} from '../ledger/index.js';
import {
  bob,
  ChainBuilder,
  futureVersionRecord,
  unknownKindRecord,
} from '../ledger/__fixtures__/sample-blocks.js';
import { LevelStore } from '../ledger/level-store.js';
import type { MemoryStore } from '../ledger/memory-store.js';
import { foldStoredBlocks } from '../projections/fold-stored.js';
import {
  decodeState,
  encodeState,
  exactValue,
  finalize,
  evolve,
  initialState,
  LiveProjection,
  projectionHash,
  projectionHashOf,
} from '../projections/index.js';
import type { ProjectionState, Watermark } from '../projections/index.js';
import { fcParams } from './fc.js';
import { partitionedExperiment } from './projections-synthetic.js';

const START: Watermark = { position: 0, block: null };

/** Ids the extra events pick from (few, so that bests, origins and champions compete). */
interface Pool {
  readonly runs: readonly EventId[];
  readonly genotypes: readonly GenotypeId[];
}
type Extra = (pool: Pool) => EventDraft | Uint8Array;

const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length]!;
const score = fc.constantFrom(0, 1, 2.5);

/**
 * Events in every shape the batch reader reads as rows or sets aside:
 * vector fitness, task parameters, mates, mutations without deps, selections
 * with and without a previous one, equal fitness (tie-breaks), an unknown
 * kind and a future version.
 */
const extra: fc.Arbitrary<Extra> = fc.oneof(
  fc
    .record({
      run: fc.nat(),
      genotype: fc.nat(),
      params: fc.boolean(),
      fitness: fc.oneof(score, fc.array(score, { minLength: 1, maxLength: 3 })),
      cost: fc.constantFrom(0, 0.1, 1e300, 3),
      solved: fc.boolean(),
      evaluations: fc.integer({ min: 1, max: 3 }),
    })
    .map((x): Extra => (p) => ({
      kind: 'evaluation',
      deps: [],
      body: {
        run: pick(p.runs, x.run),
        genotype: pick(p.genotypes, x.genotype),
        task: x.params
          ? { id: 'other', version: 2, params: { a: 1 } }
          : { id: 'synthetic', version: 1 },
        seed: 1,
        fitness: x.fitness,
        cost: x.cost,
        solved: x.solved,
        evaluations: x.evaluations,
      },
    })),
  fc
    .record({
      generation: fc.nat({ max: 3 }),
      parent: fc.nat(),
      mate: fc.option(fc.nat(), { nil: undefined }),
      child: fc.nat(),
      via: fc.option(fc.nat(), { nil: undefined }),
    })
    .map((x): Extra => (p) => ({
      kind: 'mutation',
      deps: x.via === undefined ? [] : [pick(p.runs, x.via)],
      body: {
        generation: x.generation,
        parent: pick(p.genotypes, x.parent),
        ...(x.mate === undefined ? {} : { mate: pick(p.genotypes, x.mate) }),
        child: pick(p.genotypes, x.child),
        seed: 7,
        ops: [['grow', 1]],
      },
    })),
  fc
    .record({
      run: fc.nat(),
      generation: fc.nat({ max: 3 }),
      previous: fc.option(fc.nat(), { nil: null }),
      survivors: fc.array(fc.nat(), { maxLength: 3 }),
      best: score,
    })
    .map((x): Extra => (p) => ({
      kind: 'selection',
      deps: [...p.runs],
      body: {
        run: pick(p.runs, x.run),
        generation: x.generation,
        previous: x.previous === null ? null : pick(p.runs, x.previous),
        survivors: x.survivors.map((s) => pick(p.genotypes, s)),
        method: 'truncation',
        best: x.best,
      },
    })),
  fc.constant((): Uint8Array => unknownKindRecord()),
  fc.constant((): Uint8Array => futureVersionRecord()),
);

interface Experiment {
  readonly seed: number;
  readonly base: number;
  readonly sideA: number;
  readonly sideB: number;
  readonly extras: readonly (readonly Extra[])[];
}

const experiment: fc.Arbitrary<Experiment> = fc.record({
  seed: fc.integer({ min: 0, max: 1000 }),
  base: fc.integer({ min: 0, max: 2 }),
  sideA: fc.integer({ min: 0, max: 2 }),
  sideB: fc.integer({ min: 0, max: 2 }),
  extras: fc.array(fc.array(extra, { minLength: 1, maxLength: 6 }), { maxLength: 6 }),
});

/** A memory store holding a synthetic partitioned experiment, then blocks of extra events. */
async function storeOf(x: Experiment): Promise<MemoryStore> {
  const { store, realm, events } = await partitionedExperiment(x);
  const pool: Pool = {
    runs: events.filter((e) => e.kind === 'run').map((e) => e.id),
    genotypes: events.flatMap((e) =>
      e.kind === 'seed' || e.kind === 'evaluation'
        ? [(e.body as { genotype: GenotypeId }).genotype]
        : [],
    ),
  };
  const chain = new ChainBuilder(bob, realm);
  // Straight into the store, which keeps unknown kinds: it is not the validator.
  await store.append(x.extras.map((items) => chain.next(items.map((make) => make(pool)))));
  return store;
}

/** The state of folding all of `store` with {@link foldStoredBlocks}. */
async function rebuilt(store: EventStore, workers: number, batchEvents: number) {
  const state = initialState({ distinct: true });
  await foldStoredBlocks(state, store, START, () => undefined, { workers, batchEvents });
  return state;
}

/** The projection hash of folding all of `store` with {@link foldStoredBlocks}. */
async function rebuiltHash(store: EventStore, workers: number, batchEvents: number) {
  return projectionHash(finalize(await rebuilt(store, workers, batchEvents)));
}

/**
 * The state of folding the events of `store`'s blocks one by one, decoded
 * and validated from their bytes (a memory store's own events are the
 * writer's drafts, where a fitness may still be -0; its bytes say 0).
 */
async function sequential(store: EventStore): Promise<ProjectionState> {
  const state = initialState({ distinct: true });
  for await (const block of store.blocks()) for (const e of blockEvents(block)) evolve(state, e);
  return state;
}

/**
 * A state as comparable data: maps as entries sorted by key (insertion
 * order depends on the order of folding), exact sums by their value (their
 * partials depend on it too).
 */
function comparable(state: ProjectionState): unknown {
  const sorted = <K extends string, V>(m: Iterable<[K, V]>) =>
    [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // Maps, and the read-only tables over the state's columns.
  const isMap = (v: unknown): v is Iterable<[string, unknown]> =>
    v instanceof Map || (typeof v === 'object' && v !== null && 'get' in v && 'entries' in v);
  return {
    ...Object.fromEntries(Object.entries(state).map(([k, v]) => [k, isMap(v) ? sorted(v) : v])),
    runTotals: sorted(state.runTotals).map(([k, t]) => [k, { ...t, cost: exactValue(t.cost) }]),
  };
}

describe('rebuilding projections from a store in batches', () => {
  it('gives the sequential fold (state and projection hash), for any worker count and batch size', async () => {
    await fc.assert(
      fc.asyncProperty(
        experiment,
        fc.constantFrom(0, 1, 2),
        fc.integer({ min: 1, max: 300 }),
        async (x, workers, batchEvents) => {
          const store = await storeOf(x);
          const expected = await sequential(store);
          const state = await rebuilt(store, workers, batchEvents);
          expect(projectionHash(finalize(state))).toBe(projectionHash(finalize(expected)));
          expect(comparable(state)).toEqual(comparable(expected));
        },
      ),
      fcParams({ numRuns: 20 }),
    );
  });

  it('saves a state that its cache opens as the same state (columns, vector fitness and all)', async () => {
    await fc.assert(
      fc.asyncProperty(experiment, async (x) => {
        const state = await rebuilt(await storeOf(x), 0, 64);
        const watermark = { position: 7, block: null };
        const bytes = encodeState(state, watermark);
        const opened = decodeState(bytes);
        expect(opened.watermark).toEqual(watermark);
        expect(comparable(opened.state)).toEqual(comparable(state));
        expect(projectionHash(finalize(opened.state))).toBe(projectionHash(finalize(state)));
        // Cut short, or with a column entry naming an id it does not hold: refused.
        expect(() => decodeState(bytes.subarray(0, bytes.length - 8))).toThrow(
          expect.objectContaining({ code: 'STALE_CACHE' }),
        );
        const n = state.columns.events.size;
        if (n > 0) {
          // The last column (seeds' runs, 4 bytes an event, padded to 8) ends the cache.
          const bad = bytes.slice();
          const last = bad.length - ((4 * n + 7) & ~7) + 4 * (n - 1);
          new DataView(bad.buffer).setInt32(last, 0x7fffffff, true);
          expect(() => decodeState(bad)).toThrow(expect.objectContaining({ code: 'STALE_CACHE' }));
        }
      }),
      fcParams({ numRuns: 10 }),
    );
  });

  it('of some realms only, folds those realms, and its watermark passes the others', async () => {
    await fc.assert(
      fc.asyncProperty(experiment, fc.constantFrom(0, 1), async (x, workers) => {
        const store = await storeOf(x);
        const other = await partitionedExperiment({ ...x, seed: x.seed + 1 });
        // A second realm, interleaved at the end of the log.
        const blocks = [];
        for await (const b of other.store.blocks()) blocks.push(b);
        await store.append(blocks);
        const realm = blocks[0]!.header.realm;
        const live = LiveProjection.empty(new Set<RealmId>([realm]));
        await live.catchUp(store, undefined, workers);
        const mine: LedgerEvent[] = [];
        for await (const e of store.events({ realm })) mine.push(e);
        expect(live.hash()).toBe(await projectionHashOf(mine));
        expect(await live.catchUp(store, undefined, workers)).toBe(0);
      }),
      fcParams({ numRuns: 10 }),
    );
  });

  it('stopped part way, leaves a watermark that matches what it folded', async () => {
    await fc.assert(
      fc.asyncProperty(
        experiment,
        fc.constantFrom(0, 1),
        fc.nat({ max: 5 }),
        async (x, workers, stopAfter) => {
          const store = await storeOf(x);
          const state = initialState({ distinct: true });
          const abort = new AbortController();
          let watermark = START;
          let batches = 0;
          const advance = (w: Watermark) => {
            watermark = w;
            if (++batches > stopAfter) abort.abort();
          };
          const options = { workers, batchEvents: 20, signal: abort.signal };
          try {
            await foldStoredBlocks(state, store, START, advance, options);
          } catch (err) {
            expect(err).toMatchObject({ code: 'ABORTED' });
          }
          await foldStoredBlocks(state, store, watermark, () => undefined, { workers });
          expect(projectionHash(finalize(state))).toBe(await projectionHashOf(store.events()));
        },
      ),
      fcParams({ numRuns: 10 }),
    );
  });
});

describe('a live projection caught up in steps', () => {
  it('equals a rebuild, whatever the steps, realms and reopens of its level store', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evoledger-steps-'));
    let n = 0;
    try {
      await fc.assert(
        fc.asyncProperty(
          experiment,
          fc.array(fc.nat({ max: 4 }), { minLength: 1, maxLength: 12 }),
          fc.nat({ max: 12 }),
          fc.boolean(),
          async (x, steps, reopenAt, scoped) => {
            const memory = await storeOf(x);
            const other = await partitionedExperiment({ ...x, seed: x.seed + 1 });
            const blocks: SignedBlock[] = [];
            for await (const b of memory.blocks()) blocks.push(b);
            // A second realm, its blocks between the first's.
            const others: SignedBlock[] = [];
            for await (const b of other.store.blocks()) others.push(b);
            const log = blocks.flatMap((b, i) => (i % 2 === 0 ? [b, ...others.splice(0, 2)] : [b]));
            log.push(...others);
            const realm = blocks[0]!.header.realm;
            const realms = scoped ? new Set<RealmId>([realm]) : undefined;
            const path = join(dir, `store-${n++}`);
            let store = await LevelStore.open(path, { sync: false });
            const live = LiveProjection.empty(realms);
            let at = 0;
            for (const [i, step] of [...steps, log.length].entries()) {
              // Appended in calls of one or two blocks, caught up after `step` blocks.
              const end = Math.min(log.length, at + step);
              while (at < end) {
                const next = Math.min(end, at + 2);
                await store.append(log.slice(at, next));
                at = next;
              }
              if (i === reopenAt) {
                // Reopened: the blocks appended before are read back from disk.
                await store.close();
                store = await LevelStore.open(path, { sync: false });
              }
              await live.catchUp(store);
            }
            const rebuilt = await LiveProjection.open(store, { cache: false, workers: 0 });
            const mine: LedgerEvent[] = [];
            for await (const e of store.events(scoped ? { realm } : {})) mine.push(e);
            expect(live.hash()).toBe(await projectionHashOf(mine));
            if (!scoped) {
              expect(live.hash()).toBe(rebuilt.hash());
              expect(comparable(live.state)).toEqual(comparable(rebuilt.state));
            }
            expect(await live.catchUp(store)).toBe(0);
            await store.close();
          },
        ),
        fcParams({ numRuns: 15 }),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('rebuilding a level store on worker threads', () => {
  it('gives what folding its events one by one gives, and reports a damaged block by its code', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'evoledger-rebuild-'));
    try {
      const x = { seed: 3, base: 2, sideA: 2, sideB: 1, extras: [] };
      const memory = await storeOf(x);
      const store = await LevelStore.open(join(dir, 'store'), { sync: false });
      const blocks = [];
      for await (const b of memory.blocks()) blocks.push(b);
      await store.append(blocks);
      const sequential = await projectionHashOf(store.events());
      for (const workers of [1, 2]) {
        expect(await rebuiltHash(store, workers, 7)).toBe(sequential);
        const live = await LiveProjection.open(store, { cache: false, workers });
        expect(live.hash()).toBe(sequential);
      }

      // A block whose bytes no longer hold its records.
      const damaged = {
        ...store,
        counts: () => store.counts(),
        async *blockBytes() {
          for await (const b of storedBlockBytes(store)) {
            yield { ...b, bytes: b.bytes.subarray(0, b.bytes.length - 1) } as StoredBlockBytes;
          }
        },
      } as unknown as EventStore;
      for (const workers of [0, 1]) {
        await expect(rebuiltHash(damaged, workers, 50)).rejects.toMatchObject({
          name: 'LedgerError',
          code: 'SCHEMA_VIOLATION',
        });
      }
      await store.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
