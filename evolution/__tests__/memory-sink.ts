import { encodeCanonical, taggedHash, toHex } from '../../crypto/index.js';
import type { EventId } from '../../crypto/index.js';
import type { EventDraft, EventSink } from '../sink.js';

/** A sink that keeps drafts and assigns ids derived from their content only, so a resumed run can be compared with an uninterrupted one. */
export function memorySink(): EventSink & {
  readonly drafts: { id: EventId; draft: EventDraft }[];
} {
  const drafts: { id: EventId; draft: EventDraft }[] = [];
  return {
    drafts,
    emit(draft) {
      const id = toHex(
        taggedHash(
          'test/event',
          encodeCanonical({ kind: draft.kind, deps: draft.deps, body: draft.body }),
        ),
      ) as EventId;
      drafts.push({ id, draft });
      return id;
    },
  };
}
