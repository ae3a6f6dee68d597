import type { BlockId, PublicKey, RealmId } from '../crypto/index.js';
import type { EvidenceBody } from '../ledger/index.js';
import type { EvidenceRecord } from './evidence.js';

/** Blocks a session admitted into the ledger. */
export interface BlocksAcceptedDetail {
  readonly peer: string;
  readonly realm: RealmId;
  readonly blocks: number;
  readonly events: number;
}

/** A block refused for good (its code is a ledger or replication error code). */
export interface BlockRejectedDetail {
  readonly peer: string;
  readonly realm: RealmId;
  readonly block: BlockId | null;
  readonly author?: PublicKey;
  readonly seq?: number;
  readonly code: string;
  readonly message: string;
}

/** A session finished (or failed). */
export interface SessionEndDetail {
  readonly peer: string;
  readonly realm: RealmId | null;
  readonly role: 'initiator' | 'responder';
  readonly docs: number;
  readonly accepted: number;
  readonly rejected: number;
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly more: boolean;
  readonly error?: { code: string; message: string };
}

/** Every event a replicator or node dispatches, by name. */
export interface ReplicationEvents {
  'blocks:accepted': CustomEvent<BlocksAcceptedDetail>;
  'block:rejected': CustomEvent<BlockRejectedDetail>;
  /** A new fork: its record, and the body of the `evidence` event that proves it. */
  'fork:evidence': CustomEvent<EvidenceRecord & { readonly body: EvidenceBody }>;
  'session:end': CustomEvent<SessionEndDetail>;
  'peer:connect': CustomEvent<{ peer: string }>;
  'peer:disconnect': CustomEvent<{ peer: string }>;
}

/** An EventTarget whose event names and details are typed (the libp2p style, on Node's own EventTarget). */
export class TypedEventTarget<M extends { [K in keyof M]: CustomEvent }> extends EventTarget {
  /** Dispatches `name` with `detail`. */
  emit<K extends keyof M & string>(name: K, detail: M[K]['detail']): void {
    this.dispatchEvent(new CustomEvent(name, { detail }));
  }

  /** Typed `addEventListener`. */
  on<K extends keyof M & string>(
    name: K,
    listener: (event: M[K]) => void,
    options?: { once?: boolean; signal?: AbortSignal },
  ): void {
    this.addEventListener(name, listener as (event: Event) => void, options);
  }
}
