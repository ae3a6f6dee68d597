import type { Level } from 'level';
import { eventIdBytesOfBlock } from './block.js';
import type { SignedBlock } from './block.js';
import type { LedgerEvent } from './event.js';
import { genotypesOf } from './event-index.js';
import { frameBlock } from './level-block-frame.js';
import {
  key,
  kindFitsIndex,
  kindPrefix,
  logKey,
  sizeName,
  Table,
  writeU64,
} from './level-layout.js';

/** A LevelStore write batch. */
export type Batch = ReturnType<Level<Uint8Array, Uint8Array>['batch']>;

const EMPTY = new Uint8Array(0);

/** Adds event `index` to the list of `name` (once). */
function addIndex(map: Map<string, number[]>, name: string, index: number): void {
  const list = map.get(name);
  if (list === undefined) map.set(name, [index]);
  else if (list[list.length - 1] !== index) list.push(index);
}

/** Big-endian u16 values, the form of an index entry's event list. */
function u16List(values: readonly number[]): Buffer {
  const out = Buffer.allocUnsafe(values.length * 2);
  for (let i = 0; i < values.length; i++) out.writeUInt16BE(values[i]!, i * 2);
  return out;
}

/**
 * Puts one block (its frame, at `position`) and all its index entries into
 * `batch`; `grow` counts the events each index key gains.
 */
export function putBlock(
  batch: Batch,
  block: SignedBlock,
  events: readonly LedgerEvent[],
  position: number,
  grow: (name: string, n: number) => void,
): void {
  const { realm, author, seq } = block.header;
  const pos = Buffer.allocUnsafe(8);
  writeU64(pos, position, 0);
  frameBlock(block).forEach((value, part) => batch.put(logKey(position, part), value));
  batch.put(key(Table.blockIds, [block.id]), pos);
  batch.put(key(Table.chains, [realm, author], [seq]), pos);
  batch.put(key(Table.realms, [realm], [position]), EMPTY);
  batch.put(key(Table.authors, [author], [position]), Buffer.from(realm, 'hex'));
  grow(sizeName('R', realm), events.length);
  grow(sizeName('A', author), events.length);

  // Per-event entries: keys and values are views into two buffers per
  // block rather than small allocations each.
  const n = events.length;
  const eventKeys = Buffer.allocUnsafe(n * 33);
  const eventValues = Buffer.allocUnsafe(n * 10);
  const ids = eventIdBytesOfBlock(block);
  const byKind = new Map<string, number[]>();
  const byGenotype = new Map<string, number[]>();
  for (let i = 0; i < n; i++) {
    const e = events[i]!;
    const k = i * 33;
    eventKeys[k] = Table.events;
    eventKeys.set(ids[i]!, k + 1);
    const v = i * 10;
    pos.copy(eventValues, v);
    eventValues.writeUInt16BE(i, v + 8);
    batch.put(eventKeys.subarray(k, k + 33), eventValues.subarray(v, v + 10));
    addIndex(byKind, e.kind, i);
    for (const genotype of genotypesOf(e)) addIndex(byGenotype, genotype, i);
  }
  // Kind and genotype entries are per block: one entry lists the block's
  // matching event indexes, so a genotype named by a mutation and then by
  // its evaluation costs one write, not two.
  for (const [kind, indexes] of byKind) {
    grow(sizeName('K', kind), indexes.length);
    // A kind name too long for the index is found by scanning (see events()).
    if (!kindFitsIndex(kind)) continue;
    const prefix = kindPrefix(kind);
    const k = Buffer.allocUnsafe(prefix.length + 8);
    prefix.copy(k);
    pos.copy(k, prefix.length);
    batch.put(k, u16List(indexes));
  }
  for (const [genotype, indexes] of byGenotype) {
    batch.put(key(Table.genotypes, [genotype], [position]), u16List(indexes));
  }
}
