import {
  CborReader,
  decodeCanonical,
  encodeCanonical,
  idFromBytes,
  idToBytes,
  merkleProof,
  merkleRootOfJoined,
  SigningDomains,
  taggedHash,
  bytesEqual,
  verifyMerkleProof,
  verifyTagged,
} from '../crypto/index.js';
import type { BlockId, EventId, Identity, ProofStep, PublicKey, RealmId } from '../crypto/index.js';
import type { LedgerEvent } from './event.js';
import { LedgerError, Limits } from './errors.js';
import { decodeRecord, eventIdBytes, eventIdOf } from './record.js';
import type { DecodeRecordOptions } from './record.js';

const BLOCK_ID_TAG = 'evoledger/block-id/v1';

/**
 * A signed block header. One signature covers it; the Merkle root binds the
 * events, `prev` and `seq` chain the author's blocks in a realm, and
 * `first` is the sequence number of the block's first event.
 */
export interface BlockHeader {
  readonly v: 1;
  readonly realm: RealmId;
  readonly author: PublicKey;
  readonly seq: number;
  readonly prev: BlockId | null;
  readonly first: number;
  readonly count: number;
  readonly root: Uint8Array;
}

/**
 * A block as held in memory: its header and signature, the raw record bytes
 * of its events and their ids, and its own encoding (what is stored and sent).
 */
export interface SignedBlock {
  readonly id: BlockId;
  readonly header: BlockHeader;
  readonly headerBytes: Uint8Array;
  readonly signature: Uint8Array;
  readonly records: readonly Uint8Array[];
  readonly eventIds: readonly EventId[];
  readonly bytes: Uint8Array;
}

/** Where an author's chain in a realm stands: what the next block must follow. */
export interface ChainHead {
  readonly realm: RealmId;
  readonly author: PublicKey;
  /** Sequence number of the last block. */
  readonly seq: number;
  readonly id: BlockId;
  /** Sequence number the next event will get. */
  readonly nextEvent: number;
}

/**
 * How a block header stands against its author's chain head (undefined: no
 * block yet): `next` when it is exactly the following link; `behind` when
 * that place is taken (a duplicate, or a fork); `ahead` when blocks are
 * missing before it; `unlinked` when it has the right number but names the
 * wrong previous block or event number.
 */
export function chainLink(
  head: Pick<ChainHead, 'seq' | 'id' | 'nextEvent'> | undefined,
  h: Pick<BlockHeader, 'seq' | 'prev' | 'first'>,
): 'next' | 'behind' | 'ahead' | 'unlinked' {
  const expected = head === undefined ? 0 : head.seq + 1;
  if (h.seq < expected) return 'behind';
  if (h.seq > expected) return 'ahead';
  if (head === undefined) return h.first === 0 ? 'next' : 'unlinked';
  return h.prev === head.id && h.first === head.nextEvent ? 'next' : 'unlinked';
}

function encodeHeader(h: BlockHeader): Uint8Array {
  return encodeCanonical({
    v: h.v,
    realm: idToBytes(h.realm),
    author: idToBytes(h.author),
    seq: h.seq,
    prev: h.prev === null ? null : idToBytes(h.prev),
    first: h.first,
    count: h.count,
    root: h.root,
  });
}

/**
 * Raw event ids of the blocks this process sealed or decoded (and so hashed
 * itself): index writers and verifiers use them instead of converting hex
 * back. A block object made any other way (a copy, a test's tampered block)
 * is not in it, and its hex ids are converted.
 */
const rawIds = new WeakMap<SignedBlock, Uint8Array>();

/**
 * The event ids of `block` as raw bytes laid end to end (32 each, in block
 * order). Read it, never write it: it may be the block's own.
 */
export function eventIdBytesOfBlock(block: SignedBlock): Uint8Array {
  return rawIds.get(block) ?? idBytesOfHex(block.eventIds);
}

/** Hex ids as raw bytes laid end to end. */
function idBytesOfHex(ids: readonly EventId[]): Uint8Array {
  const joined = Buffer.allocUnsafe(32 * ids.length);
  ids.forEach((id, i) => joined.write(id, 32 * i, 32, 'hex'));
  return joined;
}

/** The raw ids of a block's records, laid end to end. */
function eventIdBytesOf(header: BlockHeader, records: readonly Uint8Array[]): Uint8Array {
  const realm = idToBytes(header.realm);
  const author = idToBytes(header.author);
  const ids = new Uint8Array(32 * records.length);
  records.forEach((r, i) => ids.set(eventIdBytes(realm, author, header.first + i, r), 32 * i));
  return ids;
}

/** Hex ids of raw ids laid end to end. */
function hexIds(ids: Uint8Array): EventId[] {
  return Array.from({ length: ids.byteLength / 32 }, (_, i) =>
    idFromBytes<EventId>(ids.subarray(32 * i, 32 * i + 32)),
  );
}

/**
 * Seals records into a block signed by `identity`, following `head` (or
 * starting the author's chain in `realm` when there is none).
 */
export function sealBlock(
  identity: Identity,
  realm: RealmId,
  head: ChainHead | undefined,
  records: readonly Uint8Array[],
  eventIds?: readonly EventId[],
  /** The ids as raw bytes laid end to end, when the caller has them (spares decoding hex). */
  idBytes?: Uint8Array,
): SignedBlock {
  if (records.length === 0 || records.length > Limits.maxBlockEvents) {
    throw new LedgerError('OVERSIZED', `a block holds 1 to ${Limits.maxBlockEvents} events`);
  }
  const partial = {
    v: 1 as const,
    realm,
    author: identity.publicKey,
    seq: head === undefined ? 0 : head.seq + 1,
    prev: head === undefined ? null : head.id,
    first: head === undefined ? 0 : head.nextEvent,
    count: records.length,
  };
  const leaves =
    idBytes ??
    (eventIds !== undefined
      ? idBytesOfHex(eventIds)
      : eventIdBytesOf({ ...partial, root: new Uint8Array(32) }, records));
  const ids = eventIds ?? hexIds(leaves);
  const header: BlockHeader = { ...partial, root: merkleRootOfJoined(leaves) };
  const headerBytes = encodeHeader(header);
  const signature = identity.sign(SigningDomains.block, headerBytes);
  const bytes = encodeCanonical([headerBytes, signature, records]);
  checkBlockSize(bytes);
  const block: SignedBlock = {
    id: blockIdOf(headerBytes),
    header,
    headerBytes,
    signature,
    records,
    eventIds: ids,
    bytes,
  };
  rawIds.set(block, leaves);
  return block;
}

function fail(message: string): never {
  throw new LedgerError('SCHEMA_VIOLATION', message);
}

/** Throws `OVERSIZED` for an encoded block over the size limit. */
function checkBlockSize(bytes: Uint8Array): void {
  if (bytes.byteLength > Limits.maxBlockBytes) {
    throw new LedgerError('OVERSIZED', `block is ${bytes.byteLength} bytes`);
  }
}

/** A block's id: the tagged hash of its header's bytes. */
const blockIdOf = (headerBytes: Uint8Array): BlockId =>
  idFromBytes<BlockId>(taggedHash(BLOCK_ID_TAG, headerBytes));

/** {@link decodeBlockHeader}, any failure that is not already coded reported as `SCHEMA_VIOLATION`. */
function headerOf(headerBytes: Uint8Array): BlockHeader {
  try {
    return decodeBlockHeader(headerBytes);
  } catch (err) {
    if (err instanceof LedgerError) throw err;
    return fail(`block header does not decode: ${(err as Error).message}`);
  }
}

/** Decodes and checks a block header's fields (not its signature). */
export function decodeBlockHeader(bytes: Uint8Array): BlockHeader {
  const raw = decodeCanonical(bytes) as Record<string, unknown>;
  const isId = (x: unknown): x is Uint8Array => x instanceof Uint8Array && x.byteLength === 32;
  const isUint = (x: unknown): x is number =>
    typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
  if (raw === null || typeof raw !== 'object') fail('block header is not a map');
  const { v, realm, author, seq, prev, first, count, root } = raw;
  if (v !== 1) fail(`block header version ${String(v)} is not supported`);
  if (!isId(realm) || !isId(author) || !isId(root)) fail('block header ids must be 32 bytes');
  if (!isUint(seq) || !isUint(first) || !isUint(count)) fail('block header numbers are invalid');
  if (prev !== null && !isId(prev)) fail('block header prev must be null or 32 bytes');
  if ((seq === 0) !== (prev === null)) fail('only the first block of a chain has no prev');
  return {
    v: 1,
    realm: idFromBytes<RealmId>(realm),
    author: idFromBytes<PublicKey>(author),
    seq,
    prev: prev === null ? null : idFromBytes<BlockId>(prev),
    first,
    count,
    root,
  };
}

/** A block's id and header, read from its bytes without decoding its records. */
export interface BlockPeek {
  readonly id: BlockId;
  readonly header: BlockHeader;
}

/**
 * The id and header of an encoded block, its records left undecoded and
 * unchecked (a receiver sorts blocks by chain before the ledger checks them
 * in full). Throws `OVERSIZED` or `SCHEMA_VIOLATION` where {@link decodeBlock}
 * would for the same reason.
 */
export function peekBlock(bytes: Uint8Array): BlockPeek {
  checkBlockSize(bytes);
  let headerBytes: Uint8Array;
  try {
    const reader = new CborReader(bytes);
    if (reader.array() !== 3) fail('a block is [header, signature, records]');
    headerBytes = reader.byteString();
  } catch (err) {
    if (err instanceof LedgerError) throw err;
    fail(`block does not decode: ${(err as Error).message}`);
  }
  return { header: headerOf(headerBytes), id: blockIdOf(headerBytes) };
}

/** Options for {@link decodeBlock}. */
export interface DecodeBlockOptions {
  /**
   * The block's event ids, when the caller keeps them (a store does): they
   * are not hashed again. Only with `verify: false`.
   */
  readonly eventIds?: readonly EventId[];
  /**
   * Verify signature, Merkle root and canonical form (foreign input). Blocks
   * read back from our own store skip this; `evoledger verify` turns it on.
   */
  readonly verify?: boolean;
}

/** A decoded block, with its event ids also as raw bytes when decoding hashed them. */
export interface DecodedBlock {
  readonly block: SignedBlock;
  /** The event ids as raw bytes laid end to end; undefined when they were given (`eventIds`), not hashed. */
  readonly idBytes: Uint8Array | undefined;
}

/**
 * Decodes a block. With `verify`, throws `INVALID_SIGNATURE`, `BAD_ROOT`,
 * `OVERSIZED` or `SCHEMA_VIOLATION` for anything that is not a well-formed,
 * correctly signed block.
 */
export function decodeBlock(bytes: Uint8Array, options: DecodeBlockOptions = {}): SignedBlock {
  return decodeBlockWithIds(bytes, options).block;
}

/** {@link decodeBlock}, also giving the raw event ids it hashed (what a verifier hands on). */
export function decodeBlockWithIds(
  bytes: Uint8Array,
  options: DecodeBlockOptions = {},
): DecodedBlock {
  const verify = options.verify ?? true;
  checkBlockSize(bytes);
  let outer: unknown;
  try {
    outer = decodeCanonical(bytes);
  } catch (err) {
    throw new LedgerError('SCHEMA_VIOLATION', `block does not decode: ${(err as Error).message}`);
  }
  if (!Array.isArray(outer) || outer.length !== 3) fail('a block is [header, signature, records]');
  const [headerBytes, signature, records] = outer as unknown[];
  if (!(headerBytes instanceof Uint8Array) || !(signature instanceof Uint8Array)) {
    fail('block header and signature must be byte strings');
  }
  if (!Array.isArray(records) || !records.every((r) => r instanceof Uint8Array)) {
    fail('block records must be byte strings');
  }
  const header = headerOf(headerBytes);
  const recs = records;
  if (recs.length === 0 || recs.length > Limits.maxBlockEvents) {
    throw new LedgerError('OVERSIZED', `a block holds 1 to ${Limits.maxBlockEvents} events`);
  }
  if (header.count !== recs.length) {
    throw new LedgerError(
      'BAD_ROOT',
      `header counts ${header.count} events, block has ${recs.length}`,
    );
  }
  const known = !verify && options.eventIds?.length === recs.length ? options.eventIds : undefined;
  const idBytes = known === undefined ? eventIdBytesOf(header, recs) : undefined;
  const block: SignedBlock = {
    id: blockIdOf(headerBytes),
    header,
    headerBytes,
    signature,
    records: recs,
    eventIds: known ?? hexIds(idBytes!),
    bytes,
  };
  if (idBytes !== undefined) rawIds.set(block, idBytes);
  if (verify) checkRootAndSignature(block, idBytes!);
  return { block, idBytes };
}

/** Checks a block's Merkle root and signature; throws `BAD_ROOT` or `INVALID_SIGNATURE`. */
export function verifyBlock(block: SignedBlock): void {
  checkRootAndSignature(block, eventIdBytesOfBlock(block));
}

function checkRootAndSignature(block: SignedBlock, idBytes: Uint8Array): void {
  if (!bytesEqual(merkleRootOfJoined(idBytes), block.header.root)) {
    throw new LedgerError('BAD_ROOT', `block ${block.id}: events do not match the Merkle root`);
  }
  const ok = verifyTagged(
    SigningDomains.block,
    idToBytes(block.header.author),
    block.headerBytes,
    block.signature,
  );
  if (!ok) {
    throw new LedgerError('INVALID_SIGNATURE', `block ${block.id}: signature does not verify`);
  }
}

/** Decodes the events of a block (validating known kinds' bodies). */
export function blockEvents(block: SignedBlock, options: DecodeRecordOptions = {}): LedgerEvent[] {
  const { realm, author, first } = block.header;
  return block.records.map((bytes, i) =>
    decodeRecord(bytes, { id: block.eventIds[i]!, realm, author, seq: first + i }, options),
  );
}

/** Proof that one event belongs to a signed block: enough to verify it on its own. */
export interface InclusionProof {
  readonly headerBytes: Uint8Array;
  readonly signature: Uint8Array;
  readonly index: number;
  readonly record: Uint8Array;
  readonly path: readonly ProofStep[];
}

/** The inclusion proof of event `index` of `block`. */
export function inclusionProof(block: SignedBlock, index: number): InclusionProof {
  const record = block.records[index];
  if (record === undefined) throw new LedgerError('NOT_FOUND', `block has no event ${index}`);
  return {
    headerBytes: block.headerBytes,
    signature: block.signature,
    index,
    record,
    path: merkleProof(
      block.eventIds.map((id) => idToBytes(id)),
      index,
    ),
  };
}

/**
 * Verifies a single event from its record, block header and inclusion proof,
 * without the rest of the block. Returns the decoded event.
 */
export function verifyInclusion(proof: InclusionProof): LedgerEvent {
  const header = decodeBlockHeader(proof.headerBytes);
  const ok = verifyTagged(
    SigningDomains.block,
    idToBytes(header.author),
    proof.headerBytes,
    proof.signature,
  );
  if (!ok) throw new LedgerError('INVALID_SIGNATURE', 'block header signature does not verify');
  return verifyInclusionUnder(proof, header);
}

/**
 * {@link verifyInclusion} under a header already checked: `header` must be
 * the decoding of `proof.headerBytes`, whose signature the caller has
 * verified (a verifier checking several events of one block checks its
 * signature once). Recomputes the event id from the record and follows the
 * Merkle path to the header's root. Returns the decoded event.
 */
export function verifyInclusionUnder(proof: InclusionProof, header: BlockHeader): LedgerEvent {
  if (proof.index >= header.count) throw new LedgerError('BAD_ROOT', 'index outside the block');
  const seq = header.first + proof.index;
  const id = eventIdOf(idToBytes(header.realm), idToBytes(header.author), seq, proof.record);
  if (!verifyMerkleProof(idToBytes(id), proof.path, header.root)) {
    throw new LedgerError('BAD_ROOT', `event ${id} is not in the signed block`);
  }
  return decodeRecord(proof.record, { id, realm: header.realm, author: header.author, seq });
}
