import { idAt } from '../crypto/index.js';
import type { EventId, GenotypeId, IdCache, PublicKey, RealmId } from '../crypto/index.js';
import type { LedgerEvent, TaskRef } from '../ledger/index.js';
import {
  admitKnown,
  authorTotals,
  countKnown,
  evolve,
  foldEvaluation,
  foldMutation,
  foldSelection,
} from './evolve.js';
import type { AuthorTotals, ProjectionState } from './state.js';

/**
 * Stored blocks in the form the fold reads them, made where the blocks are
 * decoded (a worker thread) and folded where the state lives. The bulk
 * kinds become rows of numbers that name their ids where they lie in the
 * blocks' own bytes (hex strings are made only by the thread that keeps
 * them); every other event is decoded as usual. Typed arrays cross threads
 * by transfer, where event objects would be copied field by field; and
 * folding a row calls the very functions {@link evolve} calls, with the
 * fields `evolve` reads, so a batch folds to what its events fold to.
 *
 * An id is named by `source * 2^24 + offset`: its 32 bytes start at
 * `offset` in `sources[source]` (block `b`'s bytes are source `2b`, its
 * event ids source `2b + 1`; stored blocks are smaller than 2^24 bytes, and
 * a batch holds at most {@link MAX_BLOCKS} blocks, so a reference is a
 * 31-bit integer); -1 names none. Rows (`block` indexes `realms` and `authors`):
 * - mutation: block, id, via (first dep), child, parent, mate, generation, ops
 * - evaluation: block, id, run, genotype, task (indexes `tasks`), fitness,
 *   cost, solved (1 or 0), evaluations
 * - selection: block, id, run, previous, generation, method (indexes
 *   `strings`), best, considered (deps), n, then its n survivors
 */
export interface FoldBatch {
  readonly realms: readonly RealmId[];
  readonly authors: readonly PublicKey[];
  readonly sources: readonly Uint8Array[];
  readonly strings: readonly string[];
  readonly tasks: readonly TaskRef[];
  readonly mutations: Float64Array;
  readonly evaluations: Float64Array;
  readonly selections: Float64Array;
  /** Events of other kinds, versions or layouts, decoded. */
  readonly others: readonly LedgerEvent[];
}

/** Numbers a row of each kind holds (a selection, one more per survivor). */
export const RowWidth = { mutation: 8, evaluation: 9, selection: 9 } as const;

/** An id reference is `source * SOURCE + offset`. */
export const SOURCE = 2 ** 24;

/** Most blocks in a batch. */
export const MAX_BLOCKS = 63;

/** The buffers of a batch, each once: what to transfer rather than copy. */
export function transferables(batch: FoldBatch): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  for (const a of [...batch.sources, batch.mutations, batch.evaluations, batch.selections]) {
    buffers.add(a.buffer as ArrayBuffer);
  }
  return [...buffers];
}

/**
 * Folds a batch into the state: the same as folding its events one by one
 * with {@link evolve}. Ids of the large tables are interned from the
 * blocks' bytes (state-columns.ts): no hex string is made for them. Run
 * ids and selections' ids, which small maps key, come through `ids`, so
 * that the state shares one string per id.
 */
export function foldBatch(state: ProjectionState, batch: FoldBatch, ids: IdCache): void {
  const { sources, realms, authors } = batch;
  const c = state.columns;
  const dedup = state.seen !== null;
  const id = <T extends EventId | GenotypeId>(ref: number): T =>
    ids.id<T>(sources[ref >>> 24]!, ref & 0xffffff);
  const maybe = <T extends EventId | GenotypeId>(ref: number): T | null =>
    ref < 0 ? null : id<T>(ref);
  const event = (ref: number): number => c.event(sources[ref >>> 24]!, ref & 0xffffff);
  const genotype = (ref: number): number => c.genotype(sources[ref >>> 24]!, ref & 0xffffff);
  // Per block: its author's index and totals (the same object as long as the
  // state lives; made on the block's first event of a bulk kind).
  const authorIndex = authors.map((a) => c.author(a));
  const totals: (AuthorTotals | undefined)[] = [];
  const admit = (block: number, ref: number): boolean => {
    const author = authors[block]!;
    if (dedup)
      return admitKnown(state, idAt<EventId>(sources[ref >>> 24]!, ref & 0xffffff), author);
    countKnown(state, (totals[block] ??= authorTotals(state, author)));
    return true;
  };

  const m = batch.mutations;
  for (let i = 0; i < m.length; i += RowWidth.mutation) {
    const block = m[i]!;
    if (!admit(block, m[i + 1]!)) continue;
    const via = m[i + 2]!;
    const mate = m[i + 5]!;
    foldMutation(
      state,
      event(m[i + 1]!),
      authors[block]!,
      authorIndex[block]!,
      via < 0 ? -1 : event(via),
      genotype(m[i + 3]!),
      genotype(m[i + 4]!),
      mate < 0 ? -1 : genotype(mate),
      m[i + 6]!,
      m[i + 7]!,
    );
  }

  const v = batch.evaluations;
  for (let i = 0; i < v.length; i += RowWidth.evaluation) {
    const block = v[i]!;
    const ref = v[i + 1]!;
    if (!admit(block, ref)) continue;
    foldEvaluation(
      state,
      sources[ref >>> 24]!,
      ref & 0xffffff,
      realms[block]!,
      authors[block]!,
      authorIndex[block]!,
      id<EventId>(v[i + 2]!),
      event(v[i + 2]!),
      genotype(v[i + 3]!),
      batch.tasks[v[i + 4]!]!,
      v[i + 5]!,
      v[i + 6]!,
      v[i + 7] === 1,
      v[i + 8]!,
    );
  }

  const s = batch.selections;
  for (let i = 0; i < s.length; i += RowWidth.selection + s[i + 8]!) {
    const block = s[i]!;
    if (!admit(block, s[i + 1]!)) continue;
    const survivors = new Array<GenotypeId>(s[i + 8]!);
    for (let j = 0; j < survivors.length; j++) {
      survivors[j] = id<GenotypeId>(s[i + RowWidth.selection + j]!);
    }
    foldSelection(
      state,
      id<EventId>(s[i + 1]!),
      realms[block]!,
      authors[block]!,
      {
        run: id<EventId>(s[i + 2]!),
        generation: s[i + 4]!,
        previous: maybe<EventId>(s[i + 3]!),
        survivors,
        method: batch.strings[s[i + 5]!]!,
        best: s[i + 6]!,
      },
      s[i + 7]!,
    );
  }

  for (const e of batch.others) evolve(state, e);
}
