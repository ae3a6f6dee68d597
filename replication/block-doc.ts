import * as Automerge from '@automerge/automerge';
import type { ChainBlockBytes, SignedBlock } from '../ledger/index.js';
import { putChange } from './block-change.js';
import { BLOCKS_PER_DOC } from './limits.js';

/** A block as a document holds it: its id, its seq and its bytes (decoded or read raw from the store). */
export type DocBlock = SignedBlock | ChainBlockBytes;

const seqOf = (block: DocBlock) => ('header' in block ? block.header.seq : block.seq);

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
 *
 * Written by {@link putChange} rather than by Automerge: the same change,
 * byte for byte (tests hold it to Automerge's `put` and `commit` and to
 * `Automerge.change`), for one native hash of the block's bytes where a
 * fresh Automerge document's `commit` and `getLastLocalChange` hash them
 * twice in WebAssembly.
 */
export function blockChange(block: DocBlock): Automerge.Change {
  return putChange(block.id.slice(0, 32), String(seqOf(block)), block.bytes);
}

/** The document holding exactly `blocks`. */
export function buildBlockDoc(blocks: readonly DocBlock[]): BlockDoc {
  const [doc] = Automerge.applyChanges(
    Automerge.init<Record<string, Uint8Array>>(),
    blocks.map((b) => blockChange(b)),
  );
  return doc;
}

/**
 * A document for a sync session, filled through Automerge's backend handle
 * with an empty JavaScript view: the view of a bucket would copy every
 * block's bytes out of WebAssembly (and keep them for the collector) for
 * nothing, as a session reads what the peer sends from the patches of its
 * messages, and heads, conflicts, saves and sync messages come from the
 * backend. Patches start from what `fill` put in; the view shows only what
 * later messages changed, so {@link docEntries} does not apply to it.
 */
function sessionDoc(fill: (handle: ReturnType<typeof Automerge.getBackend>) => void): BlockDoc {
  const doc = Automerge.init<Record<string, Uint8Array>>();
  const handle = Automerge.getBackend(doc);
  try {
    fill(handle);
  } catch (err) {
    Automerge.free(doc);
    throw err;
  }
  handle.updateDiffCursor();
  return doc;
}

/** {@link buildBlockDoc} for a sync session (see `sessionDoc`: its view stays empty). */
export function buildSessionDoc(blocks: readonly DocBlock[]): BlockDoc {
  return sessionDocOf(blocks.map((b) => blockChange(b)));
}

/** The session document holding exactly `changes` (each block's {@link blockChange}). */
export function sessionDocOf(changes: Automerge.Change[]): BlockDoc {
  return sessionDoc((handle) => handle.applyChanges(changes));
}

/** A saved document (`Automerge.save`) loaded for a sync session (see `sessionDoc`); throws when it does not load. */
export function loadSessionDoc(saved: Uint8Array): BlockDoc {
  return sessionDoc((handle) => handle.loadIncremental(saved));
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
