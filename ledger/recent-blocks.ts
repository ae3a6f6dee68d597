import type { SignedBlock } from './block.js';
import { eventIdBytesOfBlock } from './block.js';
import type { StoredBlockBytes } from './store.js';

/** Default bound of {@link RecentBlocks}: the bytes of blocks kept. */
export const RECENT_BYTES = 32 * 2 ** 20;
/** Default bound of {@link RecentBlocks}: the blocks kept (many small blocks). */
export const RECENT_BLOCKS = 4096;

/**
 * The blocks a store appended last, by log position, as bytes: what a
 * reader that follows the log's end (a node's live projection, every half
 * second) would otherwise read straight back from the disk it was just
 * written to. Kept from the oldest out, within a bound on their bytes and
 * their number; positions are contiguous up to the store's end. Holds each
 * block's bytes and raw ids only (no decoded objects), and only once durable.
 */
export class RecentBlocks {
  #blocks: StoredBlockBytes[] = [];
  /** Log position of `#blocks[0]`. */
  #from: number;
  #bytes = 0;
  readonly #maxBytes: number;
  readonly #maxBlocks: number;

  /** Empty, for a store whose next position is `end`. */
  constructor(end: number, maxBytes = RECENT_BYTES, maxBlocks = RECENT_BLOCKS) {
    this.#from = end;
    this.#maxBytes = maxBytes;
    this.#maxBlocks = maxBlocks;
  }

  /** Adds `blocks`, durable at positions `position`, `position + 1`, …: the store's new end. */
  add(position: number, blocks: readonly SignedBlock[]): void {
    if (position !== this.#from + this.#blocks.length) {
      // Not contiguous (cannot happen in one store): start over from here.
      this.#blocks = [];
      this.#bytes = 0;
      this.#from = position;
    }
    for (const block of blocks) {
      const { realm, author, first, count } = block.header;
      const eventIds = eventIdBytesOfBlock(block);
      this.#blocks.push({
        id: block.id,
        realm,
        author,
        first,
        count,
        bytes: block.bytes,
        eventIds,
      });
      // A view keeps its whole buffer alive: count what is held.
      this.#bytes += block.bytes.buffer.byteLength + eventIds.buffer.byteLength;
    }
    let drop = 0;
    while (
      drop < this.#blocks.length &&
      (this.#bytes > this.#maxBytes || this.#blocks.length - drop > this.#maxBlocks)
    ) {
      const b = this.#blocks[drop++]!;
      this.#bytes -= b.bytes.buffer.byteLength + b.eventIds.buffer.byteLength;
    }
    if (drop > 0) {
      this.#blocks = this.#blocks.slice(drop);
      this.#from += drop;
    }
  }

  /**
   * The blocks from log position `position` to the end, when all of them
   * are kept (a copy of the list: later adds do not change it); undefined
   * when `position` is older than the oldest kept.
   */
  from(position: number): StoredBlockBytes[] | undefined {
    if (position < this.#from) return undefined;
    return this.#blocks.slice(position - this.#from);
  }
}
