import { execFile, execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCanonical, Identity, loadIdentity } from '../crypto/index.js';
import type { RealmId } from '../crypto/index.js';
import { Ledger, sealBlock } from '../ledger/index.js';
import type { SignedBlock } from '../ledger/index.js';
import { LevelStore } from '../ledger/level-store.js';
import { encodeRecord } from '../ledger/record.js';
import { freePort, loopback, startNodeProcess, waitFor } from './process-kit.js';
import type { NodeProcess } from './process-kit.js';
import type { NodeStatus } from './status.js';
import { syntheticDraft, writeSynthetic } from './synthetic.js';

// Multi-process tests: every node is `node bin/evoledger.js node …` (the built
// CLI; `npm test` builds dist/ first), on 127.0.0.1, over real TCP.
const root = resolve(import.meta.dirname, '..');
const bin = join(root, 'bin', 'evoledger.js');
const run = promisify(execFile);
const procs: NodeProcess[] = [];
let tmp: string;

async function cli(args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await run(process.execPath, [bin, ...args, '--json']);
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

async function start(dir: string, args: string[]): Promise<NodeProcess> {
  const p = await startNodeProcess({
    bin,
    dir,
    args: ['--status-interval', '150', '--sync-interval', '1000', ...args],
  });
  procs.push(p);
  return p;
}

/** Events of `realm` a status shows (sum over chain heads). */
const realmEvents = (s: NodeStatus | undefined, realm: RealmId) =>
  s === undefined
    ? -1
    : s.heads.filter((h) => h.realm === realm).reduce((n, h) => n + h.nextEvent, 0);
const authorEvents = (s: NodeStatus | undefined, author: string) =>
  s?.heads.find((h) => h.author === author)?.nextEvent ?? 0;
const authorOf = async (dir: string) => (await loadIdentity(join(dir, 'identity.key'))).publicKey;

async function converged(nodes: NodeProcess[], realm: RealmId, events: number): Promise<boolean> {
  const all = await Promise.all(nodes.map((n) => n.status()));
  // Hashes compared only once each covers every block its status counts (see NodeStatus.projectionBlocks).
  return all.every(
    (s) =>
      realmEvents(s, realm) === events &&
      s!.projectionBlocks === s!.blocks &&
      s!.projectionHash === all[0]!.projectionHash,
  );
}

async function describeNodes(nodes: NodeProcess[], realm: RealmId): Promise<string> {
  const all = await Promise.all(nodes.map((n) => n.status()));
  return all
    .map(
      (s, i) =>
        `n${i + 1}: events ${realmEvents(s, realm)} peers ${s?.peers.length} hash ${s?.projectionHash.slice(0, 12)} of ${s?.projectionBlocks}/${s?.blocks} blocks rejected ${JSON.stringify(s?.rejected)}\n${nodes[i]!.stderr().slice(-600)}`,
    )
    .join('\n');
}

async function stopAll(): Promise<void> {
  await Promise.all(procs.splice(0).map((p) => p.stop(3000)));
}

beforeAll(async () => {
  if (!existsSync(join(root, 'dist', 'cli', 'main.js')))
    execSync('npm run build', { cwd: root, stdio: 'ignore' });
  tmp = await mkdtemp(join(tmpdir(), 'evoledger-int-'));
}, 120_000);

afterAll(async () => {
  await Promise.all(procs.splice(0).map((p) => p.kill()));
  await rm(tmp, { recursive: true, force: true });
});

describe('replication commands', () => {
  it('status without a node, member by a non-admin: stable codes', async () => {
    const d1 = join(tmp, 'cmd1');
    const d2 = join(tmp, 'cmd2');
    const realm = (await cli(['realm', 'create', 'cmd', '--closed', '--dir', d1])).realm as RealmId;
    await cli(['realm', 'create', 'other', '--dir', d2]);
    const fail = async (args: string[]) => {
      try {
        await cli(args);
      } catch (err) {
        const out = (err as { stdout: string }).stdout.trim().split('\n').pop()!;
        return (JSON.parse(out) as { code: string }).code;
      }
      return 'ok';
    };
    expect(await fail(['status', '--dir', d1])).toBe('NODE_NOT_RUNNING');
    const stranger = (await loadIdentity(join(d2, 'identity.key'))).publicKey;
    expect(await fail(['member', 'add', stranger, '--realm', realm, '--dir', d2])).toBe(
      'UNKNOWN_REALM',
    );
    const added = await cli(['member', 'add', stranger, '--realm', realm, '--dir', d1]);
    expect(added.action).toBe('add');
  }, 60_000);
});

describe('replication between node processes over TCP', () => {
  it('three nodes converge', async () => {
    const [d1, d2, d3] = ['c1', 'c2', 'c3'].map((d) => join(tmp, d)) as [string, string, string];
    const realm = (await cli(['realm', 'create', 'converge', '--dir', d1])).realm as RealmId;
    const load = [
      ...['--realm', realm, '--synthetic', '1000', '--synthetic-events', '1500'],
      ...['--discovery-interval', '1000'],
    ];
    try {
      const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
      const [n1, n2, n3] = await Promise.all([
        start(d1, [...load, '--listen', loopback(p1)]),
        start(d2, [...load, '--listen', loopback(p2), '--bootstrap', loopback(p1)]),
        start(d3, [...load, '--listen', loopback(p3), '--bootstrap', loopback(p2)]),
      ]);
      const nodes = [n1, n2, n3];
      await waitFor(
        () => converged(nodes, realm, 1 + 3 * 1500),
        60_000,
        () => describeNodes(nodes, realm),
      );
      const s = await n3.status();
      expect(s!.rejected).toEqual({});
      // n3 was only told about n2: it found n1 through the realm's DHT provider records.
      await waitFor(
        async () => (await n3.status())!.peers.includes(n1.peerId),
        20_000,
        () => describeNodes(nodes, realm),
      );
    } finally {
      await stopAll();
    }
  }, 90_000);

  it('a 2/1 partition cut for real heals with no event lost', async () => {
    const [d1, d2, d3] = ['p1', 'p2', 'p3'].map((d) => join(tmp, d)) as [string, string, string];
    const realm = (await cli(['realm', 'create', 'partition', '--dir', d1])).realm as RealmId;
    const deny = (d: string) => join(d, 'deny');
    const write = ['--synthetic', '200', '--synthetic-events', '2400'];
    try {
      const [p1, p2, p3] = [await freePort(), await freePort(), await freePort()];
      const [n1, n2, n3] = await Promise.all([
        start(d1, ['--realm', realm, '--deny-file', deny(d1), '--listen', loopback(p1), ...write]),
        start(d2, [
          '--realm',
          realm,
          '--deny-file',
          deny(d2),
          '--listen',
          loopback(p2),
          '--bootstrap',
          loopback(p1),
          '--evolve',
          'xor',
          '--evolve-runs',
          '3',
        ]),
        start(d3, [
          '--realm',
          realm,
          '--deny-file',
          deny(d3),
          '--listen',
          loopback(p3),
          '--bootstrap',
          loopback(p1),
          loopback(p2),
          ...write,
        ]),
      ]);
      const nodes = [n1, n2, n3];
      const a3 = await authorOf(d3);
      await waitFor(
        async () => authorEvents(await n1.status(), a3) > 0,
        30_000,
        () => describeNodes(nodes, realm),
      );

      // Cut: n3 refuses n1 and n2, and they refuse n3; live connections close.
      await writeFile(deny(d1), n3.peerId + '\n');
      await writeFile(deny(d2), n3.peerId + '\n');
      await writeFile(deny(d3), `${n1.peerId}\n${n2.peerId}\n`);
      await waitFor(
        async () =>
          (await n3.status())!.peers.length === 0 &&
          !(await n1.status())!.peers.includes(n3.peerId),
        15_000,
        () => describeNodes(nodes, realm),
      );
      // Let in-flight sessions and status files settle. n1 and n2 still sync
      // with each other, so either may pass on what the other got before the cut.
      await new Promise((r) => setTimeout(r, 1500));
      const seenBefore = Math.max(
        authorEvents(await n1.status(), a3),
        authorEvents(await n2.status(), a3),
      );
      const ownBefore = authorEvents(await n3.status(), a3);
      await new Promise((r) => setTimeout(r, 2500));
      expect(authorEvents(await n1.status(), a3)).toBeLessThanOrEqual(seenBefore);
      expect(authorEvents(await n2.status(), a3)).toBeLessThanOrEqual(seenBefore);
      expect(authorEvents(await n3.status(), a3)).toBeGreaterThan(ownBefore);

      // Heal, then every event of every side must be everywhere.
      await Promise.all([d1, d2, d3].map((d) => writeFile(deny(d), '')));
      const a1 = await authorOf(d1);
      const a2 = await authorOf(d2);
      await waitFor(
        async () => {
          const s2 = await n2.status();
          const evolved = authorEvents(s2, a2);
          if (authorEvents(s2, a1) < 2400 || authorEvents(s2, a3) < 2400 || evolved === 0)
            return false;
          return converged(nodes, realm, 1 + 2400 * 2 + evolved);
        },
        60_000,
        () => describeNodes(nodes, realm),
      );
    } finally {
      await stopAll();
    }
  }, 120_000);

  it('a node killed with SIGKILL mid-sync restarts and converges', async () => {
    const [d1, d2] = ['k1', 'k2'].map((d) => join(tmp, d)) as [string, string];
    const realm = (await cli(['realm', 'create', 'kill', '--dir', d1])).realm as RealmId;
    const total = 30_000;
    {
      const store = await LevelStore.open(join(d1, 'store'));
      const ledger = await Ledger.open(store);
      await writeSynthetic(ledger, await loadIdentity(join(d1, 'identity.key')), realm, total, {
        blockSize: 50,
      });
      await store.close();
    }
    try {
      const p1 = await freePort();
      const [n1, first] = await Promise.all([
        start(d1, ['--realm', realm, '--listen', loopback(p1)]),
        start(d2, ['--realm', realm, '--bootstrap', loopback(p1)]),
      ]);
      let n2 = first;
      await waitFor(
        async () => realmEvents(await n2.status(), realm) > 1,
        30_000,
        () => describeNodes([n1, n2], realm),
        20,
      );
      const partial = realmEvents(await n2.status(), realm);
      await n2.kill();
      expect(partial).toBeLessThan(total + 1);
      n2 = await start(d2, ['--realm', realm, '--bootstrap', n1.addrs[0]!]);
      await waitFor(
        () => converged([n1, n2], realm, total + 1),
        60_000,
        () => describeNodes([n1, n2], realm),
      );
    } finally {
      await stopAll();
    }
  }, 120_000);

  it("refuses a non-member's blocks and a tampered block, keeps the valid blocks of the same peer", async () => {
    const [d1, dr] = ['m1', 'rogue'].map((d) => join(tmp, d)) as [string, string];
    const realm = (await cli(['realm', 'create', 'closed', '--closed', '--dir', d1]))
      .realm as RealmId;
    await cli(['realm', 'create', 'scratch', '--dir', dr]); // gives the rogue its identity
    const rogue = await loadIdentity(join(dr, 'identity.key'));
    await cli(['member', 'add', rogue.publicKey, '--realm', realm, '--dir', d1]);
    const outsider = Identity.generate();
    {
      // The rogue holds the realm, its own valid blocks, and what its ledger would never admit:
      // written past the validator, straight into its store.
      const admin = await LevelStore.open(join(d1, 'store'));
      const realmBlocks: SignedBlock[] = [];
      for await (const b of admin.blocks({ realm })) realmBlocks.push(b);
      await admin.close();
      const store = await LevelStore.open(join(dr, 'store'));
      const ledger = await Ledger.open(store);
      expect((await ledger.ingest(realmBlocks)).rejected).toEqual([]);
      await writeSynthetic(ledger, rogue, realm, 300, { blockSize: 100, tag: 7 });
      const stranger = sealBlock(outsider, realm, undefined, [encodeRecord(syntheticDraft(9, 0))]);
      const head = await store.head(realm, rogue.publicKey);
      const good = sealBlock(rogue, realm, head, [encodeRecord(syntheticDraft(7, 300))]);
      const records = [...good.records];
      const bad = new Uint8Array(records[0]!);
      bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
      records[0] = bad;
      const tampered = {
        ...good,
        records,
        bytes: encodeCanonical([good.headerBytes, good.signature, records]),
      };
      await store.append([stranger, tampered]);
      await store.close();
    }
    try {
      const p1 = await freePort();
      const [n1, nr] = await Promise.all([
        start(d1, ['--realm', realm, '--listen', loopback(p1)]),
        start(dr, ['--realm', realm, '--bootstrap', loopback(p1)]),
      ]);
      await waitFor(
        async () => {
          const s = await n1.status();
          return (
            authorEvents(s, rogue.publicKey) === 300 &&
            (s?.rejected.BAD_ROOT ?? 0) > 0 &&
            (s?.rejected.NOT_A_MEMBER ?? 0) > 0
          );
        },
        30_000,
        () => describeNodes([n1, nr], realm),
      );
      const s = (await n1.status())!;
      expect(s.heads.some((h) => h.author === outsider.publicKey)).toBe(false);
      expect(s.rejected).toEqual({ BAD_ROOT: 1, NOT_A_MEMBER: 1 });
      expect(n1.stderr()).toContain('[NOT_A_MEMBER]');
      expect(n1.stderr()).toContain('[BAD_ROOT]');
    } finally {
      await stopAll();
    }
  }, 90_000);
});
