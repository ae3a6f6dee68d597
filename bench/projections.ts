import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GenotypeId } from '../crypto/index.js';
import { IdCache } from '../crypto/index.js';
import { createRealm, Ledger, storedBlockBytes } from '../ledger/index.js';
import type { EventStore, LedgerEvent, SignedBlock, StoredBlockBytes } from '../ledger/index.js';
import { LevelStore } from '../ledger/level-store.js';
import { MemoryStore } from '../ledger/memory-store.js';
import {
  evolve,
  foldEvents,
  initialState,
  lineage,
  LiveProjection,
  PROJECTION_CACHE_KEY,
} from '../projections/index.js';
import { foldBatch } from '../projections/fold-batch.js';
import { foldBatchOf } from '../projections/fold-batch-reader.js';
import type { FoldBatch } from '../projections/fold-batch.js';
import { defaultWorkers } from '../projections/fold-stored.js';
import {
  chainStepper,
  continueRun,
  startRun,
  testIdentity,
} from '../property-tests/projections-synthetic.js';
import { cpuClock, flag, printJson, printTable } from './report.js';
import { statusHashInSteps } from './status-hash.js';
import type { Row } from './report.js';

const MiB = 2 ** 20;

/** What {@link measured} measured. */
interface Measured<T> {
  readonly value: T;
  readonly ms: number;
  /** CPU time of every thread of the process (workers and LevelDB's included). */
  readonly cpuMs: number;
  /** Peak JavaScript heap of this thread (worker threads have their own, small ones). */
  readonly peakHeapMiB: number;
  /**
   * Peak heap plus array buffers (typed columns, block bytes), sampled
   * together: the heap alone misses what lives outside it.
   */
  readonly peakMemoryMiB: number;
}

/** Samples the heap while `fn` runs; returns its result, the time it took and the peak heap. */
async function measured<T>(fn: () => Promise<T>): Promise<Measured<T>> {
  (globalThis as { gc?: () => void }).gc?.();
  let peak = 0;
  let peakMemory = 0;
  const sample = () => {
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    peak = Math.max(peak, heapUsed);
    peakMemory = Math.max(peakMemory, heapUsed + arrayBuffers);
  };
  sample();
  const timer = setInterval(sample, 20);
  const started = performance.now();
  const cpu = cpuClock();
  try {
    const value = await fn();
    const ms = performance.now() - started;
    const cpuMs = cpu();
    sample();
    return {
      value,
      ms,
      cpuMs,
      peakHeapMiB: peak / MiB,
      peakMemoryMiB: peakMemory / MiB,
    };
  } finally {
    clearInterval(timer);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * Writes about `events` synthetic events into a memory ledger (three authors,
 * each its own run of population 100, about 201 events a generation) and a
 * chain `depth` generations deep, interleaved with author A's run the way a
 * real run's lineage is spread over its blocks. Then copies the blocks into
 * `target` (already validated: straight `append`).
 */
async function fill(
  target: EventStore,
  events: number,
  depth: number,
): Promise<{ deepest: GenotypeId; events: number }> {
  const store = target instanceof MemoryStore ? target : await MemoryStore.open();
  const ledger = await Ledger.open(store);
  const admin = testIdentity('bench-admin');
  const { realm, block } = createRealm(admin, { name: 'bench-projections' });
  await ledger.ingest([block]);
  const authors = await Promise.all(
    ['a', 'b', 'c'].map((n) =>
      ledger.writer(testIdentity(`bench-${n}`), realm, { blockSize: 1000 }),
    ),
  );
  const chain = chainStepper(authors[0]!, { seed: 1 });
  const runs = authors.map((w, i) =>
    startRun(w, { seed: 100 + i, population: 100, k: 20, width: 4 }),
  );
  const emitted = () => authors.reduce((n, w) => n + w.emitted, 0);
  const perRound = 3 * 201 + 3;
  const rounds = Math.max(1, Math.floor(events / perRound));
  let steps = 0;
  for (let round = 0; emitted() < events || steps < depth; round++) {
    // Spread the chain's generations evenly over the rounds.
    const due = Math.min(depth, Math.ceil(((round + 1) * depth) / rounds));
    while (steps < due) {
      chain.step();
      steps++;
    }
    if (emitted() < events)
      for (let i = 0; i < authors.length; i++) runs[i] = continueRun(authors[i]!, runs[i]!, 1);
    if (round % 10 === 9) await Promise.all(authors.map((w) => w.flush()));
  }
  await Promise.all(authors.map((w) => w.flush()));
  if (store !== target) {
    let batch = [];
    for await (const b of store.blocks()) {
      batch.push(b);
      if (batch.length === 64) {
        await target.append(batch);
        batch = [];
      }
    }
    if (batch.length > 0) await target.append(batch);
    await store.close();
  }
  return {
    deepest: chain.genotypes[chain.genotypes.length - 1]!,
    events: (await target.counts()).events,
  };
}

/** A table row: wall and CPU time, and the rate by each (the machines are shared: CPU time is the steadier figure). */
function row(step: string, n: number, m: Measured<unknown>): Row {
  return {
    step,
    n,
    'wall ms': m.ms,
    'cpu ms': m.cpuMs,
    'per s (wall)': Math.round(n / (m.ms / 1000)),
    'per s (cpu)': Math.round(n / (m.cpuMs / 1000)),
    'peak heap MiB': Math.round(m.peakHeapMiB),
    'peak heap+buffers MiB': Math.round(m.peakMemoryMiB),
  };
}

/** The fold alone on a decoded sample (as fold batches and as events), then the cache saved and opened. */
async function foldAndCache(store: EventStore, live: LiveProjection, events: number, rows: Row[]) {
  // The fold alone, on a sample (up to 200k events) already decoded: as
  // fold batches (what a rebuild folds), and as events.
  const batches: FoldBatch[] = [];
  let sampled = 0;
  let blocks: StoredBlockBytes[] = [];
  for await (const b of storedBlockBytes(store)) {
    blocks.push({ ...b, bytes: b.bytes.slice() });
    sampled += b.count;
    if (blocks.length === 8 || sampled >= 200_000) {
      batches.push(foldBatchOf(blocks));
      blocks = [];
    }
    if (sampled >= 200_000) break;
  }
  if (blocks.length > 0) batches.push(foldBatchOf(blocks));
  const foldBatches = await measured(() => {
    const s = initialState({ distinct: true });
    const ids = new IdCache();
    for (const b of batches) foldBatch(s, b, ids);
    return Promise.resolve(s);
  });
  rows.push(row('fold only (batches, decoded sample)', sampled, foldBatches));
  batches.length = 0;
  const sample: LedgerEvent[] = [];
  for await (const e of store.events()) {
    sample.push(e);
    if (sample.length === 200_000) break;
  }
  const fold = await measured(() => {
    const s = initialState({ distinct: true });
    for (const e of sample) evolve(s, e);
    return Promise.resolve(s);
  });
  rows.push(row('fold only (events, decoded sample)', sample.length, fold));
  const foldDedup = await measured(() => foldEvents(initialState(), sample));
  rows.push(row('fold only (events), with duplicate check', sample.length, foldDedup));
  sample.length = 0;

  const save = await measured(() => live.save(store));
  const cacheBytes = (await store.getMeta(PROJECTION_CACHE_KEY))?.byteLength ?? 0;
  rows.push(row(`save cache (${(cacheBytes / MiB).toFixed(1)} MiB)`, events, save));
  const reopen = await measured(() => LiveProjection.open(store));
  rows.push(row('open from cache', events, reopen));
  const same = reopen.value.hash() === live.hash();

  return {
    foldRate: sampled / (foldBatches.cpuMs / 1000),
    foldDecodedRate: fold.value.events / (fold.cpuMs / 1000),
    cacheBytes,
    openMs: reopen.ms,
    same,
  };
}

/** Blocks appended between two catch-ups in {@link catchUpInSteps}. */
const STEP_BLOCKS = 4;

/**
 * A live projection following a level store's end, as a node's status
 * does: up to 200k of `store`'s events appended to a fresh level store
 * {@link STEP_BLOCKS} blocks at a time, `catchUp` after each append. Only
 * the catch-ups are timed (CPU of every thread, summed). Its hash must
 * equal a rebuild's of the same blocks.
 */
async function catchUpInSteps(store: EventStore, dir: string, rows: Row[]) {
  const target = await LevelStore.open(join(dir, 'steps'), { sync: false });
  const live = LiveProjection.empty();
  let events = 0;
  let cpuMs = 0;
  let ms = 0;
  let steps = 0;
  let pending: SignedBlock[] = [];
  const step = async () => {
    await target.append(pending);
    pending = [];
    const t = performance.now();
    const cpu = cpuClock();
    events += await live.catchUp(target);
    cpuMs += cpu();
    ms += performance.now() - t;
    steps++;
  };
  try {
    for await (const b of store.blocks()) {
      pending.push(b);
      if (pending.length === STEP_BLOCKS) await step();
      if (events >= 200_000) break;
    }
    if (pending.length > 0) await step();
    const timed = { value: undefined, ms, cpuMs, peakHeapMiB: 0, peakMemoryMiB: 0 };
    rows.push({
      ...row(`live catch-up, ${STEP_BLOCKS} blocks at a time (${steps} calls)`, events, timed),
      'peak heap MiB': '',
      'peak heap+buffers MiB': '',
    });
    const rebuilt = await LiveProjection.open(target, { cache: false, workers: 0 });
    return { eventsPerCpuSecond: events / (cpuMs / 1000), same: rebuilt.hash() === live.hash() };
  } finally {
    await target.close();
  }
}

/**
 * `npm run bench -- projections [--events N] [--depth N] [--store level|memory] [--workers N] [--status-events N] [--lineage-only]`:
 * rebuilds the projections from a ledger of N events (streaming, memory
 * sampled), on this thread and with N decoding workers (default: the
 * rebuild's own choice, at least 1), reopens them from the cache, and times a lineage
 * query `depth` generations deep, through the genotype index and through the
 * projections, with and without signature checks: on the level store right
 * after the write and again once compacted (at rest); the goal is judged at rest.
 * On the level store it also times a live projection caught up a few
 * blocks at a time on a fresh store, as a node's status is ({@link catchUpInSteps}),
 * and what a node's statuses cost while the first `--status-events` (default
 * 100,000) events arrive, hash recomputed at every status or when the log
 * stood still ({@link statusHashInSteps}).
 */
export async function run(args: string[]): Promise<void> {
  const total = Number(flag(args, 'events', '1000000'));
  const depth = Number(flag(args, 'depth', '1000'));
  const statusEvents = Number(flag(args, 'status-events', '100000'));
  const kind = flag(args, 'store', 'level');
  const lineageOnly = args.includes('--lineage-only');
  // The rebuild's own choice, or one worker where it would choose none, so that both show.
  const workers = Number(flag(args, 'workers', String(Math.max(1, defaultWorkers()))));
  const dir = await mkdtemp(join(tmpdir(), 'evoledger-bench-projections-'));
  const rows: Row[] = [];
  try {
    const path = join(dir, 'store');
    let store: EventStore =
      kind === 'memory' ? await MemoryStore.open() : await LevelStore.open(path, { sync: false });
    const gen = await measured(() => fill(store, total, depth));
    const { deepest, events } = gen.value;
    rows.push(row('generate, sign, append', events, gen));
    if (kind !== 'memory') {
      await store.close();
      store = await LevelStore.open(path, { sync: false });
    }

    // Read and decode only, on this thread: the floor under a rebuild.
    const scan = lineageOnly
      ? undefined
      : await measured(async () => {
          let n = 0;
          let blocks: StoredBlockBytes[] = [];
          for await (const b of storedBlockBytes(store)) {
            blocks.push(b);
            n += b.count;
            if (blocks.length === 8) {
              foldBatchOf(blocks);
              blocks = [];
            }
          }
          foldBatchOf(blocks);
          return n;
        });
    if (scan !== undefined) rows.push(row('scan + decode (fold batches)', scan.value, scan));

    // Each rebuild measured alone: the first one's state is not kept (not
    // even on this function's stack) while the second one runs.
    const inline = lineageOnly
      ? undefined
      : await (async () => {
          const m = await measured(() => LiveProjection.open(store, { cache: false, workers: 0 }));
          return { ...m, value: m.value.hash() };
        })();
    if (inline !== undefined) rows.push(row('rebuild on this thread', events, inline));
    const rebuild = await measured(() => LiveProjection.open(store, { cache: false, workers }));
    const live = rebuild.value;
    rows.push(row(`rebuild, ${workers} decoding worker(s)`, events, rebuild));
    const fin = await measured(() => Promise.resolve(live.view()));
    rows.push(row('finalize view', events, fin));
    const sameRebuilds = inline === undefined ? null : live.hash() === inline.value;

    const extra = lineageOnly ? undefined : await foldAndCache(store, live, events, rows);
    const steps =
      lineageOnly || kind === 'memory' ? undefined : await catchUpInSteps(store, dir, rows);
    const statusCosts = lineageOnly ? [] : await statusHashInSteps(store, statusEvents);

    const timeLineage = async (verify: boolean, projection: boolean) => {
      const times: number[] = [];
      const cpu: number[] = [];
      let steps = 0;
      let intact = true;
      for (let i = 0; i < 5; i++) {
        const t = performance.now();
        const cpuMs = cpuClock();
        const l = await lineage(store, deepest, {
          verify,
          ...(projection ? { projection: live.state } : {}),
        });
        times.push(performance.now() - t);
        cpu.push(cpuMs());
        steps = l.steps.length;
        intact &&= !l.verified || l.intact;
      }
      return { first: times[0]!, median: median(times), cpu: median(cpu), steps, intact };
    };
    // Lineage is timed twice on the level store: right after the bulk write
    // above (LevelDB is still compacting it in the background, which costs
    // every read), then on the store at rest, as a user queries it: LevelDB
    // is asked to compact the whole keyspace first (`LevelStore.compact`),
    // and the query timed is the same.
    const lineageRows: Row[] = [];
    const lineageRounds = async (when: string) => {
      const ms: Record<string, number> = {};
      const cpuMs: Record<string, number> = {};
      let intact = true;
      for (const projection of [false, true]) {
        for (const verify of [false, true]) {
          const r = await timeLineage(verify, projection);
          intact &&= r.intact;
          const name = `${projection ? 'projection' : 'genotype index'}${verify ? ', verified' : ''}`;
          ms[name] = Number(r.median.toFixed(2));
          cpuMs[name] = Number(r.cpu.toFixed(2));
          lineageRows.push({
            lineage: name,
            store: when,
            depth: r.steps - 1,
            'first ms': r.first,
            'median ms': r.median,
            'median cpu ms': r.cpu,
          });
        }
      }
      return { ms, cpuMs, intact };
    };
    const afterWrite =
      store instanceof LevelStore ? await lineageRounds('right after write') : undefined;
    const level = store instanceof LevelStore ? store : undefined;
    const settle = level === undefined ? undefined : await measured(() => level.compact());
    if (settle !== undefined) rows.push(row('settle: compact the whole store', events, settle));
    const atRest = await lineageRounds(store instanceof LevelStore ? 'compacted' : 'memory');
    const lineages = atRest.ms;
    const intact = atRest.intact && (afterWrite?.intact ?? true);

    printTable(`projections (${kind} store, ${events.toLocaleString('en-US')} events)`, rows);
    printTable(`lineage of a genotype ${depth} generations deep`, lineageRows);
    printTable(
      "a node's statuses while a realm arrives (fold, then hash; 2 blocks between statuses)",
      statusCosts.map((c) => ({
        'hash recomputed': c.policy,
        events: c.events,
        statuses: c.statuses,
        'CPU s': c.cpuMs / 1000,
        'µs/event': (c.cpuMs * 1000) / c.events,
      })),
    );
    const rate = events / (rebuild.ms / 1000);
    printJson('projections', {
      store: kind,
      events,
      rebuildWorkers: workers,
      rebuildEventsPerSecond: Math.round(rate),
      rebuildEventsPerCpuSecond: Math.round(events / (rebuild.cpuMs / 1000)),
      rebuildGoalMet: rate >= 300_000,
      rebuildPeakHeapMiB: Math.round(rebuild.peakHeapMiB),
      rebuildPeakMemoryMiB: Math.round(rebuild.peakMemoryMiB),
      rebuildOnThisThreadPeakHeapMiB: inline ? Math.round(inline.peakHeapMiB) : null,
      rebuildOnThisThreadPeakMemoryMiB: inline ? Math.round(inline.peakMemoryMiB) : null,
      rebuildOnThisThreadEventsPerSecond: inline ? Math.round(events / (inline.ms / 1000)) : null,
      rebuildOnThisThreadEventsPerCpuSecond: inline
        ? Math.round(events / (inline.cpuMs / 1000))
        : null,
      rebuildsAgree: sameRebuilds,
      scanEventsPerCpuSecond: scan ? Math.round(scan.value / (scan.cpuMs / 1000)) : null,
      foldEventsPerCpuSecond: extra ? Math.round(extra.foldRate) : null,
      foldDecodedEventsPerCpuSecond: extra ? Math.round(extra.foldDecodedRate) : null,
      finalizeMs: Math.round(fin.ms),
      cacheMiB: extra ? Number((extra.cacheBytes / MiB).toFixed(2)) : null,
      openFromCacheMs: extra ? Math.round(extra.openMs) : null,
      cacheEqualsRebuild: extra?.same ?? null,
      catchUpEventsPerCpuSecond: steps ? Math.round(steps.eventsPerCpuSecond) : null,
      catchUpEqualsRebuild: steps?.same ?? null,
      statusEvents: statusCosts[0]?.events ?? null,
      statusCpuMicrosPerEvent: Object.fromEntries(
        statusCosts.map((c) => [c.policy, (c.cpuMs * 1000) / c.events]),
      ),
      statusHashesAgree: statusCosts.every((c) => c.finalHash === statusCosts[0]!.finalHash),
      lineageDepth: depth,
      lineageMs: lineages,
      lineageCpuMs: atRest.cpuMs,
      lineageMsRightAfterWrite: afterWrite?.ms ?? null,
      lineageCpuMsRightAfterWrite: afterWrite?.cpuMs ?? null,
      lineageSettleMs: settle === undefined ? null : Math.round(settle.ms),
      lineageGoalMet: Math.min(...Object.values(lineages)) <= 50,
      lineageIntact: intact,
    });
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
