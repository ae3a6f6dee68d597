import * as Automerge from '@automerge/automerge';
import type { SignedBlock } from '../ledger/index.js';
import { BLOCKS_PER_DOC } from './limits.js';

/** An Automerge document of signed blocks: key = the block's seq (decimal), value = the block's wire bytes. */
export type BlockDoc = Automerge.Doc<Record<string, Uint8Array>>;

/**
 * The change that puts `block` into its document. It is a pure function of
 * the block: the actor is the first 16 bytes of the block id, the timestamp
 * is 0 and the change has no dependencies. So two nodes holding the same
 * blocks hold byte-identical documents with identical heads, whatever order
 * the blocks arrived in, and a rebuilt document never churns. Two blocks an
 * author signed for the same seq become an Automerge conflict on one key,
 * never a sync error.
 */
export function blockChange(block: SignedBlock): Automerge.Change {
  const actor = block.id.slice(0, 32);
  const key = String(block.header.seq);
  const doc = Automerge.change(
    Automerge.init<Record<string, Uint8Array>>({ actor }),
    { time: 0 },
    (d) => {
      d[key] = block.bytes;
    },
  );
  const change = Automerge.getLastLocalChange(doc);
  Automerge.free(doc);
  if (change === undefined) throw new Error('automerge produced no change');
  return change;
}

/** The document holding exactly `blocks`. */
export function buildBlockDoc(blocks: readonly SignedBlock[]): BlockDoc {
  const [doc] = Automerge.applyChanges(
    Automerge.init<Record<string, Uint8Array>>(),
    blocks.map((b) => blockChange(b)),
  );
  return doc;
}

/** One value of a document: the op that wrote it (empty when the key holds one value) and the block bytes. */
export interface DocEntry {
  readonly op: string;
  readonly seq: number;
  readonly bytes: Uint8Array;
}

/**
 * Every value of a document, conflicts included. Keys outside the bucket
 * `[first, first + N)` and values that are not byte strings are reported in
 * `malformed` (a peer put them there; the ledger never would).
 */
export function docEntries(
  doc: BlockDoc,
  first: number,
): { entries: DocEntry[]; malformed: number } {
  const entries: DocEntry[] = [];
  let malformed = 0;
  for (const key of Object.keys(doc)) {
    const seq = Number(key);
    if (!/^(0|[1-9][0-9]*)$/.test(key) || seq < first || seq >= first + BLOCKS_PER_DOC) {
      malformed++;
      continue;
    }
    // getConflicts is undefined when a key holds a single value.
    const conflicts = Automerge.getConflicts(doc, key);
    const values: [string, unknown][] =
      conflicts === undefined ? [['', doc[key]]] : Object.entries(conflicts);
    for (const [op, value] of values) {
      if (value instanceof Uint8Array) entries.push({ op, seq, bytes: value });
      else malformed++;
    }
  }
  return { entries, malformed };
}
