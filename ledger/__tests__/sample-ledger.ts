import { PassThrough } from 'node:stream';
import type { SignedBlock } from '../block.js';
import { Ledger } from '../ledger.js';
import { writeLog } from '../log-file.js';
import { MemoryStore } from '../memory-store.js';
import { createRealm } from '../realm.js';
import { evaluationDraft, mutationDraft, runDraft, testIdentity } from './fixtures.js';

/** A small ledger: a realm genesis, then three authors writing interleaved small blocks. */
export async function sampleLedger(
  options: { authors?: number; blocksPerAuthor?: number; blockSize?: number } = {},
) {
  const authors = options.authors ?? 3;
  const perAuthor = options.blocksPerAuthor ?? 3;
  const blockSize = options.blockSize ?? 4;
  const ledger = await Ledger.open(await MemoryStore.open());
  const admin = testIdentity('sample-admin');
  const { realm, block } = createRealm(admin, { name: 'sample' });
  await ledger.ingest([block]);
  const writers = await Promise.all(
    Array.from({ length: authors }, (_, a) =>
      ledger.writer(testIdentity(`sample-${a}`), realm, { blockSize }),
    ),
  );
  const last = writers.map((w) => w.emit(runDraft(1)));
  for (let i = 1; i < perAuthor * blockSize; i++) {
    for (let a = 0; a < authors; a++) {
      const w = writers[a]!;
      last[a] = w.emit(
        i % 2 === 0 ? mutationDraft(last[a]!, i) : evaluationDraft(last[a]!, last[a]!, i),
      );
      if (w.emitted % blockSize === 0) await w.flush();
    }
  }
  for (const w of writers) await w.flush();
  return { ledger, realm: realm, genesis: block };
}

/** Exported log bytes of a store. */
export async function exportBytes(ledger: Ledger): Promise<Uint8Array> {
  const sink = new PassThrough();
  const chunks: Buffer[] = [];
  sink.on('data', (c: Buffer) => chunks.push(c));
  await writeLog(ledger.store, sink);
  sink.end();
  return new Uint8Array(Buffer.concat(chunks));
}

/** Every block of a store in log order. */
export async function allBlocks(ledger: Ledger): Promise<SignedBlock[]> {
  const out: SignedBlock[] = [];
  for await (const b of ledger.store.blocks()) out.push(b);
  return out;
}
