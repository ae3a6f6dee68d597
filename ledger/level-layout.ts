import { idFromBytes } from '../crypto/index.js';
import type { BlockId, PublicKey, RealmId } from '../crypto/index.js';
import type { ChainHead } from './block.js';

/**
 * Key layout of {@link LevelStore}: one LevelDB keyspace, one leading byte
 * per table, fixed-width big-endian numbers so that byte order is numeric
 * order. Ids are their 32 raw bytes.
 *
 * | table | key | value |
 * |---|---|---|
 * | `V` format | `V` | u8 layout version |
 * | `S` state | `S` | next position u64 ‖ event count u64 |
 * | `B` log | `B` ‖ position u64 | block frame (`level-block-frame.ts`): directory ‖ block bytes |
 * | `I` block ids | `I` ‖ block id | position u64 |
 * | `E` events | `E` ‖ event id | position u64 ‖ index u16 |
 * | `C` chains | `C` ‖ realm ‖ author ‖ seq u64 | position u64 |
 * | `H` heads | `H` ‖ realm ‖ author | seq u64 ‖ block id ‖ next event u64 |
 * | `R` realm index | `R` ‖ realm ‖ position u64 | (empty) |
 * | `A` author index | `A` ‖ author ‖ position u64 | realm |
 * | `K` kind index | `K` ‖ kind length u8 ‖ kind ‖ position u64 | index u16… |
 * | `G` genotype index | `G` ‖ genotype ‖ position u64 | index u16… |
 * | `N` index sizes | `N` ‖ UTF-8 name | u64 |
 * | `M` meta | `M` ‖ UTF-8 key | caller's bytes |
 *
 * Blocks are keyed by position, not by id: the log is written in key order,
 * so LevelDB compaction moves the big values without rewriting them, and a
 * log scan is one sequential range read.
 */
export const Table = {
  version: 0x56, // V
  state: 0x53, // S
  log: 0x42, // B
  blockIds: 0x49, // I
  events: 0x45, // E
  chains: 0x43, // C
  heads: 0x48, // H
  realms: 0x52, // R
  authors: 0x41, // A
  kinds: 0x4b, // K
  genotypes: 0x47, // G
  sizes: 0x4e, // N
  meta: 0x4d, // M
} as const;

/** Name of an index size counter in table `N` (`K:kind`, `A:author`, `R:realm`). */
export const sizeName = (table: 'K' | 'A' | 'R', name: string): string => `${table}:${name}`;

/** Version of this layout, checked on open. */
export const LAYOUT_VERSION = 1;

const TWO_32 = 2 ** 32;

/** Writes `n` (a safe non-negative integer) as u64 big-endian at `offset`. */
export function writeU64(buf: Buffer, n: number, offset: number): void {
  buf.writeUInt32BE(Math.floor(n / TWO_32), offset);
  buf.writeUInt32BE(n >>> 0, offset + 4);
}

/** Reads a u64 big-endian written by {@link writeU64}. */
export function readU64(buf: Uint8Array, offset: number): number {
  const view = asBuffer(buf);
  return view.readUInt32BE(offset) * TWO_32 + view.readUInt32BE(offset + 4);
}

/** A Buffer over the same memory (no copy). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes)
    ? bytes
    : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A key made of a table byte, hex ids (32 bytes each) and trailing u64 numbers. */
export function key(
  table: number,
  ids: readonly string[],
  numbers: readonly number[] = [],
): Buffer {
  const buf = Buffer.allocUnsafe(1 + ids.length * 32 + numbers.length * 8);
  buf[0] = table;
  let offset = 1;
  for (const id of ids) offset += buf.write(id, offset, 32, 'hex');
  for (const n of numbers) {
    writeU64(buf, n, offset);
    offset += 8;
  }
  return buf;
}

/** The first key after every key that starts with `prefix`. */
export function prefixEnd(prefix: Uint8Array): Buffer {
  const end = Buffer.from(prefix);
  for (let i = end.length - 1; i >= 0; i--) {
    if (end[i] !== 0xff) {
      end[i]! += 1;
      return end.subarray(0, i + 1);
    }
  }
  // Only 0xff bytes: no key can follow; one table byte past the last.
  return Buffer.from([0xff, 0xff]);
}

/** Key of the kind index for `kind` (without position). */
export function kindPrefix(kind: string): Buffer {
  const utf8 = Buffer.from(kind, 'utf8');
  const buf = Buffer.allocUnsafe(2 + utf8.length);
  buf[0] = Table.kinds;
  buf[1] = utf8.length;
  utf8.copy(buf, 2);
  return buf;
}

/** A byte-length-prefixed kind name fits the kind index when it is at most 255 bytes. */
export function kindFitsIndex(kind: string): boolean {
  return Buffer.byteLength(kind, 'utf8') <= 255;
}

/** Key of a table addressed by a UTF-8 name (`N`, `M`). */
export function namedKey(table: number, name: string): Buffer {
  const utf8 = Buffer.from(name, 'utf8');
  const buf = Buffer.allocUnsafe(1 + utf8.length);
  buf[0] = table;
  utf8.copy(buf, 1);
  return buf;
}

/** Encodes a chain head value. */
export function encodeHead(head: ChainHead): Buffer {
  const buf = Buffer.allocUnsafe(48);
  writeU64(buf, head.seq, 0);
  buf.write(head.id, 8, 32, 'hex');
  writeU64(buf, head.nextEvent, 40);
  return buf;
}

/** Decodes a chain head from its `H` key and value. */
export function decodeHead(k: Uint8Array, value: Uint8Array): ChainHead {
  return {
    realm: idFromBytes<RealmId>(k.subarray(1, 33)),
    author: idFromBytes<PublicKey>(k.subarray(33, 65)),
    seq: readU64(value, 0),
    id: idFromBytes<BlockId>(value.subarray(8, 40)),
    nextEvent: readU64(value, 40),
  };
}
