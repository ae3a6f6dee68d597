import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CryptoError,
  decodeCanonical,
  encodeCanonical,
  idFromBytes,
  UnexpectedShape,
} from '../../crypto/index.js';
import type { EventId } from '../../crypto/index.js';
import { fcParams } from '../../property-tests/fc.js';
import {
  arbFinite as finite,
  arbId as id,
  arbUint32 as uint32,
  envelope,
  evaluationBody,
  mutationBody,
  selectionBody,
} from '../__tests__/body-arbitraries.js';
import { LedgerError } from '../errors.js';
import type { EventDraft, LedgerEvent } from '../event.js';
import { decodeRecord, encodeRecord, readRecordInPlace } from '../record.js';
import { codecOf } from './registry.js';

const plain = fc.dictionary(
  fc.string({ maxLength: 6 }),
  fc.oneof(fc.string(), finite, fc.array(fc.nat(), { maxLength: 3 })),
  { maxKeys: 3 },
);

/** Valid drafts of the kinds read in place, in their usual layout and in others. */
const drafts: Record<string, fc.Arbitrary<EventDraft>> = {
  mutation: mutationBody.map((body) => ({ kind: 'mutation', body }) as unknown as EventDraft),
  evaluation: evaluationBody(plain).map(
    (body) => ({ kind: 'evaluation', body }) as unknown as EventDraft,
  ),
  selection: selectionBody.map((body) => ({ kind: 'selection', body }) as unknown as EventDraft),
  seed: fc
    .record({ run: id, genotype: id, network: plain })
    .map((body) => ({ kind: 'seed', body }) as unknown as EventDraft),
  run: fc
    .record({
      task: fc.record({ id: fc.string({ minLength: 1 }), version: fc.nat(), params: plain }),
      seed: uint32,
      config: plain,
      engine: fc.string({ maxLength: 200 }),
    })
    .map((body) => ({ kind: 'run', body }) as unknown as EventDraft),
};

const withDeps = (draft: fc.Arbitrary<EventDraft>) =>
  fc.tuple(draft, fc.array(id, { maxLength: 5 })).map(([d, deps]) => ({ ...d, deps }));

/** What trusted decoding gave before records were read in place: wire object, then `fromTrusted`. */
function throughWireObject(bytes: Uint8Array): LedgerEvent {
  const w = decodeCanonical(bytes) as {
    v: number;
    kind: string;
    deps: Uint8Array[];
    body: unknown;
  };
  const codec = codecOf(w.kind)!;
  if (w.v !== codec.version) throw new Error('not a current-version record');
  return {
    ...envelope,
    v: w.v,
    kind: w.kind,
    deps: w.deps.map((d) => idFromBytes<EventId>(d)),
    body: codec.fromTrusted(w.body),
    known: true,
  } as LedgerEvent;
}

/** `readRecordInPlace`'s outcome: the event, or which kind of refusal. */
function readInPlace(bytes: Uint8Array): LedgerEvent | 'shape' | 'non-canonical' | 'invalid' {
  try {
    return readRecordInPlace(bytes, envelope);
  } catch (err) {
    if (err instanceof UnexpectedShape) return 'shape';
    // Kinds without an in-place reader validate their wire object.
    if (err instanceof LedgerError && err.code === 'SCHEMA_VIOLATION') return 'invalid';
    if (err instanceof CryptoError && err.code === 'NON_CANONICAL') return 'non-canonical';
    throw err;
  }
}

describe('stored records read in place', () => {
  for (const [kind, draft] of Object.entries(drafts)) {
    it(`${kind}: give what validating decoding gives`, () => {
      fc.assert(
        fc.property(withDeps(draft), (d) => {
          const bytes = encodeRecord(d);
          const validated = decodeRecord(bytes, envelope);
          expect(decodeRecord(bytes, envelope, { trusted: true })).toStrictEqual(validated);
          const read = readInPlace(bytes);
          // Only evaluations naming task parameters are left to the wire object.
          const usual =
            kind !== 'evaluation' ||
            (d.body as { task: { params?: unknown } }).task.params === undefined;
          if (usual) expect(read).toStrictEqual(validated);
          else expect(read).toBe('shape');
        }),
        fcParams({ numRuns: 200 }),
      );
    });
  }

  it('damaged records are read in place only as the wire-object path reads them', () => {
    const anyDraft = withDeps(fc.oneof(...Object.values(drafts)));
    fc.assert(
      fc.property(anyDraft, fc.nat(), fc.nat({ max: 255 }), (d, at, byte) => {
        const bytes = new Uint8Array(encodeRecord(d));
        bytes[at % bytes.length] = byte;
        const read = readInPlace(bytes);
        let reference: LedgerEvent | 'refused';
        try {
          reference = throughWireObject(bytes);
        } catch {
          reference = 'refused';
        }
        if (read === 'non-canonical') {
          expect(() => decodeCanonical(bytes)).toThrow(CryptoError);
        } else if (read === 'invalid') {
          expect(reference).toBe('refused');
        } else if (read !== 'shape') {
          // Accepted in place: canonical, and exactly what the wire object gives.
          expect(encodeCanonical(decodeCanonical(bytes))).toStrictEqual(bytes);
          expect(read).toStrictEqual(reference);
        }
      }),
      fcParams({ numRuns: 2000 }),
    );
  });
});
