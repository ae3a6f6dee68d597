import { describe, expect, it } from 'vitest';
import { decodeCanonical, encodeCanonical } from '../../crypto/index.js';
import type { EventId } from '../../crypto/index.js';
import { evaluationDraft, gid, mutationDraft, runDraft } from '../__tests__/fixtures.js';
import type { EventDraft } from '../event.js';
import { kinds } from './registry.js';

const run = 'ab'.repeat(32) as EventId;
const samples: EventDraft[] = [
  runDraft(3),
  mutationDraft(run, 4),
  {
    ...mutationDraft(run, 5),
    body: { ...(mutationDraft(run, 5).body as object), mate: gid('m') },
  } as unknown as EventDraft,
  evaluationDraft(run, run, 6),
  {
    ...evaluationDraft(run, run, 7),
    body: { ...(evaluationDraft(run, run, 7).body as object), fitness: [1, 0.5] },
  } as unknown as EventDraft,
  {
    kind: 'selection',
    deps: [run],
    body: {
      run,
      generation: 2,
      previous: null,
      survivors: [gid(1), gid(2)],
      method: 'top3',
      best: 1.5,
    },
  },
  {
    kind: 'selection',
    deps: [],
    body: { run, generation: 3, previous: run, survivors: [], method: 'm', best: 0 },
  },
  { kind: 'seed', deps: [run], body: { run, genotype: gid(9), network: { neurons: [1, 2] } } },
];

describe('trusted decoding', () => {
  it('gives exactly what validating decoding gives, for every kind', () => {
    for (const draft of samples) {
      const codec = kinds[draft.kind];
      const wire = decodeCanonical(encodeCanonical(codec.encode(draft.body as never)));
      expect(codec.fromTrusted(wire), draft.kind).toEqual(codec.decode(wire, codec.version));
      expect(codec.decode(wire, codec.version), draft.kind).toEqual(draft.body);
    }
  });
});
