import { idFromBytes, taggedHash } from '../crypto/index.js';
import type { EventId, GenotypeId, Identity, RealmId } from '../crypto/index.js';
import type { EventDraft, Ledger } from '../ledger/index.js';

const u32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0);
  return b;
};

/**
 * A valid `evaluation` event of a synthetic task, distinct for each `(tag, i)`:
 * load for tests and benchmarks of replication (about 200 bytes on the wire,
 * like a real evaluation). Not evolution: no genotype behind it.
 */
export function syntheticDraft(tag: number, i: number): EventDraft {
  const genotype = idFromBytes<GenotypeId>(
    taggedHash('evoledger/synthetic/genotype', u32(tag), u32(i)),
  );
  const run = idFromBytes<EventId>(taggedHash('evoledger/synthetic/run', u32(tag)));
  return {
    kind: 'evaluation',
    deps: [],
    body: {
      run,
      genotype,
      task: { id: 'synthetic', version: 1 },
      seed: (tag * 7919 + i) >>> 0,
      fitness: ((i * 2654435761) % 1000) / 1000,
      cost: 1,
      solved: false,
      evaluations: 1,
    },
  };
}

/** Writes `count` synthetic events signed by `identity` into `realm`, `blockSize` a block, and flushes. */
export async function writeSynthetic(
  ledger: Ledger,
  identity: Identity,
  realm: RealmId,
  count: number,
  options: { blockSize?: number; tag?: number; from?: number } = {},
): Promise<void> {
  const writer = await ledger.writer(identity, realm, { blockSize: options.blockSize ?? 1000 });
  const tag = options.tag ?? 0;
  const from = options.from ?? 0;
  for (let i = 0; i < count; i++) writer.emit(syntheticDraft(tag, from + i));
  await writer.flush();
}
