import { fromHex, toHex } from './bytes.js';

/**
 * Branded identifiers. Every id is 32 bytes, carried as lower-case hex in memory
 * (cheap to compare and to use as a map key) and as raw bytes on the wire.
 * A function that wants one kind of id cannot be handed another.
 */
export type EventId = string & { readonly __eventId: true };
/** Id of a signed block: sha256 of its header bytes. */
export type BlockId = string & { readonly __blockId: true };
/** Content address of a canonical genotype. */
export type GenotypeId = string & { readonly __genotypeId: true };
/** Raw Ed25519 public key, hex. */
export type PublicKey = string & { readonly __publicKey: true };
/** Realm id: the tagged hash of the realm's genesis body. */
export type RealmId = string & { readonly __realmId: true };

/** Any 32-byte id. */
export type AnyId = EventId | BlockId | GenotypeId | PublicKey | RealmId;

const ID = /^[0-9a-f]{64}$/;

/** True for a well-formed 32-byte hex id. */
export function isIdHex(value: unknown): value is string {
  return typeof value === 'string' && ID.test(value);
}

/** Brands 32 raw bytes as an id of type `T`. */
export function idFromBytes<T extends AnyId>(bytes: Uint8Array): T {
  return toHex(bytes) as T;
}

type Slice = (this: Uint8Array, start: number, end: number) => string;
/** Node's native hex conversion, called on any Uint8Array (no Buffer wrapper per id). */
const hexSlice = (Buffer.prototype as unknown as { hexSlice?: Slice }).hexSlice;

/** Brands the 32 raw bytes of `bytes` at `offset` as an id of type `T`. */
export function idAt<T extends AnyId>(bytes: Uint8Array, offset: number): T {
  return (
    hexSlice === undefined
      ? toHex(bytes.subarray(offset, offset + 32))
      : hexSlice.call(bytes, offset, offset + 32)
  ) as T;
}

/**
 * Raw 32 bytes of an id. Hot path: ids are made by {@link idFromBytes}, so
 * this trusts their form and checks only the length; use {@link isIdHex} on
 * ids that come from users.
 */
export function idToBytes(id: AnyId): Uint8Array {
  const bytes = Buffer.from(id, 'hex');
  if (bytes.length !== 32 || id.length !== 64) return fromHex(id, 32); // throws BAD_HEX
  return new Uint8Array(bytes.buffer, bytes.byteOffset, 32);
}

/** Short form for humans (first 12 hex digits). */
export function shortId(id: AnyId): string {
  return id.slice(0, 12);
}
