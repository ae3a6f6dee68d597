import { describe, expect, it } from 'vitest';
import { blockEvents } from './block.js';
import type { SignedBlock } from './block.js';
import { BlockFacts, factsOfBlock } from './block-facts.js';
import { Ledger } from './ledger.js';
import { MemoryStore } from './memory-store.js';
import { createRealm } from './realm.js';
import type { EventStore } from './store.js';
import { collect } from './__fixtures__/sample-world.js';
import { evaluationDraft, mutationDraft, runDraft, testIdentity } from './__tests__/fixtures.js';

/** A memory store that records the facts each append is given. */
async function recordingStore() {
  const inner = await MemoryStore.open();
  const given: { block: SignedBlock; facts: BlockFacts | undefined }[] = [];
  const store = new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'append') {
        return (blocks: readonly SignedBlock[], facts?: readonly (BlockFacts | undefined)[]) => {
          blocks.forEach((block, i) => given.push({ block, facts: facts?.[i] }));
          return target.append(blocks, facts);
        };
      }
      const value = Reflect.get(target, prop, receiver) as unknown;
      return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
    },
  }) as EventStore;
  return { store, given };
}

describe('BlockFacts', () => {
  it("a writer's facts, taken from its drafts, are the facts of its decoded blocks", async () => {
    const admin = testIdentity('admin');
    const member = testIdentity('member');
    const { store, given } = await recordingStore();
    const ledger = await Ledger.open(store);
    const { realm, block } = createRealm(admin, { name: 'facts', open: false });
    await ledger.ingest([block]);
    const w = await ledger.writer(admin, realm, { blockSize: 4 });
    const run = w.emit(runDraft());
    let prev = run;
    for (let i = 1; i <= 5; i++) {
      prev = w.emit(mutationDraft(prev, i));
      w.emit(evaluationDraft(run, prev, i));
    }
    w.emit({
      kind: 'membership',
      deps: [prev],
      body: { action: 'add', member: member.publicKey, role: 'member' },
    });
    await w.flush();

    const written = given.filter((g) => g.block.header.author === admin.publicKey).slice(1);
    expect(written.length).toBe(3);
    for (const { block, facts } of written) {
      expect(facts).toBeInstanceOf(BlockFacts);
      expect({ ...facts }).toEqual({ ...BlockFacts.of(blockEvents(block)) });
    }
    // The membership went through the facts: the ledger applied it.
    expect(ledger.realm(realm)?.mayWrite(member.publicKey)).toBe(true);
    // Every genotype a draft named is indexed.
    const genotype = written[0]!.facts!.genotypes[0]!;
    expect((await collect(store.events({ genotype }))).length).toBeGreaterThan(0);
  });

  it("refuses facts that are not the block's events", () => {
    const admin = testIdentity('admin');
    const { block: a } = createRealm(admin, { name: 'a' });
    const { block: b } = createRealm(admin, { name: 'b' });
    expect(factsOfBlock(a, undefined)).toEqual(BlockFacts.of(blockEvents(a)));
    expect(() => factsOfBlock(a, BlockFacts.of(blockEvents(b)))).toThrowError(
      expect.objectContaining({ code: 'SCHEMA_VIOLATION' }),
    );
  });
});
