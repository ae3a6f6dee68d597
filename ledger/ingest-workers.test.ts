import { describe, expect, it } from 'vitest';
import { encodeCanonical, idToBytes } from '../crypto/index.js';
import { sealBlock } from './block.js';
import { Ledger } from './ledger.js';
import type { IngestReport } from './ledger.js';
import { MemoryStore } from './memory-store.js';
import { createRealm } from './realm.js';
import { encodeRecord } from './record.js';
import { mutationDraft, runDraft, testIdentity } from './__tests__/fixtures.js';

/** A realm, a valid chain of five blocks, and blocks broken in each way a worker must catch. */
async function blocksToIngest(): Promise<Uint8Array[]> {
  const admin = testIdentity('workers-admin');
  const source = await Ledger.open(await MemoryStore.open());
  const { realm, block: genesis } = createRealm(admin, { name: 'workers' });
  await source.ingest([genesis]);
  const writer = await source.writer(admin, realm, { blockSize: 4 });
  let prev = writer.emit(runDraft());
  for (let i = 1; i < 20; i++) prev = writer.emit(mutationDraft(prev, i));
  await writer.flush();
  const valid: Uint8Array[] = [];
  for await (const b of source.store.blocks()) valid.push(b.bytes);

  const stranger = testIdentity('workers-stranger');
  const signed = sealBlock(stranger, realm, undefined, [encodeRecord(runDraft(9))]);
  const badSignature = new Uint8Array(signed.bytes);
  badSignature[badSignature.length - signed.records[0]!.length - 5]! ^= 1;
  const badRecord = new Uint8Array(signed.bytes);
  badRecord[badRecord.length - 3]! ^= 1;
  // Signed correctly, but its body breaks the mutation schema.
  const badSchema = sealBlock(testIdentity('workers-other'), realm, undefined, [
    encodeCanonical({
      v: 1,
      body: { ops: [], seed: -1, child: idToBytes(prev), parent: idToBytes(prev), generation: 0 },
      deps: [],
      kind: 'mutation',
    }),
  ]).bytes;
  const garbage = Uint8Array.of(0x83, 0x01, 0x02);
  return [...valid, badSignature, badRecord, badSchema, garbage, signed.bytes];
}

/** What a report says, in a form two reports can be compared by. */
const summary = (r: IngestReport) => ({
  accepted: r.accepted.map((b) => b.id),
  duplicates: r.duplicates,
  rejected: r.rejected.map((x) => [x.block, x.code]),
});

describe('Ledger.ingest on worker threads', () => {
  it('accepts and refuses exactly what checking on this thread does', async () => {
    const blocks = await blocksToIngest();
    const inline = await Ledger.open(await MemoryStore.open());
    const threaded = await Ledger.open(await MemoryStore.open(), { workers: 2 });
    try {
      const a = await inline.ingest(blocks);
      const b = await threaded.ingest(blocks);
      expect(summary(b)).toEqual(summary(a));
      expect(a.accepted.length).toBe(blocks.length - 4);
      expect(a.rejected.map((x) => x.code).sort()).toEqual(
        ['BAD_ROOT', 'INVALID_SIGNATURE', 'SCHEMA_VIOLATION', 'SCHEMA_VIOLATION'].sort(),
      );
      // A refused block is named whenever its header decodes (garbage is not).
      expect(a.rejected.filter((x) => x.block === null).length).toBe(1);
      // The events decoded after a worker's check are the events themselves.
      const ids = a.accepted.flatMap((x) => x.eventIds);
      for (const id of ids) {
        expect(await threaded.store.getEvent(id)).toEqual(await inline.store.getEvent(id));
      }
      // Views into one shared Buffer (as a file read gives) are copied, never moved away.
      const shared = Buffer.concat(blocks);
      let at = 0;
      const views = blocks.map((b) => shared.subarray(at, (at += b.length)));
      const again = await threaded.ingest(views);
      expect(again.duplicates).toBe(blocks.length - 4);
      expect(Buffer.concat(views).equals(Buffer.concat(blocks))).toBe(true);
    } finally {
      await threaded.close();
    }
  });
});
