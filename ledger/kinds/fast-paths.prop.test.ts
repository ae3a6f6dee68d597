import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CryptoError,
  decodeCanonical,
  encodeCanonical,
  idToBytes,
  UnexpectedShape,
} from '../../crypto/index.js';
import type { EventId } from '../../crypto/index.js';
import { LedgerError } from '../errors.js';
import type { EventDraft, LedgerEvent } from '../event.js';
import { decodeRecord, encodeRecord, readRecordInPlace } from '../record.js';
import { fcParams } from '../../property-tests/fc.js';
import {
  arbId as id,
  envelope,
  evaluationBody,
  mutationBody,
  selectionBody,
} from '../__tests__/body-arbitraries.js';
import type { KindCodec } from './kind.js';
import { kinds } from './registry.js';

/** Valid in-memory bodies of the kinds that are read in place when untrusted. */
const validBodies: Record<string, fc.Arbitrary<unknown>> = {
  mutation: mutationBody,
  evaluation: evaluationBody(),
  selection: selectionBody,
};

/** Wrong values of every shape the schemas tell apart. */
const anyValue = fc.oneof(
  fc.constant(null),
  // The edges of the schemas' ranges and lengths.
  fc.constantFrom(0, -1, 1, -0.5, 0.5, 2 ** 32 - 1, 2 ** 32),
  fc.constantFrom(0, 1, 100, 101, 200, 201).map((n) => 'x'.repeat(n)),
  fc.boolean(),
  fc.integer({ min: -5, max: 2 ** 33 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.string({ maxLength: 210 }),
  fc.uint8Array({ minLength: 30, maxLength: 34 }),
  fc.array(fc.oneof(fc.string(), fc.integer(), fc.uint8Array({ maxLength: 33 })), {
    maxLength: 3,
  }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string(), fc.nat()), { maxKeys: 3 }),
);

/** A decoded wire body, as the canonical decoder hands it to a kind. */
const toWire = (codec: KindCodec<string, unknown>, body: unknown) =>
  decodeCanonical(encodeCanonical(codec.encode(body))) as Record<string, unknown>;

/** One change to a wire map, somewhere in it: a value replaced, a key dropped or added. */
function corrupt(
  wire: Record<string, unknown>,
  path: number[],
  value: unknown,
  op: 'set' | 'drop' | 'add',
): void {
  let target: unknown = wire;
  for (const step of path.slice(0, -1)) {
    const keys = target !== null && typeof target === 'object' ? Object.keys(target) : [];
    if (keys.length === 0) break;
    const next = (target as Record<string, unknown>)[keys[step % keys.length]!];
    if (next === null || typeof next !== 'object' || next instanceof Uint8Array) break;
    target = next;
  }
  const keys = Object.keys(target as object);
  const key = keys.length === 0 ? 'x' : keys[path[path.length - 1]! % keys.length]!;
  const map = target as Record<string, unknown>;
  if (op === 'drop') delete map[key];
  else if (op === 'add') map[`${key}_extra`] = value;
  else map[key] = value;
}

/** A record of `kind` around a wire body (which need not be valid). */
const recordOf = (kind: string, version: number, body: unknown, deps: readonly EventId[]) =>
  encodeCanonical({ v: version, body, deps: deps.map((d) => idToBytes(d)), kind });

/** What a decoding gives: the event, or the code of the error it throws. */
function outcome(decode: () => LedgerEvent): unknown {
  try {
    return decode();
  } catch (err) {
    return (err as LedgerError).code;
  }
}

/** Decoding through the wire object and the schema: the reference. */
const reference = (record: Uint8Array) =>
  outcome(() => decodeRecord(record, envelope, { inPlace: false }));

/** Decoding as verification and ingestion do (in place where the kind can). */
const decoded = (record: Uint8Array) => outcome(() => decodeRecord(record, envelope));

/** The in-place read of an untrusted record, or undefined where it leaves the record to the schema. */
function inPlace(record: Uint8Array): LedgerEvent | undefined {
  try {
    return readRecordInPlace(record, envelope, true);
  } catch (err) {
    if (err instanceof UnexpectedShape || err instanceof CryptoError) return undefined;
    throw err;
  }
}

describe('kinds: untrusted records read in place agree with their schemas', () => {
  for (const [kind, body] of Object.entries(validBodies)) {
    const codec = kinds[kind as keyof typeof kinds] as KindCodec<string, unknown>;

    it(`${kind}: every valid record is read in place, with the schema's result`, () => {
      expect(codec.admits).toBeDefined();
      fc.assert(
        fc.property(body, fc.array(id, { maxLength: 3 }), (b, deps) => {
          const record = encodeRecord({ kind, deps, body: b } as EventDraft);
          const read = inPlace(record);
          expect(read).toBeDefined();
          expect(read).toStrictEqual(reference(record));
          expect(decoded(record)).toStrictEqual(read);
        }),
        fcParams({ numRuns: 300 }),
      );
    });

    it(`${kind}: a record with a corrupted body is read in place only when the schema takes it alike`, () => {
      fc.assert(
        fc.property(
          body,
          fc.array(fc.nat(), { minLength: 1, maxLength: 3 }),
          anyValue,
          fc.constantFrom('set', 'drop', 'add'),
          (b, path, value, op: 'set' | 'drop' | 'add') => {
            const changed = toWire(codec, b);
            corrupt(changed, path, value, op);
            let record: Uint8Array;
            try {
              record = recordOf(kind, codec.version, changed, []);
            } catch {
              return; // not encodable (a hole in an array): no record to read
            }
            const read = inPlace(record);
            if (read !== undefined) expect(read).toStrictEqual(reference(record));
            expect(decoded(record)).toStrictEqual(reference(record));
          },
        ),
        fcParams({ numRuns: 2000 }),
      );
    });

    it(`${kind}: a record with damaged bytes is read in place only when the schema takes it alike`, () => {
      fc.assert(
        fc.property(
          body,
          fc.array(id, { maxLength: 2 }),
          fc.array(fc.tuple(fc.nat(), fc.nat({ max: 255 })), { minLength: 1, maxLength: 3 }),
          (b, deps, damage) => {
            const record = Uint8Array.from(encodeRecord({ kind, deps, body: b } as EventDraft));
            for (const [at, byte] of damage) record[at % record.length] = byte;
            const read = inPlace(record);
            if (read !== undefined) expect(read).toStrictEqual(reference(record));
            expect(decoded(record)).toStrictEqual(reference(record));
          },
        ),
        fcParams({ numRuns: 2000 }),
      );
    });
  }

  it('a record the fast path does not admit is refused by the schema with its message', () => {
    const wire = toWire(kinds.evaluation, {
      run: 'ab'.repeat(32),
      genotype: 'cd'.repeat(32),
      task: { id: 'xor', version: 1 },
      seed: 1,
      fitness: 1,
      cost: 1,
      solved: false,
      evaluations: 1,
    });
    wire.evaluations = 0;
    const record = recordOf('evaluation', 1, wire, []);
    expect(inPlace(record)).toBeUndefined();
    expect(() => decodeRecord(record, envelope)).toThrow(/evaluations/);
  });
});

describe('kinds: direct writers give the bytes of the wire objects', () => {
  for (const [kind, body] of Object.entries(validBodies)) {
    const codec = kinds[kind as keyof typeof kinds] as KindCodec<string, unknown>;

    it(`${kind}: a record written straight equals the canonical encoding of its wire object`, () => {
      expect(codec.write).toBeDefined();
      fc.assert(
        fc.property(body, fc.array(id, { maxLength: 3 }), (b, deps) => {
          const draft = { kind, deps: deps, body: b } as EventDraft;
          const wire = {
            v: codec.version,
            body: codec.encode(b),
            deps: deps.map((d) => idToBytes(d)),
            kind,
          };
          expect(Buffer.from(encodeRecord(draft)).equals(encodeCanonical(wire))).toBe(true);
        }),
        fcParams({ numRuns: 300 }),
      );
    });
  }

  it('a draft with a field of the wrong type is refused, not written', () => {
    const draft = {
      kind: 'mutation',
      deps: [],
      body: { generation: 1, parent: 'ab'.repeat(32), child: 'cd'.repeat(32), seed: '5', ops: [] },
    } as unknown as EventDraft;
    expect(() => encodeRecord(draft)).toThrow(LedgerError);
    const badId = {
      ...draft,
      body: { ...(draft.body as object), seed: 5, child: 'zz'.repeat(32) },
    };
    expect(() => encodeRecord(badId as EventDraft)).toThrow(LedgerError);
  });
});
