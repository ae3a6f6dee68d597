import * as Automerge from '@automerge/automerge';
import type { BlockDoc } from './block-doc.js';
import type { DocKey } from './doc-key.js';
import { ReplicationError } from './errors.js';
import { BLOCKS_PER_DOC } from './limits.js';

/** A block a peer's message put into a document: its bytes at `seq`, and whether the key holds more than one. */
export interface PatchedBlock {
  readonly seq: number;
  readonly bytes: Uint8Array;
  readonly conflict: boolean;
}

function violation(message: string): never {
  throw new ReplicationError('PROTOCOL_VIOLATION', message);
}

/**
 * The blocks a peer's message put into document `key` (holding the seqs
 * from `first`), read from the patches Automerge made while applying it.
 * Throws `PROTOCOL_VIOLATION` for anything that is not a block of the
 * bucket: another path or action, a key outside it, a value that is not
 * bytes. A fork shows as `put` with `conflict`, or as a bare `conflict`
 * when the old value still wins; then every value of the key is listed.
 */
export function patchedBlocks(
  key: DocKey,
  doc: BlockDoc,
  first: number,
  patches: readonly Automerge.Patch[],
): PatchedBlock[] {
  const out: PatchedBlock[] = [];
  for (const patch of patches) {
    const k = patch.path[0];
    if (
      patch.path.length !== 1 ||
      typeof k !== 'string' ||
      (patch.action !== 'put' && patch.action !== 'conflict')
    ) {
      violation(`document ${key} holds something that is not a block`);
    }
    const seq = Number(k);
    if (!/^(0|[1-9][0-9]*)$/.test(k) || seq < first || seq >= first + BLOCKS_PER_DOC) {
      violation(`document ${key} holds key ${k} outside its bucket`);
    }
    const conflict = patch.action === 'conflict' || patch.conflict === true;
    // Patches hand the new values over as Uint8Array views; getConflicts copies, so it is kept for forks.
    const values: unknown[] = !conflict
      ? [patch.value]
      : Object.values(
          Automerge.getConflicts(doc, k) ?? { only: Automerge.getBackend(doc).get('_root', k) },
        );
    for (const bytes of values) {
      if (!(bytes instanceof Uint8Array))
        violation(`document ${key} holds a value that is not bytes`);
      out.push({ seq, bytes, conflict });
    }
  }
  return out;
}
