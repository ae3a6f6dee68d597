import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Identity, sha256 } from '../crypto/index.js';
import type { EventId, GenotypeId } from '../crypto/index.js';
import { createRealm, Ledger, verifyStore } from '../ledger/index.js';
import type { EventDraft } from '../ledger/index.js';
import { LevelStore } from '../ledger/level-store.js';
import { flag, printJson, printTable } from './report.js';

const gid = (i: number) => Buffer.from(sha256(Buffer.from(`g${i}`))).toString('hex') as GenotypeId;

/** Realistic events: alternating mutations (~200 B) and evaluations (~180 B). */
function draft(i: number, run: EventId, prev: EventId): EventDraft {
  if (i % 2 === 0) {
    return {
      kind: 'mutation',
      deps: [prev],
      body: {
        generation: i >> 8,
        parent: gid(i - 1),
        child: gid(i),
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
      genotype: gid(i - 1),
      task: { id: 'xor', version: 1 },
      seed: i,
      fitness: 3 + (i % 1000) / 1000,
      cost: 4,
      solved: false,
      evaluations: 1,
    },
  };
}

/** `npm run bench -- ledger [--events N] [--block N]` */
export async function run(args: string[]): Promise<void> {
  const total = Number(flag(args, 'events', '1000000'));
  const blockSize = Number(flag(args, 'block', '1000'));
  const dir = await mkdtemp(join(tmpdir(), 'evoledger-bench-ledger-'));
  const rows = [];
  try {
    const identity = Identity.fromSecret(sha256(Buffer.from('bench')));
    const store = await LevelStore.open(join(dir, 'store'));
    const ledger = await Ledger.open(store);
    const { realm, block } = createRealm(identity, { name: 'bench' });
    await ledger.ingest([block]);
    const writer = await ledger.writer(identity, realm, { blockSize });

    // 1. Signed, durable appends: encode, id, Merkle root, signature, validation, fsynced batch.
    let t = performance.now();
    const run = writer.emit({
      kind: 'run',
      deps: [],
      body: { task: { id: 'xor', version: 1, params: {} }, seed: 1, config: {}, engine: 'bench' },
    });
    let prev = run;
    let bytes = 0;
    for (let i = 1; i < total; i++) {
      prev = writer.emit(draft(i, run, prev));
      if (i % (blockSize * 8) === 0) await writer.settle();
    }
    await writer.flush();
    const appendS = (performance.now() - t) / 1000;
    const counts = await store.counts();
    for await (const b of store.blocks()) bytes += b.bytes.byteLength;
    rows.push({ phase: 'append (signed, fsynced)', events: counts.events, seconds: appendS, 'events/s': Math.round(counts.events / appendS) });

    // 2. Full verify: signatures, Merkle roots, chains, schemas, canonical form, deps.
    t = performance.now();
    let verified = 0;
    let problems = 0;
    for await (const p of verifyStore(store, { every: 1_000_000 })) {
      verified = p.events;
      problems = p.problems.length;
    }
    const verifyS = (performance.now() - t) / 1000;
    rows.push({ phase: 'verify (full)', events: verified, seconds: verifyS, 'events/s': Math.round(verified / verifyS) });

    // 3. Streaming read of every event, decoded.
    t = performance.now();
    let read = 0;
    for await (const _ of store.events()) read++;
    const readS = (performance.now() - t) / 1000;
    rows.push({ phase: 'stream events', events: read, seconds: readS, 'events/s': Math.round(read / readS) });
    await store.close();

    printTable(`ledger: ${total.toLocaleString('en-US')} events, blocks of ${blockSize}, ${(bytes / counts.events).toFixed(0)} B/event on disk`, rows);
    printJson('ledger', {
      events: counts.events,
      blockSize,
      bytesPerEvent: bytes / counts.events,
      appendPerSec: Math.round(counts.events / appendS),
      verifyPerSec: Math.round(verified / verifyS),
      streamPerSec: Math.round(read / readS),
      problems,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
