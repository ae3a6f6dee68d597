import { CborReader, CryptoError, idAt, idToBytes, UnexpectedShape } from '../crypto/index.js';
import type { EventId } from '../crypto/index.js';
import type { SignedBlock } from './block.js';
import { LedgerError } from './errors.js';
import type { LedgerEvent } from './event.js';
import { decodeRecord } from './record.js';
import type { BlockRange, ChainBlockBytes, EventStore, StoredBlockBytes } from './store.js';
import type { PublicKey, RealmId } from '../crypto/index.js';

/** The bytes form of a decoded block (the event ids converted back to raw bytes). */
export function blockBytesOf(block: SignedBlock): StoredBlockBytes {
  const { header, eventIds } = block;
  const ids = new Uint8Array(32 * eventIds.length);
  for (let i = 0; i < eventIds.length; i++) ids.set(idToBytes(eventIds[i]!), 32 * i);
  return {
    id: block.id,
    realm: header.realm,
    author: header.author,
    first: header.first,
    count: header.count,
    bytes: block.bytes,
    eventIds: ids,
  };
}

async function* throughBlocks(store: EventStore, range?: BlockRange) {
  for await (const block of store.blocks(range)) yield blockBytesOf(block);
}

/**
 * A store's blocks in log order as bytes ({@link EventStore.blockBytes}),
 * or, for a store that does not offer them, its decoded blocks converted.
 */
export function storedBlockBytes(
  store: EventStore,
  range?: BlockRange,
): AsyncIterable<StoredBlockBytes> {
  return store.blockBytes?.(range) ?? throughBlocks(store, range);
}

async function* chainThroughBlocks(
  store: EventStore,
  realm: RealmId,
  author: PublicKey,
  fromSeq?: number,
): AsyncIterable<ChainBlockBytes> {
  for await (const block of store.chain(realm, author, fromSeq)) {
    yield { id: block.id, seq: block.header.seq, bytes: block.bytes };
  }
}

/**
 * An author's chain from `fromSeq` as bytes ({@link EventStore.chainBytes}),
 * or, for a store that does not offer them, its decoded blocks' bytes.
 */
export function storedChainBytes(
  store: EventStore,
  realm: RealmId,
  author: PublicKey,
  fromSeq?: number,
): AsyncIterable<ChainBlockBytes> {
  return (
    store.chainBytes?.(realm, author, fromSeq) ?? chainThroughBlocks(store, realm, author, fromSeq)
  );
}

/**
 * The record bytes of a stored block (views into its bytes), found without
 * decoding the block whole. Throws `SCHEMA_VIOLATION` when the bytes are not
 * a block of `count` records.
 */
export function storedBlockRecords(block: StoredBlockBytes): Uint8Array[] {
  const r = new CborReader(block.bytes);
  try {
    // [header, signature, [record…]]: the header and signature are not needed here.
    if (r.array() === 3) {
      r.skip();
      r.skip();
      if (r.array() === block.count && block.eventIds.byteLength === 32 * block.count) {
        const records = new Array<Uint8Array>(block.count);
        for (let i = 0; i < block.count; i++) records[i] = r.byteString();
        r.end();
        return records;
      }
    }
  } catch (err) {
    if (!(err instanceof UnexpectedShape) && !(err instanceof CryptoError)) throw err;
  }
  throw new LedgerError(
    'SCHEMA_VIOLATION',
    `stored block ${block.id} does not hold its ${block.count} records: the store is damaged; ` +
      `"evoledger verify" tells what else is`,
  );
}

/**
 * The events of a stored block, decoded as records validated when they were
 * stored are (`decodeRecord` with `trusted`): what `blockEvents` gives for
 * the same block, without decoding the block whole.
 */
export function storedBlockEvents(block: StoredBlockBytes): LedgerEvent[] {
  const { realm, author, first, eventIds } = block;
  return storedBlockRecords(block).map((record, i) => {
    const id = idAt<EventId>(eventIds, 32 * i);
    return decodeRecord(record, { id, realm, author, seq: first + i }, { trusted: true });
  });
}
