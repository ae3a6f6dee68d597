import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity, sha256 } from '../crypto/index.js';
import type { EventId, GenotypeId } from '../crypto/index.js';
import { createRealm, encodeRecord, Ledger, LevelStore, verifyStore } from '../ledger/index.js';
import type { EventDraft } from '../ledger/index.js';
import { logKey, Table, writeU64 } from '../ledger/level-layout.js';
import { cpuClock, flag, printJson, printTable } from './report.js';
import type { Row } from './report.js';

const gids = Array.from(
  { length: 4096 },
  (_, i) => Buffer.from(sha256(Buffer.from(`g${i}`))).toString('hex') as GenotypeId,
);

/** Realistic events: alternating mutations and evaluations, ~200 bytes each. */
function draft(i: number, run: EventId, prev: EventId): EventDraft {
  if (i % 2 === 0) {
    return {
      kind: 'mutation',
      deps: [prev],
      body: {
        generation: i >> 8,
        parent: gids[(i + 7) & 4095]!,
        child: gids[i & 4095]!,
        seed: (i * 2654435761) >>> 0,
        ops: [
          ['add_neuron', i % 13, (i * 7) % 29, Math.fround(0.37)],
          ['mutate_weights', Math.fround(0.21)],
        ],
      },
    };
  }
  return {
    kind: 'evaluation',
    deps: [prev],
    body: {
      run,
      genotype: gids[i & 4095]!,
      task: { id: 'xor', version: 1 },
      seed: i,
      fitness: 3 + (i % 1000) / 1000,
      cost: 4,
      solved: false,
      evaluations: 1,
    },
  };
}

const rate = (n: number, seconds: number) => Math.round(n / seconds);

/**
 * Starts timing a phase; the function returned makes its row. CPU time is
 * every thread's of this process (LevelDB's, the garbage collector's): on
 * this 2-core machine, 200k events/s needs at most 10 µs of it an event.
 */
function timing(): (system: string, phase: string, events: number) => Row {
  const t = performance.now();
  const cpu = cpuClock();
  return (system, phase, events) => {
    const seconds = (performance.now() - t) / 1000;
    return {
      system,
      phase,
      events,
      seconds,
      'events/s': rate(events, seconds),
      'CPU µs/event': Number(((cpu() * 1000) / events).toFixed(1)),
    };
  };
}

/** Hypercore 11, the anchor: the same number of ~200-byte blocks, appended in batches. */
async function hypercoreAnchor(
  dir: string,
  total: number,
  batch: number,
  record: Uint8Array,
): Promise<Row[]> {
  const { default: Hypercore } = (await import('hypercore')) as {
    default: new (dir: string) => {
      ready(): Promise<void>;
      append(blocks: Buffer[]): Promise<unknown>;
      get(i: number): Promise<Buffer>;
      close(): Promise<void>;
    };
  };
  const core = new Hypercore(join(dir, 'hypercore'));
  await core.ready();
  const blocks = Array.from({ length: batch }, () => Buffer.from(record));
  let done = timing();
  for (let i = 0; i < total; i += batch) await core.append(blocks);
  const append = done('hypercore 11', 'append (signed, batches)', total);
  done = timing();
  const readN = Math.min(total, 100_000);
  for (let i = 0; i < readN; i++) await core.get(i);
  const read = done('hypercore 11', 'read (get by index)', readN);
  await core.close();
  return [append, read];
}

/**
 * LevelDB alone, written in the level store's pattern for the same events:
 * per block of `blockSize` events, its head and 32-event parts (the
 * sample's bytes), one event-index entry per event and one genotype entry
 * per event (random 32-byte ids, as hashes are), and the block's own few
 * entries; `group` blocks a batch, fsynced. No JavaScript work but making
 * keys: the ceiling the store's writes run into on this machine. Without
 * `indexes`, the log alone: what the per-event entries cost LevelDB.
 */
async function levelAlone(
  dir: string,
  total: number,
  blockSize: number,
  group: number,
  record: Uint8Array,
  indexes: boolean,
): Promise<Row> {
  const { Level } = await import('level');
  const db = new Level<Uint8Array, Uint8Array>(join(dir, `level-alone-${String(indexes)}`), {
    keyEncoding: 'view',
    valueEncoding: 'view',
  });
  await db.open();
  const part = Buffer.alloc(32 * (record.byteLength + 36));
  for (let i = 0; i < 32; i++) part.set(record, i * record.byteLength);
  const value = Buffer.alloc(10);
  // The layout's keys made from raw ids (its `key` takes hex): table ‖ id ‖ position u64.
  const key = (table: number, id: Uint8Array, position?: number) => {
    const k = Buffer.allocUnsafe(33 + (position === undefined ? 0 : 8));
    k[0] = table;
    k.set(id, 1);
    if (position !== undefined) writeU64(k, position, 33);
    return k;
  };
  const blocks = Math.ceil(total / blockSize);
  const done = timing();
  let batch = db.batch();
  for (let b = 0; b < blocks; b++) {
    const ids = randomBytes(32 * blockSize * 2);
    for (let p = 0; p <= Math.ceil(blockSize / 32); p++) batch.put(logKey(b, p), part);
    for (let e = 0; e < (indexes ? blockSize : 0); e++) {
      batch.put(key(Table.events, ids.subarray(32 * e, 32 * e + 32)), value);
      const genotype = ids.subarray(32 * (blockSize + e), 32 * (blockSize + e) + 32);
      batch.put(key(Table.genotypes, genotype, b), value.subarray(0, 2));
    }
    const { blockIds, chains, realms, authors, kinds } = Table;
    for (const table of [blockIds, chains, realms, authors, kinds, kinds])
      batch.put(key(table, ids.subarray(0, 32), b), value);
    if (b % group === group - 1 || b === blocks - 1) {
      await batch.write({ sync: true });
      batch = db.batch();
    }
  }
  const row = done(
    'LevelDB alone',
    indexes
      ? `the store's write pattern, ${group} blocks a batch, fsynced`
      : `the same without the per-event index entries`,
    blocks * blockSize,
  );
  await db.close();
  return row;
}

/** `npm run bench -- ledger [--events N] [--block N] [--workers N] [--no-anchor]` */
export async function run(args: string[]): Promise<void> {
  const total = Number(flag(args, 'events', '1000000'));
  const blockSize = Number(flag(args, 'block', '1000'));
  const workers = Number(flag(args, 'workers', '2'));
  const dir = await mkdtemp(join(tmpdir(), 'evoledger-bench-ledger-'));
  const rows: Row[] = [];
  try {
    const identity = Identity.fromSecret(sha256(Buffer.from('bench')));
    const store = await LevelStore.open(join(dir, 'store'));
    const ledger = await Ledger.open(store);
    const { realm, block } = createRealm(identity, { name: 'bench' });
    await ledger.ingest([block]);
    const writer = await ledger.writer(identity, realm, { blockSize });

    // 1. The whole path: typed drafts in, durable signed blocks out (encode,
    //    id, Merkle root, one signature a block, chain and dep checks,
    //    indexes, fsynced batch).
    let done = timing();
    const runId = writer.emit({
      kind: 'run',
      deps: [],
      body: { task: { id: 'xor', version: 1, params: {} }, seed: 1, config: {}, engine: 'bench' },
    });
    let prev = runId;
    for (let i = 1; i < total; i++) {
      prev = writer.emit(draft(i, runId, prev));
      if (i % blockSize === 0) await writer.settle(16);
    }
    await writer.flush();
    const counts = await store.counts();
    rows.push(done('evoledger', 'append drafts (signed, fsynced)', counts.events));

    // 2. Full verification of the store, as if it came from a stranger.
    done = timing();
    let verified = 0;
    let problems = 0;
    for await (const p of verifyStore(store, { every: 1_000_000, workers })) {
      verified = p.events;
      problems = p.problems.length;
    }
    rows.push(done('evoledger', `verify (full, ${workers} workers)`, verified));

    // 3. Streaming read of every event, decoded and validated.
    done = timing();
    let read = 0;
    let bytes = 0;
    for await (const b of store.blocks()) bytes += b.bytes.byteLength;
    for await (const _ of store.events()) read++;
    rows.push(done('evoledger', 'stream events (decoded)', read));
    await store.close();

    // 4. The anchors, side by side: LevelDB alone in the store's write
    //    pattern, and Hypercore on the same count of ~200-byte records.
    const sample = encodeRecord(draft(2, runId, runId));
    if (!args.includes('--no-anchor')) {
      rows.push(await levelAlone(dir, total, blockSize, 8, sample, true));
      rows.push(await levelAlone(dir, total, blockSize, 8, sample, false));
      rows.push(...(await hypercoreAnchor(dir, total, blockSize, sample)));
    }

    printTable(
      `ledger: ${total.toLocaleString('en-US')} events, blocks of ${blockSize}, ${(bytes / counts.events).toFixed(0)} B/event stored (record ${sample.length} B)`,
      rows,
    );
    const find = (phase: string) =>
      rows.find((r) => String(r.phase).startsWith(phase))?.['events/s'];
    printJson('ledger', {
      events: counts.events,
      blockSize,
      bytesPerEvent: Math.round(bytes / counts.events),
      appendPerSec: find('append drafts'),
      appendCpuMicrosPerEvent:
        rows.find((r) => String(r.phase).startsWith('append drafts'))?.['CPU µs/event'] ?? null,
      verifyPerSec: find('verify'),
      streamPerSec: find('stream'),
      levelAlonePerSec: rows.find((r) => r.system === 'LevelDB alone')?.['events/s'] ?? null,
      levelLogAlonePerSec:
        rows.filter((r) => r.system === 'LevelDB alone')[1]?.['events/s'] ?? null,
      hypercoreAppendPerSec:
        rows.find((r) => r.system === 'hypercore 11' && String(r.phase).startsWith('append'))?.[
          'events/s'
        ] ?? null,
      problems,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
