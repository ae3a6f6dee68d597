import {
  cborWriter,
  CryptoError,
  decodeCanonical,
  encodeCanonical,
  idFromBytes,
  idToBytes,
  taggedHash,
} from '../crypto/index.js';
import type { EventId, PublicKey, RealmId } from '../crypto/index.js';
import type { EventDraft, LedgerEvent } from './event.js';
import { LedgerError, Limits } from './errors.js';
import type { KindCodec } from './kinds/kind.js';
import { codecOf } from './kinds/registry.js';

/**
 * An event record is what a block carries for each event: the canonical CBOR
 * map `{v, kind, deps, body}`. Realm, author and sequence number are implied
 * by the block, and bound into the event id:
 *
 *   id = sha256(tag ‖ realm(32) ‖ author(32) ‖ seq(u64 BE) ‖ record bytes)
 *
 * a fixed binary layout, so verifying an id hashes the stored bytes and never
 * re-encodes anything.
 */
const EVENT_TAG = 'evoledger/event/v1';

interface WireRecord {
  v: number;
  kind: string;
  deps: Uint8Array[];
  body: unknown;
}

/** A record through its wire object (keys in canonical order, so the encoder need not sort). */
function encodeWire(codec: KindCodec<string, unknown>, draft: EventDraft): Uint8Array {
  const wire: WireRecord = {
    v: codec.version,
    body: codec.encode(draft.body),
    deps: draft.deps.map((d) => idToBytes(d)),
    kind: draft.kind,
  };
  return encodeCanonical(wire);
}

/** The same bytes as {@link encodeWire}, written straight by the kind. */
function writeRecord(codec: KindCodec<string, unknown>, draft: EventDraft): Uint8Array {
  const w = cborWriter;
  w.start();
  w.map(4);
  w.text('v');
  w.number(codec.version);
  w.text('body');
  codec.write!(draft.body, w);
  w.text('deps');
  w.array(draft.deps.length);
  for (const dep of draft.deps) w.hexBytes(dep, 32);
  w.text('kind');
  w.text(draft.kind);
  return w.end();
}

/** Canonical record bytes of a draft. */
export function encodeRecord(draft: EventDraft): Uint8Array {
  const codec = codecOf(draft.kind);
  if (codec === undefined) {
    throw new LedgerError('SCHEMA_VIOLATION', `unknown event kind "${draft.kind}"`);
  }
  let bytes: Uint8Array;
  try {
    bytes = codec.write === undefined ? encodeWire(codec, draft) : writeRecord(codec, draft);
  } catch (err) {
    if (err instanceof CryptoError) {
      throw new LedgerError('SCHEMA_VIOLATION', `${draft.kind}: ${err.message}`, { cause: err });
    }
    throw err;
  }
  if (bytes.byteLength > Limits.maxEventBytes) {
    throw new LedgerError(
      'OVERSIZED',
      `${draft.kind} event is ${bytes.byteLength} bytes; the limit is ${Limits.maxEventBytes}`,
    );
  }
  return bytes;
}

const seqBuffer = new DataView(new ArrayBuffer(8));
const seqBytes = new Uint8Array(seqBuffer.buffer);
const TWO_32 = 0x1_0000_0000;

/** The raw 32-byte id of the record at `seq` in `author`'s chain of `realm`. */
export function eventIdBytes(
  realm: Uint8Array,
  author: Uint8Array,
  seq: number,
  record: Uint8Array,
): Uint8Array {
  seqBuffer.setUint32(0, Math.floor(seq / TWO_32));
  seqBuffer.setUint32(4, seq >>> 0);
  return taggedHash(EVENT_TAG, realm, author, seqBytes, record);
}

/** The id of the record at `seq` in `author`'s chain of `realm`. */
export function eventIdOf(
  realm: Uint8Array,
  author: Uint8Array,
  seq: number,
  record: Uint8Array,
): EventId {
  return idFromBytes<EventId>(eventIdBytes(realm, author, seq, record));
}

/** Options of {@link decodeRecord}. */
export interface DecodeRecordOptions {
  /**
   * The record was validated when it entered this store: convert known
   * kinds' bodies without validating them again (canonical form is still
   * checked by the decoder). `verify` and ingestion never set this.
   */
  readonly trusted?: boolean;
}

/**
 * Decodes and validates a record. Known kinds get their body validated (and
 * upgraded from older versions); unknown kinds and future versions are kept
 * as they are, marked `known: false`. Throws `SCHEMA_VIOLATION`.
 */
export function decodeRecord(
  bytes: Uint8Array,
  envelope: { id: EventId; realm: RealmId; author: PublicKey; seq: number },
  options: DecodeRecordOptions = {},
): LedgerEvent {
  if (bytes.byteLength > Limits.maxEventBytes) {
    throw new LedgerError('OVERSIZED', `event ${envelope.id} is ${bytes.byteLength} bytes`);
  }
  let raw: unknown;
  try {
    raw = decodeCanonical(bytes);
  } catch (err) {
    throw new LedgerError('SCHEMA_VIOLATION', `event ${envelope.id}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  const record = raw as Partial<WireRecord> | null;
  if (
    record === null ||
    typeof record !== 'object' ||
    typeof record.v !== 'number' ||
    !Number.isInteger(record.v) ||
    record.v < 1 ||
    typeof record.kind !== 'string' ||
    !Array.isArray(record.deps) ||
    !('body' in record)
  ) {
    throw new LedgerError(
      'SCHEMA_VIOLATION',
      `event ${envelope.id}: not a {v, kind, deps, body} record`,
    );
  }
  if (record.deps.length > Limits.maxDeps) {
    throw new LedgerError('OVERSIZED', `event ${envelope.id} has ${record.deps.length} deps`);
  }
  const deps = record.deps.map((d) => {
    if (!(d instanceof Uint8Array) || d.byteLength !== 32) {
      throw new LedgerError('SCHEMA_VIOLATION', `event ${envelope.id}: a dep is not a 32-byte id`);
    }
    return idFromBytes<EventId>(d);
  });
  const codec = codecOf(record.kind);
  if (codec === undefined || record.v > codec.version) {
    return { ...envelope, v: record.v, kind: record.kind, deps, body: record.body, known: false };
  }
  const body =
    options.trusted && record.v === codec.version
      ? codec.fromTrusted(record.body)
      : codec.decode(record.body, record.v);
  return { ...envelope, v: record.v, kind: record.kind, deps, body, known: true } as LedgerEvent;
}
