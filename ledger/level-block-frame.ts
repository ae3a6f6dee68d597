import { bytesEqual, idFromBytes } from '../crypto/index.js';
import type { BlockId, EventId, PublicKey, RealmId } from '../crypto/index.js';
import { decodeBlock } from './block.js';
import type { SignedBlock } from './block.js';
import type { StoredBlockBytes } from './store.js';

/**
 * How {@link LevelStore} keeps a block in its log: the block's own bytes,
 * preceded by a directory that lets one event be read without decoding (and
 * re-hashing) the whole block:
 *
 *   u32 directory length ‖ directory ‖ block bytes
 *   directory = block id ‖ realm ‖ author ‖ first u64 ‖ count u32 ‖ flags u8
 *               ‖ count × (event id ‖ record offset u32 ‖ record length u32)
 *
 * Offsets are into the block bytes. They are found at append time from the
 * canonical layout `[header, signature, [record…]]` (records are the tail of
 * the bytes) and checked against the records byte for byte; a block whose
 * records cannot be located that way is stored without offsets (flags 0) and
 * read by decoding it whole.
 */
const FIXED = 32 + 32 + 32 + 8 + 4 + 1;
const PER_EVENT = 32 + 4 + 4;
const HAS_OFFSETS = 1;

/** Length of the CBOR head of a byte string of `length` bytes. */
function byteStringHead(length: number): number {
  return length < 24 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 5;
}

/** Byte offsets of each record inside `block.bytes`, or undefined if not where expected. */
function recordOffsets(block: SignedBlock): number[] | undefined {
  const { bytes, records } = block;
  const offsets = new Array<number>(records.length);
  let end = bytes.byteLength;
  for (let i = records.length - 1; i >= 0; i--) {
    const record = records[i]!;
    const start = end - record.byteLength;
    if (start < 0 || !bytesEqual(bytes.subarray(start, end), record)) return undefined;
    offsets[i] = start;
    end = start - byteStringHead(record.byteLength);
  }
  return offsets;
}

/** The stored form of `block` (see the layout above). */
export function frameBlock(block: SignedBlock): Buffer {
  const { header, eventIds, records, bytes } = block;
  const n = records.length;
  const offsets = recordOffsets(block);
  const dirLength = FIXED + n * PER_EVENT;
  const out = Buffer.allocUnsafe(4 + dirLength + bytes.byteLength);
  out.writeUInt32BE(dirLength, 0);
  let o = 4;
  o += out.write(block.id, o, 32, 'hex');
  o += out.write(header.realm, o, 32, 'hex');
  o += out.write(header.author, o, 32, 'hex');
  out.writeUInt32BE(Math.floor(header.first / 2 ** 32), o);
  out.writeUInt32BE(header.first >>> 0, o + 4);
  out.writeUInt32BE(n, o + 8);
  out[o + 12] = offsets === undefined ? 0 : HAS_OFFSETS;
  o += 13;
  for (let i = 0; i < n; i++) {
    o += out.write(eventIds[i]!, o, 32, 'hex');
    out.writeUInt32BE(offsets?.[i] ?? 0, o);
    out.writeUInt32BE(records[i]!.byteLength, o + 4);
    o += 8;
  }
  out.set(bytes, o);
  return out;
}

/** A stored block, read lazily: its directory is parsed, its events decoded on demand. */
export class BlockFrame {
  readonly id: BlockId;
  readonly realm: RealmId;
  readonly author: PublicKey;
  /** Sequence number of the block's first event. */
  readonly first: number;
  readonly count: number;
  readonly #value: Buffer;
  readonly #bytesStart: number;
  readonly #hasOffsets: boolean;
  #block: SignedBlock | undefined;

  constructor(value: Uint8Array) {
    const v = Buffer.isBuffer(value)
      ? value
      : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    this.#value = v;
    this.#bytesStart = 4 + v.readUInt32BE(0);
    this.id = idFromBytes<BlockId>(v.subarray(4, 36));
    this.realm = idFromBytes<RealmId>(v.subarray(36, 68));
    this.author = idFromBytes<PublicKey>(v.subarray(68, 100));
    this.first = v.readUInt32BE(100) * 2 ** 32 + v.readUInt32BE(104);
    this.count = v.readUInt32BE(108);
    this.#hasOffsets = (v[112]! & HAS_OFFSETS) !== 0;
  }

  /** The block's own bytes (a view, not a copy). */
  get bytes(): Uint8Array {
    const v = this.#value;
    return new Uint8Array(
      v.buffer,
      v.byteOffset + this.#bytesStart,
      v.byteLength - this.#bytesStart,
    );
  }

  /**
   * The whole block, decoded once. It was verified before it was stored, so
   * only its structure is decoded.
   */
  get block(): SignedBlock {
    // The ids were checked when the block was stored: pass them, do not re-hash.
    return (this.#block ??= decodeBlock(this.bytes, {
      verify: false,
      eventIds: Array.from({ length: this.count }, (_, i) => this.eventId(i)),
    }));
  }

  /** The stored block as bytes: its own bytes and event ids, nothing decoded. */
  get stored(): StoredBlockBytes {
    const v = this.#value;
    const eventIds = new Uint8Array(32 * this.count);
    for (let i = 0; i < this.count; i++) {
      const at = 4 + FIXED + i * PER_EVENT;
      eventIds.set(v.subarray(at, at + 32), 32 * i);
    }
    const { id, realm, author, first, count } = this;
    return { id, realm, author, first, count, bytes: this.bytes, eventIds };
  }

  /** Id of event `index`. */
  eventId(index: number): EventId {
    const at = 4 + FIXED + index * PER_EVENT;
    return idFromBytes<EventId>(this.#value.subarray(at, at + 32));
  }

  /** Record bytes of event `index` (a view into the stored value). */
  record(index: number): Uint8Array {
    if (!this.#hasOffsets) return this.block.records[index]!;
    const v = this.#value;
    const at = 4 + FIXED + index * PER_EVENT + 32;
    const start = v.byteOffset + this.#bytesStart + v.readUInt32BE(at);
    return new Uint8Array(v.buffer, start, v.readUInt32BE(at + 4));
  }
}
