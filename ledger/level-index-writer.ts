import type { Level } from 'level';
import type { SignedBlock } from './block.js';
import type { BlockFacts } from './block-facts.js';
import { frameBlock, joinedEventIds } from './level-block-frame.js';
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

/**
 * A block's events grouped by name (a kind, a genotype), in block order,
 * without an array per name: each group is a chain of slots through `next`.
 * A block names ~1,000 genotypes; an array and a map entry each made the
 * index writer the largest allocator of an append.
 */
class Groups {
  readonly names: string[] = [];
  readonly #groupOf = new Map<string, number>();
  readonly #first: number[] = [];
  readonly #last: number[] = [];
  readonly #sizes: number[] = [];
  #next: Int32Array;
  #index: Uint16Array;
  #used = 0;
  #list = Buffer.allocUnsafe(64);

  constructor(capacity: number) {
    this.#next = new Int32Array(capacity);
    this.#index = new Uint16Array(capacity);
  }

  /** Adds event `index` to group `name`, once however often the event names it. */
  add(name: string, index: number): void {
    const group = this.#groupOf.get(name);
    if (group !== undefined && this.#index[this.#last[group]!] === index) return;
    if (this.#used === this.#next.length) this.#grow();
    const slot = this.#used++;
    this.#index[slot] = index;
    this.#next[slot] = -1;
    if (group === undefined) {
      this.#groupOf.set(name, this.names.length);
      this.names.push(name);
      this.#first.push(slot);
      this.#last.push(slot);
      this.#sizes.push(1);
    } else {
      this.#next[this.#last[group]!] = slot;
      this.#last[group] = slot;
      this.#sizes[group]! += 1;
    }
  }

  /** Number of events in group `group`. */
  size(group: number): number {
    return this.#sizes[group]!;
  }

  /**
   * Group `group`'s event indexes as big-endian u16 values: an index entry's
   * value, in a buffer shared by every call (a write batch copies what it is
   * given on `put`).
   */
  u16List(group: number): Buffer {
    const size = this.#sizes[group]! * 2;
    if (this.#list.length < size)
      this.#list = Buffer.allocUnsafe(Math.max(size, 2 * this.#list.length));
    let at = 0;
    for (let slot = this.#first[group]!; slot !== -1; slot = this.#next[slot]!) {
      this.#list.writeUInt16BE(this.#index[slot]!, at);
      at += 2;
    }
    return this.#list.subarray(0, size);
  }

  #grow(): void {
    const next = new Int32Array(this.#next.length * 2 + 16);
    const index = new Uint16Array(next.length);
    next.set(this.#next);
    index.set(this.#index);
    this.#next = next;
    this.#index = index;
  }
}

/**
 * Puts one block (its frame, at `position`) and all its index entries into
 * `batch`; `grow` counts the events each index key gains.
 *
 * The event and genotype entries reuse one key buffer each (and the event
 * entries one value buffer): a LevelDB write batch copies each key and
 * value when it is put (classic-level's `batch_put` copies into the native
 * batch before returning), so the buffers are free again at once. The store
 * conformance suite finds events by id and by genotype, which fails if a
 * put ever kept a reference instead.
 */
export function putBlock(
  batch: Batch,
  block: SignedBlock,
  facts: BlockFacts,
  position: number,
  grow: (name: string, n: number) => void,
): void {
  const { realm, author, seq } = block.header;
  const pos = Buffer.allocUnsafe(8);
  writeU64(pos, position, 0);
  const ids = joinedEventIds(block);
  const frame = frameBlock(block, ids);
  for (let part = 0; part < frame.length; part++) batch.put(logKey(position, part), frame[part]!);
  batch.put(key(Table.blockIds, [block.id]), pos);
  batch.put(key(Table.chains, [realm, author], [seq]), pos);
  batch.put(key(Table.realms, [realm], [position]), EMPTY);
  batch.put(key(Table.authors, [author], [position]), Buffer.from(realm, 'hex'));
  const n = facts.count;
  grow(sizeName('R', realm), n);
  grow(sizeName('A', author), n);

  const eventKey = Buffer.allocUnsafe(33);
  eventKey[0] = Table.events;
  const eventValue = Buffer.allocUnsafe(10);
  pos.copy(eventValue, 0);
  const byKind = new Groups(n);
  const byGenotype = new Groups(n);
  const { kinds, genotypes, genotypeEnds } = facts;
  for (let i = 0, g = 0; i < n; i++) {
    ids.copy(eventKey, 1, 32 * i, 32 * i + 32);
    eventValue.writeUInt16BE(i, 8);
    batch.put(eventKey, eventValue);
    byKind.add(kinds[i]!, i);
    for (const end = genotypeEnds[i]!; g < end; g++) byGenotype.add(genotypes[g]!, i);
  }
  // Kind and genotype entries are per block: one entry lists the block's
  // matching event indexes, so a genotype named by a mutation and then by
  // its evaluation costs one write, not two.
  byKind.names.forEach((kind, group) => {
    grow(sizeName('K', kind), byKind.size(group));
    // A kind name too long for the index is found by scanning (see events()).
    if (!kindFitsIndex(kind)) return;
    const prefix = kindPrefix(kind);
    const k = Buffer.allocUnsafe(prefix.length + 8);
    prefix.copy(k);
    pos.copy(k, prefix.length);
    batch.put(k, byKind.u16List(group));
  });
  const genotypeKey = Buffer.allocUnsafe(1 + 32 + 8);
  genotypeKey[0] = Table.genotypes;
  pos.copy(genotypeKey, 33);
  byGenotype.names.forEach((genotype, group) => {
    genotypeKey.write(genotype, 1, 32, 'hex');
    batch.put(genotypeKey, byGenotype.u16List(group));
  });
}
