import { encodeCanonical, idFromBytes, taggedHash } from '../crypto/index.js';
import type { EventId, Identity, PublicKey, RealmId } from '../crypto/index.js';
import { sealBlock } from './block.js';
import type { SignedBlock } from './block.js';
import type { LedgerEvent } from './event.js';
import { isKind } from './event.js';
import { genesisKind } from './kinds/genesis.js';
import type { GenesisBody } from './kinds/genesis.js';
import type { MembershipBody } from './kinds/membership.js';
import { encodeRecord } from './record.js';

const REALM_TAG = 'evoledger/realm/v1';

/** The realm id a genesis body defines. */
export function realmIdOf(genesis: GenesisBody): RealmId {
  return idFromBytes<RealmId>(taggedHash(REALM_TAG, encodeCanonical(genesisKind.encode(genesis))));
}

/** Options of {@link createRealm}. */
export interface CreateRealmOptions {
  readonly name: string;
  /** Closed realms accept members' blocks only. Default: open. */
  readonly open?: boolean;
  /** Admins besides the creator. */
  readonly admins?: readonly PublicKey[];
  /** Distinguishes realms with the same name and admins. Default 0. */
  readonly nonce?: number;
}

/** A new realm: its id and the signed block holding its genesis event. */
export function createRealm(
  creator: Identity,
  options: CreateRealmOptions,
): { realm: RealmId; block: SignedBlock; genesis: GenesisBody } {
  const admins = [creator.publicKey, ...(options.admins ?? [])].filter(
    (k, i, all) => all.indexOf(k) === i,
  );
  const genesis: GenesisBody = {
    name: options.name,
    admins,
    open: options.open ?? true,
    nonce: options.nonce ?? 0,
  };
  const realm = realmIdOf(genesis);
  const record = encodeRecord({ kind: 'genesis', deps: [], body: genesis });
  return { realm, block: sealBlock(creator, realm, undefined, [record]), genesis };
}

/**
 * Who may write in a realm, folded from its genesis and membership events.
 * The fold does not depend on arrival order: a removal wins over every add
 * of the same key, except an add that names the removal in its deps
 * (re-admission is explicit).
 */
export class RealmState {
  readonly id: RealmId;
  readonly name: string;
  readonly open: boolean;
  readonly genesis: EventId;
  readonly #founders: ReadonlySet<PublicKey>;
  /** Every membership event seen, whoever signed it: admin rights are resolved lazily. */
  readonly #events = new Map<
    EventId,
    { author: PublicKey; deps: readonly EventId[]; body: MembershipBody }
  >();
  #resolved: { admins: Set<PublicKey>; members: Set<PublicKey> } | undefined;

  constructor(genesisEvent: { id: EventId; realm: RealmId; body: GenesisBody }) {
    this.id = genesisEvent.realm;
    this.name = genesisEvent.body.name;
    this.open = genesisEvent.body.open;
    this.genesis = genesisEvent.id;
    this.#founders = new Set(genesisEvent.body.admins);
  }

  /** Folds one event in (events of other kinds are ignored). */
  apply(event: LedgerEvent): void {
    if (!isKind(event, 'membership') || event.realm !== this.id) return;
    this.#events.set(event.id, { author: event.author, deps: event.deps, body: event.body });
    this.#resolved = undefined;
  }

  /**
   * Resolves roles from the whole set, so the result never depends on the
   * order events arrived in: admins grow from the founders to a fixpoint,
   * counting only events signed by admins; a removal by an admin beats every
   * add that does not name it in its deps.
   */
  #resolve(): { admins: Set<PublicKey>; members: Set<PublicKey> } {
    if (this.#resolved) return this.#resolved;
    const admins = new Set(this.#founders);
    const alive = (member: PublicKey, deps: readonly EventId[]) => {
      for (const [id, e] of this.#events) {
        if (e.body.member === member && e.body.action === 'remove' && admins.has(e.author)) {
          if (!deps.includes(id)) return false;
        }
      }
      return true;
    };
    const roleOf = (role: 'member' | 'admin') => {
      const out = new Set<PublicKey>();
      for (const e of this.#events.values()) {
        const { action, member } = e.body;
        if (
          action === 'add' &&
          e.body.role === role &&
          admins.has(e.author) &&
          alive(member, e.deps)
        ) {
          out.add(member);
        }
      }
      return out;
    };
    for (let grew = true; grew;) {
      grew = false;
      for (const k of roleOf('admin')) {
        if (!admins.has(k)) {
          admins.add(k);
          grew = true;
        }
      }
    }
    this.#resolved = { admins, members: roleOf('member') };
    return this.#resolved;
  }

  /** True for a founding admin or a key admitted as admin. */
  isAdmin(key: PublicKey): boolean {
    return this.#resolve().admins.has(key);
  }

  /** True for anyone who may write here (in an open realm, anyone). */
  mayWrite(key: PublicKey): boolean {
    const { admins, members } = this.#resolve();
    return this.open || admins.has(key) || members.has(key);
  }

  /** Current admins and members, sorted, for display. */
  roster(): { admins: PublicKey[]; members: PublicKey[] } {
    const { admins, members } = this.#resolve();
    return {
      admins: [...admins].sort(),
      members: [...members].filter((k) => !admins.has(k)).sort(),
    };
  }
}
