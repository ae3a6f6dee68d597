/**
 * Store-level throughput of the event stores (no signing, no validation):
 * blocks are sealed beforehand, then appended and streamed back.
 *
 *   node --import tsx bench/ledger-store.ts [events=200000] [perBlock=1000]
 *
 * Prints a table and, last, one JSON line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { SignedBlock } from '../ledger/block.js';
import { blockEvents } from '../ledger/block.js';
import { BlockFacts } from '../ledger/block-facts.js';
import { LevelStore } from '../ledger/level-store.js';
import { MemoryStore } from '../ledger/memory-store.js';
import type { EventStore } from '../ledger/store.js';
import { cpuClock } from './report.js';
import {
  alice,
  ChainBuilder,
  evaluationDraft,
  genotype,
  mutationDraft,
  realmA,
} from '../ledger/__fixtures__/sample-blocks.js';

const total = Number(process.argv[2] ?? 200_000);
const perBlock = Number(process.argv[3] ?? 1000);

const chain = new ChainBuilder(alice, realmA);
const blocks: SignedBlock[] = [];
let g = 0;
let bytes = 0;
for (let n = 0; n < total; n += perBlock) {
  const block = chain.next(
    Array.from({ length: perBlock }, (_, i) =>
      i % 2 === 0 ? mutationDraft(g, ++g) : evaluationDraft(g, i / perBlock),
    ),
  );
  for (const r of block.records) bytes += r.byteLength;
  blocks.push(block);
}
const facts: BlockFacts[] = blocks.map((b) => BlockFacts.of(blockEvents(b)));
const events = blocks.length * perBlock;

// Wall time is what a user sees; CPU time (all threads of this process,
// LevelDB's included) is steadier on a shared machine.
const rows: { what: string; seconds: number; perSecond: number; perCpuSecond: number }[] = [];
async function measure(what: string, count: number, run: () => Promise<void>): Promise<void> {
  const start = performance.now();
  const cpu = cpuClock();
  await run();
  const seconds = (performance.now() - start) / 1000;
  const cpuSeconds = cpu() / 1000;
  rows.push({
    what,
    seconds,
    perSecond: Math.round(count / seconds),
    perCpuSecond: Math.round(count / cpuSeconds),
  });
}

async function appendAll(
  store: EventStore & { append: LevelStore['append'] },
  withEvents: boolean,
) {
  for (let i = 0; i < blocks.length; i++) {
    await store.append([blocks[i]!], withEvents ? [facts[i]] : undefined);
  }
}

async function drain<T>(items: AsyncIterable<T>): Promise<number> {
  let n = 0;
  for await (const _ of items) n++;
  return n;
}

const dirs: string[] = [];
const fresh = async (sync: boolean) => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'evoledger-bench-'));
  dirs.push(dir);
  return LevelStore.open(dir, { sync });
};

try {
  for (const sync of [true, false]) {
    for (const withEvents of [false, true]) {
      const store = await fresh(sync);
      await measure(
        `level append, sync ${sync}, ${withEvents ? 'facts given' : 'store decodes'} (events/s)`,
        events,
        () => appendAll(store, withEvents),
      );
      await store.close();
    }
  }
  {
    // Eight callers at once, one block each per call: group commit shares the fsyncs.
    const store = await fresh(true);
    await measure('level append, sync true, facts given, 8 callers (events/s)', events, () =>
      Promise.all(
        Array.from({ length: 8 }, async (_, c) => {
          for (let i = c; i < blocks.length; i += 8) await store.append([blocks[i]!], [facts[i]]);
        }),
      ).then(() => undefined),
    );
    await store.close();
  }
  const store = await fresh(false);
  await appendAll(store, true);
  await measure('level events() full stream (events/s)', events, async () => {
    if ((await drain(store.events())) !== events) throw new Error('short stream');
  });
  await measure('level blocks() full stream (events/s)', events, async () => {
    await drain(store.blocks());
  });
  await measure('level events({kind}) half the log (events/s)', events / 2, async () => {
    await drain(store.events({ kind: 'evaluation' }));
  });
  const lookups = 2_000;
  await measure('level events({genotype}) queries (queries/s)', lookups, async () => {
    for (let i = 0; i < lookups; i++)
      await drain(store.events({ genotype: genotype((i * 7919) % g) }));
  });
  await measure('level getEvent random (events/s)', lookups, async () => {
    for (let i = 0; i < lookups; i++) {
      const b = blocks[(i * 7919) % blocks.length]!;
      await store.getEvent(b.eventIds[(i * 31) % perBlock]!);
    }
  });
  await store.close();

  const memory = await MemoryStore.open();
  await measure('memory append, store decodes (events/s)', events, () => appendAll(memory, false));
  await measure('memory events() full stream (events/s)', events, async () => {
    await drain(memory.events());
  });
} finally {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
}

console.log(
  `${events} events of ~${Math.round(bytes / events)} B in blocks of ${perBlock}, ` +
    `node ${process.version}, load average ${os.loadavg()[0]!.toFixed(1)}`,
);
console.log(`${'what'.padEnd(62)} ${'per s'.padStart(9)} ${'per CPU s'.padStart(10)}`);
for (const r of rows) {
  const what = r.what.padEnd(62);
  console.log(`${what} ${String(r.perSecond).padStart(9)} ${String(r.perCpuSecond).padStart(10)}`);
}
console.log(JSON.stringify({ bench: 'ledger-store', events, perBlock, rows }));
