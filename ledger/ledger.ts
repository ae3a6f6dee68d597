import { idFromBytes } from '../crypto/index.js';
import type { BlockId, EventId, Identity, PublicKey, RealmId } from '../crypto/index.js';
import type { BlockCheck } from './block-check.js';
import { BlockFacts } from './block-facts.js';
import { workerChecker } from './block-checker.js';
import type { BlockChecker } from './block-checker.js';
import { blockEvents, chainLink, decodeBlock, peekBlock, verifyBlock } from './block.js';
import type { BlockPeek, ChainHead, SignedBlock } from './block.js';
import type { LedgerEvent } from './event.js';
import { isKind } from './event.js';
import { LedgerError } from './errors.js';
import type { LedgerErrorCode } from './errors.js';
import { chainKey, InFlight } from './in-flight.js';
import { RealmState, realmIdOf } from './realm.js';
import type { EventStore } from './store.js';
import { LedgerWriter } from './writer.js';
import type { WriterOptions } from './writer.js';

/** Why a block was refused. */
export interface Rejection {
  readonly block: BlockId | null;
  readonly realm?: RealmId;
  readonly author?: PublicKey;
  readonly seq?: number;
  readonly code: LedgerErrorCode;
  readonly message: string;
}

/** Two different blocks signed by one author for the same place in its chain. */
export interface ForkEvidence {
  readonly realm: RealmId;
  readonly author: PublicKey;
  readonly seq: number;
  /** The block already held, then the conflicting one. */
  readonly held: SignedBlock;
  readonly conflicting: SignedBlock;
}

/** What {@link Ledger.ingest} did with each block it was given. */
export interface IngestReport {
  readonly accepted: readonly SignedBlock[];
  /** Blocks already held (or given twice): ingesting is idempotent. */
  readonly duplicates: number;
  readonly rejected: readonly Rejection[];
  readonly forks: readonly ForkEvidence[];
  /**
   * Rejected blocks that may yet enter once what they wait for arrives
   * (predecessor, dependency, genesis, membership): a caller streaming blocks
   * offers them again later.
   */
  readonly retryable: readonly SignedBlock[];
}

/** Options of {@link Ledger.ingest}. */
export interface IngestOptions {
  /** Refuse blocks of any other realm (`WRONG_REALM`). */
  readonly realm?: RealmId;
  /**
   * Blocks this process sealed itself: skip the signature and canonical-form
   * checks (chain, realm, membership, schema and deps are still checked).
   */
  readonly trusted?: boolean;
  /**
   * With `trusted`: the facts of some blocks' events, as their writer took
   * them from typed drafts, so the events are not decoded and validated again.
   */
  readonly facts?: ReadonlyMap<BlockId, BlockFacts>;
}

/** Options of {@link Ledger.open}. */
export interface LedgerOptions {
  /**
   * Worker threads that check strangers' blocks (signature, Merkle root,
   * event ids, canonical form, schemas) when an ingest call brings two or
   * more encoded blocks, while this thread decodes their events, applies
   * the ordered rules and writes. 0 (the default) checks on this thread.
   */
  readonly workers?: number;
}

/**
 * A block waiting for admission; `checked` when a worker has verified its
 * encoding in full, so its events are decoded without validating again.
 * Its events are decoded once, and only their facts are kept.
 */
type Candidate = { block: SignedBlock; facts?: BlockFacts; checked?: boolean };

/** Verdicts that may change once other blocks of the same batch are admitted. */
const WAITS: ReadonlySet<LedgerErrorCode> = new Set([
  'CHAIN_GAP',
  'UNKNOWN_DEPENDENCY',
  'UNKNOWN_REALM',
  'NOT_A_MEMBER',
]);

/** The id and header of an encoded block, or null when even they do not decode. */
function peeked(bytes: Uint8Array): BlockPeek | null {
  try {
    return peekBlock(bytes);
  } catch {
    return null;
  }
}

/**
 * The block a worker checked in full: its structure decoded here, with the
 * ids the worker hashed (a failed check throws its verdict).
 */
function checkedBlock(bytes: Uint8Array, check: BlockCheck): SignedBlock {
  if (!check.ok) throw new LedgerError(check.code, check.message);
  const ids = Array.from({ length: check.count }, (_, i) =>
    idFromBytes<EventId>(check.ids.subarray(i * 32, i * 32 + 32)),
  );
  return decodeBlock(bytes, { verify: false, eventIds: ids });
}

/**
 * The ledger: a store plus the rules of what may enter it. Every block is
 * checked (signature, Merkle root, author chain, realm, membership, schema,
 * dependencies) before it is stored; a bad block is reported with its code
 * and never costs the valid blocks beside it.
 */
export class Ledger {
  readonly store: EventStore;
  readonly #realms = new Map<RealmId, RealmState>();
  readonly #writers = new Map<string, Promise<LedgerWriter>>();
  /** Serialises validation so chain checks see a consistent head. */
  #queue: Promise<unknown> = Promise.resolve();
  readonly #inFlight = new InFlight();
  readonly #workers: number;
  #checker: BlockChecker | undefined;

  private constructor(store: EventStore, options: LedgerOptions) {
    this.store = store;
    this.#workers = Math.max(0, Math.floor(options.workers ?? 0));
  }

  /** Opens a ledger over `store`, folding realm membership from what it holds. */
  static async open(store: EventStore, options: LedgerOptions = {}): Promise<Ledger> {
    const ledger = new Ledger(store, options);
    for await (const e of store.events({ kind: 'genesis' })) ledger.#applyRealmEvent(e);
    for await (const e of store.events({ kind: 'membership' })) ledger.#applyRealmEvent(e);
    return ledger;
  }

  /** Stops the ledger's worker threads, if it started any (the store stays open). */
  async close(): Promise<void> {
    const checker = this.#checker;
    this.#checker = undefined;
    await checker?.close();
  }

  /**
   * Checks encoded blocks on the worker threads, split evenly between them;
   * none (an empty map) when this ledger checks on its own thread or there
   * are too few to share.
   */
  async #checkOnWorkers(encoded: readonly Uint8Array[]): Promise<Map<Uint8Array, BlockCheck>> {
    const checked = new Map<Uint8Array, BlockCheck>();
    if (this.#workers === 0 || encoded.length < 2) return checked;
    this.#checker ??= workerChecker(this.#workers);
    const checker = this.#checker;
    const parts = Math.min(this.#workers, encoded.length);
    const size = Math.ceil(encoded.length / parts);
    const chunks = Array.from({ length: parts }, (_, i) => encoded.slice(i * size, (i + 1) * size));
    const results = await Promise.all(chunks.map((chunk) => checker.check(chunk)));
    chunks.forEach((chunk, i) => chunk.forEach((bytes, j) => checked.set(bytes, results[i]![j]!)));
    return checked;
  }

  /** Membership state of a realm, if its genesis is held. */
  realm(id: RealmId): RealmState | undefined {
    return this.#realms.get(id);
  }

  /** Every realm whose genesis is held. */
  realms(): RealmState[] {
    return [...this.#realms.values()].sort(
      (a, b) => a.name.localeCompare(b.name) || a.id.localeCompare(b.id),
    );
  }

  /** A writer that signs `identity`'s events into `realm` in blocks. */
  /**
   * The writer of `identity`'s chain in `realm`. There is one per chain and
   * ledger: two writers numbering the same chain would fork it, so every
   * caller (an evolution run, a node recording evidence) shares it.
   * `options` apply when the writer is first made.
   */
  writer(identity: Identity, realm: RealmId, options?: WriterOptions): Promise<LedgerWriter> {
    const key = chainKey(realm, identity.publicKey);
    let writer = this.#writers.get(key);
    if (writer === undefined) {
      const inFlight = this.#inFlight.heads.get(key);
      writer = (
        inFlight ? Promise.resolve(inFlight) : this.store.head(realm, identity.publicKey)
      ).then((head) => new LedgerWriter(this, identity, realm, head, options));
      this.#writers.set(key, writer);
      writer.catch(() => this.#writers.delete(key));
    }
    return writer;
  }

  #applyRealmEvent(e: LedgerEvent): void {
    if (isKind(e, 'genesis')) {
      if (!this.#realms.has(e.realm) && realmIdOf(e.body) === e.realm) {
        this.#realms.set(e.realm, new RealmState(e));
      }
    } else if (isKind(e, 'membership')) {
      this.#realms.get(e.realm)?.apply(e);
    }
  }

  /**
   * Validates and stores blocks (encoded, or already decoded). Blocks may come
   * in any order: a block waits in the batch for its chain predecessor, its
   * realm's genesis and its dependencies, and is rejected only when the batch
   * cannot provide them.
   */
  ingest(
    input: readonly (SignedBlock | Uint8Array)[],
    options: IngestOptions = {},
  ): Promise<IngestReport> {
    // Calls validate one after the other; a call's write may still be in
    // flight while the next one validates (see InFlight). Each call
    // resolves once its own blocks are durable.
    // A worker check depends on the bytes alone: it starts now, while earlier
    // calls still validate, so that the checks of one call overlap the
    // ordered rules and writes of the one before.
    const checks = options.trusted
      ? Promise.resolve(new Map<Uint8Array, BlockCheck>())
      : this.#checkOnWorkers(input.filter((x) => x instanceof Uint8Array));
    checks.catch(() => undefined);
    const validated = this.#queue.then(() => this.#validate(input, options, checks));
    this.#queue = validated.catch(() => undefined);
    return validated.then((v) => v.durable);
  }

  /** Validates a call's blocks and queues their write; `durable` resolves once written. */
  async #validate(
    input: readonly (SignedBlock | Uint8Array)[],
    options: IngestOptions,
    checks: Promise<Map<Uint8Array, BlockCheck>>,
  ): Promise<{ durable: Promise<IngestReport> }> {
    const rejected: Rejection[] = [];
    const forks: ForkEvidence[] = [];
    let duplicates = 0;
    const reject = (block: BlockPeek | null, err: unknown) => {
      if (!(err instanceof LedgerError)) throw err;
      rejected.push({
        block: block?.id ?? null,
        ...(block
          ? { realm: block.header.realm, author: block.header.author, seq: block.header.seq }
          : {}),
        code: err.code,
        message: err.message,
      });
    };

    // 1. Decode and check each block on its own (on the workers, if any).
    const checked = await checks;
    const seen = new Set<BlockId>();
    let pending: Candidate[] = [];
    for (const item of input) {
      let block: SignedBlock;
      // A block whose events fail goes the inline way, to be refused where
      // an unchecked one would be (after the chain checks), naming it.
      let check = item instanceof Uint8Array ? checked.get(item) : undefined;
      if (check?.ok === false && check.inEvents) check = undefined;
      try {
        if (check !== undefined) block = checkedBlock(item as Uint8Array, check);
        else if (item instanceof Uint8Array) {
          block = decodeBlock(item, { verify: !options.trusted });
        } else {
          block = item;
          if (!options.trusted) verifyBlock(block);
        }
      } catch (err) {
        // An encoded block is named when its header decodes: a refusal is then
        // told apart from another block's (and counted once by a replicator).
        reject(item instanceof Uint8Array ? peeked(item) : item, err);
        continue;
      }
      if (
        seen.has(block.id) ||
        this.#inFlight.blocks.has(block.id) ||
        (await this.store.hasBlock(block.id))
      ) {
        duplicates++;
        continue;
      }
      seen.add(block.id);
      if (options.realm !== undefined && block.header.realm !== options.realm) {
        reject(
          block,
          new LedgerError(
            'WRONG_REALM',
            `block ${block.id} belongs to realm ${block.header.realm}`,
          ),
        );
        continue;
      }
      const facts = options.trusted ? options.facts?.get(block.id) : undefined;
      pending.push(facts ? { block, facts } : { block, checked: check !== undefined });
    }
    pending.sort(
      (a, b) =>
        a.block.header.author.localeCompare(b.block.header.author) ||
        a.block.header.seq - b.block.header.seq,
    );

    // 2. Admit blocks whose prerequisites are met, until nothing moves.
    const heads = new Map<string, ChainHead | null>();
    const batchEvents = new Set<EventId>();
    const accepted: SignedBlock[] = [];
    const acceptedFacts: BlockFacts[] = [];
    const waiting = new Map<Candidate, LedgerError>();
    for (let progress = true; progress && pending.length > 0;) {
      progress = false;
      const next: Candidate[] = [];
      for (const c of pending) {
        const verdict = await this.#admit(c, heads, batchEvents, options, forks);
        if (verdict === 'accepted') {
          accepted.push(c.block);
          acceptedFacts.push(c.facts!);
          progress = true;
        } else if (!WAITS.has(verdict.code)) {
          reject(c.block, verdict);
        } else {
          waiting.set(c, verdict);
          next.push(c);
        }
      }
      pending = next;
    }
    for (const c of pending) reject(c.block, waiting.get(c));
    const retryable = pending.map((c) => c.block);
    const report: IngestReport = { accepted, duplicates, rejected, forks, retryable };
    if (accepted.length === 0) return { durable: Promise.resolve(report) };

    // Queue the write behind the writes still in flight: it lands after
    // them, and fails with them (its blocks may follow theirs).
    const inFlight = this.#inFlight;
    inFlight.add(accepted, heads);
    const previous = inFlight.calls > 0 ? inFlight.last : Promise.resolve();
    inFlight.calls++;
    const write = previous.then(() => this.store.append(accepted, acceptedFacts));
    inFlight.last = write;
    const settle = () => {
      inFlight.remove(accepted);
      inFlight.calls--;
    };
    return {
      durable: write.then(
        () => (settle(), report),
        (err: unknown) => {
          settle();
          throw err;
        },
      ),
    };
  }

  async #head(heads: Map<string, ChainHead | null>, realm: RealmId, author: PublicKey) {
    const key = chainKey(realm, author);
    if (!heads.has(key)) {
      const head = this.#inFlight.heads.get(key) ?? (await this.store.head(realm, author));
      heads.set(key, head ?? null);
    }
    return heads.get(key) ?? undefined;
  }

  async #admit(
    c: Candidate,
    heads: Map<string, ChainHead | null>,
    batchEvents: Set<EventId>,
    options: IngestOptions,
    forks: ForkEvidence[],
  ): Promise<'accepted' | LedgerError> {
    const { block } = c;
    const h = block.header;
    const head = await this.#head(heads, h.realm, h.author);

    // Author chain: exactly the next block, linked to the head.
    const link = chainLink(head, h);
    if (link === 'behind') {
      const held =
        this.#inFlight.seats.get(`${chainKey(h.realm, h.author)}:${h.seq}`) ??
        (await this.store.getBlockAt(h.realm, h.author, h.seq));
      if (held !== undefined && held.id !== block.id) {
        forks.push({ realm: h.realm, author: h.author, seq: h.seq, held, conflicting: block });
        return new LedgerError(
          'CHAIN_FORK',
          `author ${h.author} signed two different blocks at seq ${h.seq}`,
        );
      }
      return new LedgerError(
        'CHAIN_FORK',
        `block ${block.id} conflicts with the chain of ${h.author}`,
      );
    }
    if (link === 'ahead') {
      const expected = head === undefined ? 0 : head.seq + 1;
      return new LedgerError(
        'CHAIN_GAP',
        `block ${h.seq} of ${h.author} arrived before block ${expected}`,
      );
    }
    if (link === 'unlinked') {
      return new LedgerError(
        'WRONG_PREV',
        head === undefined
          ? `the first block of a chain starts at event 0, not ${h.first}`
          : `block ${block.id} does not follow block ${head.id}`,
      );
    }

    // Events: schema (once per block), then realm, membership and dependencies.
    if (c.facts === undefined) {
      try {
        c.facts = BlockFacts.of(blockEvents(block, { trusted: c.checked === true }));
      } catch (err) {
        if (err instanceof LedgerError) return err;
        throw err;
      }
    }
    const facts = c.facts;
    const { ids, deps, depEnds, realmEvents } = facts;
    let realm = this.#realms.get(h.realm);
    const first = realmEvents[0];
    const genesis =
      first !== undefined && first.seq === h.first && isKind(first, 'genesis') ? first : undefined;
    const definesRealm = realm === undefined && genesis !== undefined;
    if (definesRealm) {
      if (realmIdOf(genesis.body) !== h.realm) {
        return new LedgerError(
          'WRONG_REALM',
          `genesis event ${genesis.id} does not define realm ${h.realm}`,
        );
      }
      if (!genesis.body.admins.includes(h.author)) {
        return new LedgerError('NOT_A_MEMBER', `realm genesis must be signed by one of its admins`);
      }
      realm = new RealmState(genesis);
    }
    if (realm === undefined) {
      return new LedgerError(
        'UNKNOWN_REALM',
        `realm ${h.realm} has no genesis here; fetch it first`,
      );
    }
    if (!realm.mayWrite(h.author)) {
      return new LedgerError(
        'NOT_A_MEMBER',
        `${h.author} is not a member of closed realm "${realm.name}"`,
      );
    }
    if (realmEvents.some((e) => e !== genesis && isKind(e, 'genesis'))) {
      return new LedgerError('SCHEMA_VIOLATION', `a genesis event must be the first of its chain`);
    }
    // Dependencies: earlier in the block or the batch, or held; the store is
    // asked once for all the others. The block's events join `batchEvents` as
    // they are checked (so a dep on an earlier event of the block is found
    // there), and leave it again if the block is refused.
    // Deps found neither in the batch nor in flight: which event, which dep.
    const askEvents: number[] = [];
    const askDeps: EventId[] = [];
    for (let i = 0, d = 0; i < ids.length; i++) {
      for (const end = depEnds[i]!; d < end; d++) {
        const dep = deps[d]!;
        if (!batchEvents.has(dep) && !this.#inFlight.events.has(dep)) {
          askEvents.push(i);
          askDeps.push(dep);
        }
      }
      batchEvents.add(ids[i]!);
    }
    if (askDeps.length > 0) {
      const missing = (await this.store.hasEvents(askDeps)).indexOf(false);
      if (missing !== -1) {
        for (const id of ids) batchEvents.delete(id);
        return new LedgerError(
          'UNKNOWN_DEPENDENCY',
          `event ${ids[askEvents[missing]!]!} depends on unknown event ${askDeps[missing]!}`,
        );
      }
    }

    // Admit.
    if (definesRealm) this.#realms.set(h.realm, realm);
    for (const e of realmEvents) this.#applyRealmEvent(e);
    heads.set(chainKey(h.realm, h.author), {
      realm: h.realm,
      author: h.author,
      seq: h.seq,
      id: block.id,
      nextEvent: h.first + h.count,
    });
    return 'accepted';
  }
}
