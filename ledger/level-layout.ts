import { bufferView, idFromBytes } from '../crypto/index.js';
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
 * | `B` log | `B` ‖ position u64 ‖ part u16 | part 0: block head; part k ≥ 1: k-th run of records (`level-block-frame.ts`) |
 * | `I` block ids | `I` ‖ block id | position u64 |
 * | `E` events | `E` ‖ event id | position u64 ‖ index u16 |
 * | `C` chains | `C` ‖ realm ‖ author ‖ seq u64 | position u64 |
 * | `H` heads | `H` ‖ realm ‖ author | seq u64 ‖ block id ‖ next event u64 |
 * | `R` realm index | `R` ‖ realm ‖ position u64 | (empty) |
 * | `A` author index | `A` ‖ author ‖ position u64 | realm |
 * | `K` kind index | `K` ‖ kind length u8 ‖ kind ‖ position u64 | index u16… |
 * | `G` genotype index | `G` ‖ genotype ‖ position u64 | index u16… |
 * | `N` index sizes | `N` ‖ UTF-8 name | u64 |
 * | `!` meta | `!` ‖ name length u16 ‖ UTF-8 name ‖ chunk u32 | k-th {@link META_CHUNK} bytes of the caller's value |
 *
 * Blocks are keyed by position, not by id: the log is written in key order,
 * so LevelDB compaction moves the big values without rewriting them, and a
 * log scan is one sequential range read.
 *
 * LevelDB reads and decompresses the whole data block an iterator's seek
 * lands on, in every level-0 file, and a data block holds at least one whole
 * value. So no value is large: a block is split into a head and parts of a
 * few kB, so that reading one event reads one part, not the whole block; and
 * meta values (a projection cache is ~100 MB at a million events) are cut
 * into chunks, kept under the lowest table byte so that no other table's
 * seek can land on one. One 100 MB meta value in level 0 made every index
 * seek read it (~0.4 s a seek, measured); with 64 kB chunks the cost of a
 * landing seek was below the noise of this machine.
 *
 * Version history: 1 kept a block as one value (directory ‖ block bytes)
 * and a meta value as one value; 2 split blocks into a head and parts; 3
 * (this layout) adds the Merkle root of each part to the head, so that an
 * event's inclusion proof reads the head and one part.
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
  meta: 0x21, // ! (below every other table: see above)
} as const;

/** Name of an index size counter in table `N` (`K:kind`, `A:author`, `R:realm`). */
export const sizeName = (table: 'K' | 'A' | 'R', name: string): string => `${table}:${name}`;

/** Version of this layout, checked on open. */
export const LAYOUT_VERSION = 3;

/** Size of a meta value's chunks (table `!`). */
export const META_CHUNK = 64 * 1024;

const TWO_32 = 2 ** 32;

/** Writes `n` (a safe non-negative integer) as u64 big-endian at `offset`. */
export function writeU64(buf: Buffer, n: number, offset: number): void {
  buf.writeUInt32BE(Math.floor(n / TWO_32), offset);
  buf.writeUInt32BE(n >>> 0, offset + 4);
}

/** Reads a u64 big-endian written by {@link writeU64}. */
export function readU64(buf: Uint8Array, offset: number): number {
  const view = bufferView(buf);
  return view.readUInt32BE(offset) * TWO_32 + view.readUInt32BE(offset + 4);
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

/** Key of the log part `part` (0: the head) of the block at `position`. */
export function logKey(position: number, part: number): Buffer {
  const buf = Buffer.allocUnsafe(11);
  buf[0] = Table.log;
  writeU64(buf, position, 1);
  buf.writeUInt16BE(part, 9);
  return buf;
}

/** Key of chunk `chunk` of the meta value `name`; the name's chunks share the key minus its last 4 bytes. */
export function metaKey(name: string, chunk: number): Buffer {
  const utf8 = Buffer.from(name, 'utf8');
  const buf = Buffer.allocUnsafe(3 + utf8.length + 4);
  buf[0] = Table.meta;
  buf.writeUInt16BE(utf8.length, 1);
  utf8.copy(buf, 3);
  buf.writeUInt32BE(chunk, 3 + utf8.length);
  return buf;
}

/** Key of a table addressed by a UTF-8 name (`N`). */
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
