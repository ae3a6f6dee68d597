import {
  bufferView,
  bytesEqual,
  concatBytes,
  idFromBytes,
  merkleProof,
  merkleSubtreeRoots,
} from '../crypto/index.js';
import type { ProofStep } from '../crypto/index.js';
import type { BlockId, EventId, PublicKey, RealmId } from '../crypto/index.js';
import { decodeBlock, decodeBlockHeader, eventIdBytesOfBlock } from './block.js';
import type { BlockHeader, SignedBlock } from './block.js';
import { LedgerError } from './errors.js';

/**
 * How {@link LevelStore} keeps a block in its log: several LevelDB values, a
 * head and parts of {@link PART_EVENTS} events, so that reading one event
 * reads one value of a few kB instead of the whole block (~275 kB for 1,000
 * events):
 *
 *   block         = block id ‖ realm ‖ author ‖ first u64 ‖ count u32
 *   part 0 (head) = block ‖ parts u16 ‖ parts × part root ‖ lead
 *   part k ≥ 1    = block ‖ n × (event id ‖ record length u32) ‖ run
 *
 * Every part repeats the block's ids and numbers (108 bytes, ~1.5% of a
 * part), so one event is read with one value, not two. Part k holds the
 * n = min(PART_EVENTS, count − (k − 1)·PART_EVENTS) events from
 * (k − 1)·PART_EVENTS on. Its `run` is the block's bytes from the CBOR head
 * of its first record to the end of its last record, and `lead` is what
 * precedes the first record (array head, header, signature, head of the
 * records array), so lead ‖ run 1 ‖ … ‖ run m is the block's own encoding
 * byte for byte, and a record's offset in its run follows from the lengths.
 * The runs are found at append time from the canonical layout
 * `[header, signature, [record…]]` and checked against the block byte for
 * byte (lead included); a block that is not laid out that way is stored
 * whole in its lead with `parts` 0, and read by decoding it whole.
 *
 * A part root is the Merkle root (`merkleRoot`) of the part's event ids.
 * Parts start at multiples of {@link PART_EVENTS}, a power of two, so each
 * is a subtree of the block's Merkle tree, and the tree over the part roots
 * is the rest of it: the block's root is the root of its part roots, and
 * an event's inclusion proof is its path in its part followed by its part's
 * path among the part roots ({@link BlockHead.proof}). A proof thus reads
 * the head and one part, not the whole block. The roots are not trusted:
 * a proof built from a wrong one does not reach the signed root.
 *
 * Event `index` is in part 1 + ⌊index / PART_EVENTS⌋: a reader knows which
 * value to read from the event's place alone, without reading the head
 * first. A damaged or missing value is reported as `SCHEMA_VIOLATION` or
 * `NOT_FOUND`, never read past.
 *
 * Why 32 events (a power of two, see above): measured on a 1M-event ledger, a part of 8 events made the
 * lineage's point reads ~2× cheaper but a full scan ~1.7× dearer (four times
 * as many values); 16 was no cheaper to read than 32.
 */
export const PART_EVENTS = 32;
/** log2 of {@link PART_EVENTS}: a part root is a node this many levels above the block's ids. */
const PART_HEIGHT = Math.log2(PART_EVENTS);

const BLOCK_FIXED = 32 + 32 + 32 + 8 + 4;
const HEAD_FIXED = BLOCK_FIXED + 2;
const PER_EVENT = 32 + 4;

/** Length of the CBOR head of a byte string of `length` bytes. */
function byteStringHead(length: number): number {
  return length < 24 ? 1 : length < 0x100 ? 2 : length < 0x10000 ? 3 : 5;
}

/** The CBOR head of major type `major` (2 byte string, 4 array) for `length` (< 2^32). */
function cborHead(major: number, length: number): Buffer {
  const size = byteStringHead(length);
  const out = Buffer.allocUnsafe(size);
  const m = major << 5;
  if (size === 1) out[0] = m | length;
  else if (size === 2) out.set([m | 24, length]);
  else if (size === 3) {
    out[0] = m | 25;
    out.writeUInt16BE(length, 1);
  } else {
    out[0] = m | 26;
    out.writeUInt32BE(length, 1);
  }
  return out;
}

/**
 * Byte offset of each record inside `block.bytes`, or undefined when the
 * bytes are not exactly `[header, signature, [record…]]` in canonical CBOR
 * (the lead then could not be read back as such).
 */
function recordOffsets(block: SignedBlock): number[] | undefined {
  const { bytes, records, headerBytes, signature } = block;
  const offsets = new Array<number>(records.length);
  const whole = bufferView(bytes);
  let end = bytes.byteLength;
  for (let i = records.length - 1; i >= 0; i--) {
    const record = records[i]!;
    const start = end - record.byteLength;
    // compare() reads the range in place: no view object per record.
    if (start < 0 || whole.compare(record, 0, record.byteLength, start, end) !== 0) {
      return undefined;
    }
    offsets[i] = start;
    end = start - byteStringHead(record.byteLength);
  }
  const lead = Buffer.concat([
    Uint8Array.of(0x83),
    cborHead(2, headerBytes.byteLength),
    headerBytes,
    cborHead(2, signature.byteLength),
    signature,
    cborHead(4, records.length),
  ]);
  return end === lead.byteLength && bytesEqual(bytes.subarray(0, end), lead) ? offsets : undefined;
}

/** The part that holds event `index` (parts count from 1; 0 is the head). */
export const partOf = (index: number): number => 1 + Math.floor(index / PART_EVENTS);

/** Number of parts of a block of `count` events. */
const partsFor = (count: number): number => Math.ceil(count / PART_EVENTS);

/** The event ids of `block`, 32 bytes each, in one buffer (what {@link frameBlock} takes; read only). */
export function joinedEventIds(block: SignedBlock): Buffer {
  return bufferView(eventIdBytesOfBlock(block));
}

/**
 * The stored values of `block`: its head, then its parts in order (see the
 * layout above). `ids` are its event ids as {@link joinedEventIds} gives them.
 */
export function frameBlock(block: SignedBlock, ids: Buffer = joinedEventIds(block)): Buffer[] {
  const { header, records, bytes } = block;
  const count = records.length;
  const offsets = recordOffsets(block);
  const parts = offsets === undefined ? 0 : partsFor(count);
  const fixed = Buffer.allocUnsafe(BLOCK_FIXED);
  let o = fixed.write(block.id, 0, 32, 'hex');
  o += fixed.write(header.realm, o, 32, 'hex');
  o += fixed.write(header.author, o, 32, 'hex');
  fixed.writeUInt32BE(Math.floor(header.first / 2 ** 32), o);
  fixed.writeUInt32BE(header.first >>> 0, o + 4);
  fixed.writeUInt32BE(count, o + 8);
  // Where the first record's CBOR head starts: the end of the lead.
  const leadEnd =
    offsets === undefined || count === 0
      ? bytes.byteLength
      : offsets[0]! - byteStringHead(records[0]!.byteLength);
  const head = Buffer.allocUnsafe(HEAD_FIXED + 32 * parts + leadEnd);
  fixed.copy(head, 0);
  head.writeUInt16BE(parts, BLOCK_FIXED);
  head.set(bytes.subarray(0, leadEnd), HEAD_FIXED + 32 * parts);
  if (parts > 0) head.set(merkleSubtreeRoots(ids, PART_HEIGHT), HEAD_FIXED);
  const out = [head];
  let runStart = leadEnd;
  for (let k = 0; k < parts; k++) {
    const from = k * PART_EVENTS;
    const to = Math.min(count, from + PART_EVENTS);
    const runEnd =
      to === count ? bytes.byteLength : offsets![to]! - byteStringHead(records[to]!.byteLength);
    const part = Buffer.allocUnsafe(BLOCK_FIXED + (to - from) * PER_EVENT + (runEnd - runStart));
    fixed.copy(part, 0);
    let p = BLOCK_FIXED;
    for (let i = from; i < to; i++) {
      ids.copy(part, p, 32 * i, 32 * i + 32);
      part.writeUInt32BE(records[i]!.byteLength, p + 32);
      p += PER_EVENT;
    }
    part.set(bytes.subarray(runStart, runEnd), p);
    out.push(part);
    runStart = runEnd;
  }
  return out;
}

function damaged(position: number, what: string): LedgerError {
  return new LedgerError(
    'SCHEMA_VIOLATION',
    `the log's block at position ${position} is damaged (${what}); the store cannot serve it: ` +
      `restore the store from an exported log ("evoledger import") or from a peer`,
  );
}

/** The block's ids and numbers, as every value of a stored block begins. */
export class StoredBlockInfo {
  /** Log position of the block. */
  readonly position: number;
  readonly id: BlockId;
  readonly realm: RealmId;
  readonly author: PublicKey;
  /** Sequence number of the block's first event. */
  readonly first: number;
  /** Number of events in the block. */
  readonly count: number;

  constructor(position: number, v: Buffer) {
    if (v.byteLength < BLOCK_FIXED) throw damaged(position, 'a value of it is truncated');
    this.position = position;
    this.id = idFromBytes<BlockId>(v.subarray(0, 32));
    this.realm = idFromBytes<RealmId>(v.subarray(32, 64));
    this.author = idFromBytes<PublicKey>(v.subarray(64, 96));
    this.first = v.readUInt32BE(96) * 2 ** 32 + v.readUInt32BE(100);
    this.count = v.readUInt32BE(104);
  }
}

/** Reads the CBOR head of major type `major` at `at`: [length, where the item starts]. */
function readHead(v: Buffer, at: number, major: number): [number, number] {
  const first = v[at];
  if (first === undefined || first >> 5 !== major) return [-1, -1];
  const info = first & 31;
  if (info < 24) return [info, at + 1];
  if (info === 24 && at + 2 <= v.byteLength) return [v[at + 1]!, at + 2];
  if (info === 25 && at + 3 <= v.byteLength) return [v.readUInt16BE(at + 1), at + 3];
  if (info === 26 && at + 5 <= v.byteLength) return [v.readUInt32BE(at + 1), at + 5];
  return [-1, -1];
}

/** The head of a stored block (part 0). */
export class BlockHead extends StoredBlockInfo {
  /** Number of parts; 0 when the whole block is in the lead. */
  readonly parts: number;
  /** The Merkle root of each part's event ids, 32 bytes each, in part order (see the layout above). */
  readonly partRoots: Uint8Array;
  /** The block's bytes before its first record (all of them when `parts` is 0). */
  readonly lead: Uint8Array;
  /** The signed header's bytes and the signature (views into the lead; empty when `parts` is 0). */
  readonly headerBytes: Uint8Array;
  readonly signature: Uint8Array;
  #whole: SignedBlock | undefined;

  constructor(position: number, value: Uint8Array) {
    const v = bufferView(value);
    super(position, v);
    if (v.byteLength < HEAD_FIXED) throw damaged(position, 'its head is truncated');
    this.parts = v.readUInt16BE(BLOCK_FIXED);
    const leadStart = HEAD_FIXED + 32 * this.parts;
    if (v.byteLength < leadStart) throw damaged(position, 'its head is truncated');
    this.partRoots = v.subarray(HEAD_FIXED, leadStart);
    this.lead = v.subarray(leadStart);
    if (this.parts === 0) {
      this.headerBytes = this.signature = v.subarray(0, 0);
      return;
    }
    // The lead of a block with parts was checked to be exactly
    // [ header bytes, signature bytes, [ (count records follow) ].
    const lead = v.subarray(leadStart);
    const [h, hAt] = lead[0] === 0x83 ? readHead(lead, 1, 2) : [-1, -1];
    const [s, sAt] = h < 0 ? [-1, -1] : readHead(lead, hAt + h, 2);
    const [n, end] = s < 0 ? [-1, -1] : readHead(lead, sAt + s, 4);
    if (this.parts !== partsFor(this.count) || n !== this.count || end !== lead.byteLength) {
      throw damaged(
        position,
        `its head does not describe ${this.count} events in ${this.parts} parts`,
      );
    }
    this.headerBytes = lead.subarray(hAt, hAt + h);
    this.signature = lead.subarray(sAt, sAt + s);
  }

  /**
   * The Merkle path of event `index` of this block, from its id to the
   * block's root, given the part that holds it (`parts` ≥ 1): its path
   * among the part's ids, then its part's path among the part roots. Equal
   * to `merkleProof` over all the block's ids (the roots and ids are what
   * the store holds: `verifyMerkleProof` against the signed root checks them).
   */
  proof(part: BlockPart, index: number): ProofStep[] {
    const k = part.from / PART_EVENTS;
    if (this.parts === 0 || part.block.id !== this.id || k >= this.parts) {
      throw damaged(this.position, `its part ${k + 1} does not belong to its head`);
    }
    const ids = Array.from({ length: part.size }, (_, i) => part.eventIdBytes(i));
    const roots = Array.from({ length: this.parts }, (_, j) =>
      this.partRoots.subarray(32 * j, 32 * j + 32),
    );
    return [...merkleProof(ids, index - part.from), ...merkleProof(roots, k)];
  }

  /** The whole block, when it is stored in the lead alone (`parts` 0): decoded once. */
  get whole(): SignedBlock {
    if (this.#whole === undefined) {
      try {
        this.#whole = decodeBlock(this.lead, { verify: false });
      } catch (err) {
        throw damaged(this.position, `its bytes do not decode: ${(err as Error).message}`);
      }
    }
    return this.#whole;
  }
}

/** One stored part of a block: a run of records and their ids. */
export class BlockPart {
  /** The block's ids and numbers: the head's when given, else read from the part. */
  readonly block: StoredBlockInfo;
  /** Index in the block of the part's first event. */
  readonly from: number;
  /** Number of events in the part. */
  readonly size: number;
  /** The block's bytes this part holds (see the layout above). */
  readonly run: Uint8Array;
  readonly #value: Buffer;
  /** Where each record starts in the value. */
  readonly #offsets: Uint32Array;

  /**
   * Part `part` of the block at `position`, from its stored value. With
   * `head` (a scan has it), the part must name the head's block.
   */
  constructor(position: number, part: number, value: Uint8Array, head?: BlockHead) {
    const v = bufferView(value);
    if (head !== undefined && !(v.byteLength >= 32 && v.toString('hex', 0, 32) === head.id)) {
      throw damaged(position, `its part ${part} names another block`);
    }
    const block = head ?? new StoredBlockInfo(position, v);
    const from = (part - 1) * PART_EVENTS;
    const n = Math.min(PART_EVENTS, block.count - from);
    const runStart = BLOCK_FIXED + n * PER_EVENT;
    if (part < 1 || n < 1 || v.byteLength < runStart) {
      throw damaged(position, `its part ${part} is truncated or misplaced`);
    }
    this.block = block;
    this.from = from;
    this.size = n;
    this.#value = v;
    this.run = v.subarray(runStart);
    const offsets = new Uint32Array(n);
    let at = runStart;
    for (let i = 0; i < n; i++) {
      const length = v.readUInt32BE(BLOCK_FIXED + i * PER_EVENT + 32);
      offsets[i] = at + byteStringHead(length);
      at = offsets[i]! + length;
    }
    if (at !== v.byteLength) {
      throw damaged(position, `the records of its part ${part} do not add up`);
    }
    this.#offsets = offsets;
  }

  /** Raw 32-byte id of the part's event `i` (a view into the stored value). */
  eventIdBytes(i: number): Uint8Array {
    const at = BLOCK_FIXED + i * PER_EVENT;
    return this.#value.subarray(at, at + 32);
  }

  /** Id of the part's event `i` (counted from the part's first). */
  eventId(i: number): EventId {
    const at = BLOCK_FIXED + i * PER_EVENT;
    return idFromBytes<EventId>(this.#value.subarray(at, at + 32));
  }

  /** Record bytes of the part's event `i` (a view into the stored value). */
  record(i: number): Uint8Array {
    const v = this.#value;
    const length = v.readUInt32BE(BLOCK_FIXED + i * PER_EVENT + 32);
    return new Uint8Array(v.buffer, v.byteOffset + this.#offsets[i]!, length);
  }
}

/** A block's own encoding from its head and all its parts, in order: lead ‖ run 1 ‖ … ‖ run m. */
export function joinedBytes(head: BlockHead, parts: readonly BlockPart[]): Uint8Array {
  return head.parts === 0 ? head.lead : concatBytes(head.lead, ...parts.map((p) => p.run));
}

/**
 * The whole block from its head and all its parts, in order. It was
 * verified before it was stored, so it is rebuilt from what the values
 * hold: header and signature from the lead, records as views into the
 * parts, ids from the parts' directories (not hashed again). Its `bytes`
 * are joined on first use (lead ‖ runs: the block's own encoding), as
 * export and replication need them and a lineage check does not.
 */
export function storedBlock(head: BlockHead, parts: readonly BlockPart[]): SignedBlock {
  if (head.parts === 0) return head.whole;
  if (parts.length !== head.parts || parts.some((p, k) => p.from !== k * PART_EVENTS)) {
    throw damaged(head.position, `${parts.length} of its ${head.parts} parts are stored`);
  }
  let header: BlockHeader;
  try {
    header = decodeBlockHeader(head.headerBytes);
  } catch (err) {
    throw damaged(head.position, `its header does not decode: ${(err as Error).message}`);
  }
  if (
    header.count !== head.count ||
    header.first !== head.first ||
    header.realm !== head.realm ||
    header.author !== head.author
  ) {
    throw damaged(head.position, 'its header does not match its head');
  }
  const records = new Array<Uint8Array>(head.count);
  const eventIds = new Array<EventId>(head.count);
  for (const part of parts) {
    for (let i = 0; i < part.size; i++) {
      records[part.from + i] = part.record(i);
      eventIds[part.from + i] = part.eventId(i);
    }
  }
  let bytes: Uint8Array | undefined;
  return {
    id: head.id,
    header,
    headerBytes: head.headerBytes,
    signature: head.signature,
    records,
    eventIds,
    // An own enumerable getter: a spread copy of the block reads it too.
    get bytes() {
      return (bytes ??= joinedBytes(head, parts));
    },
  };
}
