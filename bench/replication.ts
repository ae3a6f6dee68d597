import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import type { Server, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { loadIdentity } from '../crypto/index.js';
import type { PublicKey, RealmId } from '../crypto/index.js';
import * as Automerge from '@automerge/automerge';
import { Ledger, peekBlock, storedChainBytes } from '../ledger/index.js';
import type { ChainBlockBytes, SignedBlock } from '../ledger/index.js';
import { LevelStore } from '../ledger/level-store.js';
import { LiveProjection } from '../projections/index.js';
import { blockChange, sessionDocOf } from '../replication/block-doc.js';
import { BLOCKS_PER_DOC } from '../replication/limits.js';
import { freePort, loopback, startNodeProcess, waitFor } from '../replication/process-kit.js';
import type { NodeProcess } from '../replication/process-kit.js';
import type { NodeStatus } from '../replication/status.js';
import { writeSynthetic } from '../replication/synthetic.js';
import { cpuClock, flag, machine, printJson, printTable } from './report.js';

/** The catch-up goal, events per second. */
const CATCHUP_GOAL = 100_000;

const bin = resolve(import.meta.dirname, '..', '..', 'bin', 'evoledger.js');
const exec = promisify(execFile);
const since = (t: number) => (performance.now() - t) / 1000;
/** Progress on stderr (the table and the JSON line go to stdout). */
const note = (text: string) => process.stderr.write(`replication bench: ${text}\n`);

async function cli(args: string[]): Promise<Record<string, unknown>> {
  const { stdout } = await exec(process.execPath, [bin, ...args, '--json']);
  return JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
}

/**
 * Where a node process's time went so far (Linux; undefined where it cannot
 * be read): its main thread's seconds on a CPU and runnable but waiting for
 * one (`/proc/PID/schedstat`), and the CPU seconds of all its threads
 * (`/proc/PID/stat`, in 10 ms ticks: LevelDB's and the collector's threads
 * included).
 */
interface Sched {
  readonly run: number;
  readonly queued: number;
  readonly all: number;
  /** CPU seconds of all threads spent in the kernel. */
  readonly sys: number;
  /** Minor page faults of all threads (first touches of memory). */
  readonly faults: number;
}

async function schedOf(p: NodeProcess): Promise<Sched | undefined> {
  try {
    const [run, queued] = (await readFile(`/proc/${p.child.pid}/schedstat`, 'utf8')).split(' ');
    const stat = (await readFile(`/proc/${p.child.pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
    const ticks = Number(stat[11]) + Number(stat[12]);
    return {
      run: Number(run) / 1e9,
      queued: Number(queued) / 1e9,
      all: ticks / 100,
      sys: Number(stat[12]) / 100,
      faults: Number(stat[7]),
    };
  } catch {
    return undefined;
  }
}

/**
 * Each process between two readings `seconds` apart: main-thread CPU, CPU of
 * all threads, and the main thread's idle time (neither running nor
 * waiting for a CPU: waiting for the peer, the disk or a timer), which a
 * loaded machine does not inflate as it does wall-clock time.
 */
const schedSince = (before: (Sched | undefined)[], after: (Sched | undefined)[], seconds: number) =>
  after.map((x, i) => {
    const b = before[i];
    if (x === undefined || b === undefined)
      return { cpu: NaN, all: NaN, idle: NaN, sys: NaN, faults: NaN };
    const cpu = x.run - b.run;
    return {
      cpu,
      all: x.all - b.all,
      idle: seconds - cpu - (x.queued - b.queued),
      sys: x.sys - b.sys,
      faults: x.faults - b.faults,
    };
  });

const both = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' + ');

/** The table rows of each process in one phase (`who`: the processes, in order). */
const processRows = (phase: string, who: string, sched: ReturnType<typeof schedSince>) =>
  [
    { figure: `${phase}: main-thread CPU s, ${who}`, value: both(sched.map((x) => x.cpu)) },
    { figure: `${phase}: CPU s of all threads, ${who}`, value: both(sched.map((x) => x.all)) },
    { figure: `${phase}: main thread idle s, ${who}`, value: both(sched.map((x) => x.idle)) },
    { figure: `${phase}: kernel CPU s, ${who}`, value: both(sched.map((x) => x.sys)) },
    {
      figure: `${phase}: minor page faults, ${who}`,
      value: sched.map((x) => x.faults.toLocaleString('en-US')).join(' + '),
    },
  ].map((row) => ({ ...row, goal: '' }));

const realmEvents = (s: NodeStatus | undefined, realm: RealmId) =>
  s === undefined
    ? -1
    : s.heads.filter((h) => h.realm === realm).reduce((n, h) => n + h.nextEvent, 0);

/** A loopback TCP proxy that counts every byte it forwards: the bytes on the wire, noise and yamux included. */
async function countingProxy(
  target: number,
): Promise<{ port: number; bytes: () => number; close: () => Promise<void> }> {
  let bytes = 0;
  const sockets = new Set<Socket>();
  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  };
  const server: Server = createServer((client) => {
    const upstream = connect(target, '127.0.0.1');
    track(client);
    track(upstream);
    client.on('data', (d: Buffer) => (bytes += d.byteLength));
    upstream.on('data', (d: Buffer) => (bytes += d.byteLength));
    client.pipe(upstream).on('error', () => client.destroy());
    upstream.pipe(client).on('error', () => upstream.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  // Connections of stopped nodes are destroyed here: waiting for them to drain
  // could outlive every handle of this process (the close callback never came).
  const close = () =>
    new Promise<void>((r) => {
      server.close(() => r());
      for (const socket of sockets) socket.destroy();
    });
  return { port, bytes: () => bytes, close };
}

/**
 * Writes `events` synthetic events by the data folder's own key into
 * `realm` (after `seed` blocks); returns the seconds it took, the realm's
 * block bytes and its first block (the genesis). Nothing else is kept: this
 * process measures stages afterwards, and a million events' blocks held
 * here would make its collector, not the stages, the figure.
 */
async function populate(
  dir: string,
  realm: RealmId,
  events: number,
  blockSize: number,
  seed: readonly SignedBlock[],
  tag: number,
) {
  const store = await LevelStore.open(join(dir, 'store'));
  try {
    const ledger = await Ledger.open(store);
    if (seed.length > 0) await ledger.ingest(seed);
    const t = performance.now();
    await writeSynthetic(ledger, await loadIdentity(join(dir, 'identity.key')), realm, events, {
      blockSize,
      tag,
    });
    const seconds = since(t);
    let bytes = 0;
    let first: SignedBlock | undefined;
    for await (const b of store.blocks({ realm })) {
      first ??= b;
      bytes += b.bytes.byteLength;
    }
    if (first === undefined) throw new Error(`no block written in ${dir}`);
    return { seconds, bytes, first };
  } finally {
    await store.close();
  }
}

/** CPU milliseconds `fn` takes (user + system, this process; nothing else runs meanwhile). */
async function cpuMs<T>(fn: () => T | Promise<T>): Promise<[T, number]> {
  const cpu = cpuClock();
  const result = await fn();
  return [result, cpu()];
}

/**
 * Where the CPU time of moving one block goes, stage by stage, measured in
 * this process on the catch-up realm's first blocks, a document (8 blocks)
 * at a time as a session does: what the sending node spends (read the
 * blocks' bytes from its level store, Automerge changes and document, the
 * sync message carrying the whole document to an empty peer), what the
 * receiving node spends (apply the message, read the blocks' headers,
 * `ledger.ingest` of their bytes into a fresh level store in calls of 16
 * blocks: decoding and every check), and for scale the node's
 * projection fold of the same events (its status hash), caught up after
 * each ingest call as a node's status catches up between two writes of its
 * status file. Milliseconds per block. `ledger.ingest` alone in events/s is the ceiling of catch-up.
 *
 * The first document goes once through Automerge untimed before: that
 * compiles and warms Automerge's WebAssembly, which a node does once and
 * which would otherwise land on whichever stage calls into it first.
 */
async function stageBudget(storeDir: string, realm: RealmId, ledgerDir: string) {
  const ms: Record<string, number> = {};
  const add = (k: string, v: number) => (ms[k] = (ms[k] ?? 0) + v);
  const source = await LevelStore.open(storeDir);
  const author = await firstAuthor(source, realm);
  const [, emptyPeer] = Automerge.generateSyncMessage(Automerge.init(), Automerge.initSyncState());
  const messages: Automerge.SyncMessage[] = [];
  let blocks = 0;
  try {
    await warmAutomerge(source, realm, author, emptyPeer!);
    for (let first = 0; first < STAGE_BLOCKS; first += BLOCKS_PER_DOC) {
      const [bucket, read] = await cpuMs(() => bucketOf(source, realm, author, first));
      if (bucket.length === 0) break;
      blocks += bucket.length;
      add('send: read blocks from the store (bytes)', read);
      const [changes, change] = await cpuMs(() => bucket.map((b) => blockChange(b)));
      add('send: Automerge changes', change);
      const [built, apply] = await cpuMs(() => sessionDocOf(changes));
      add('send: Automerge document', apply);
      const [doc, sync] = Automerge.receiveSyncMessage(
        built,
        Automerge.initSyncState(),
        emptyPeer!,
      );
      const [[, message], generate] = await cpuMs(() => Automerge.generateSyncMessage(doc, sync));
      add('send: sync message (whole document)', generate);
      messages.push(message!);
      Automerge.free(doc);
    }
  } finally {
    await source.close();
  }
  const store = await LevelStore.open(ledgerDir);
  let events = 0;
  try {
    const ledger = await Ledger.open(store);
    let waiting: Uint8Array[] = [];
    const live = LiveProjection.empty(new Set([realm]));
    const ingest = async () => {
      const [report, t] = await cpuMs(() => ledger.ingest(waiting, { realm }));
      add('receive: ledger.ingest', t);
      events += report.accepted.reduce((n, b) => n + b.header.count, 0);
      waiting = [];
      // As a node's status does: fold what arrived since the last call.
      add('for scale: projection fold (node status)', (await cpuMs(() => live.catchUp(store)))[1]);
    };
    for (const message of messages) {
      const [patches, receive] = await cpuMs(() => {
        let out: Automerge.Patch[] = [];
        const [doc] = Automerge.receiveSyncMessage(
          Automerge.init<Record<string, Uint8Array>>(),
          Automerge.initSyncState(),
          message,
          { patchCallback: (made) => (out = made) },
        );
        Automerge.free(doc);
        return out;
      });
      add('receive: Automerge message (and its patches)', receive);
      const [decoded, decode] = await cpuMs(() =>
        patches.map((p) => {
          const bytes = (p as { value: Uint8Array }).value;
          peekBlock(bytes);
          return bytes;
        }),
      );
      add('receive: read block headers', decode);
      waiting.push(...decoded);
      if (waiting.length >= 16) await ingest();
    }
    if (waiting.length > 0) await ingest();
  } finally {
    await store.close();
  }
  const perBlock = Object.entries(ms).map(([stage, v]) => ({ stage, ms: v / blocks }));
  return { perBlock, ingestEventsPerSecond: events / (ms['receive: ledger.ingest']! / 1000) };
}

/** The blocks of `author`'s chain that one document holds, from seq `first`, as the store keeps them. */
async function bucketOf(source: LevelStore, realm: RealmId, author: PublicKey, first: number) {
  const out: ChainBlockBytes[] = [];
  for await (const b of storedChainBytes(source, realm, author, first)) {
    if (b.seq >= first + BLOCKS_PER_DOC) break;
    out.push(b);
  }
  return out;
}

/** The first document of `author`'s chain sent to an empty peer and received, untimed (see `stageBudget`). */
async function warmAutomerge(
  source: LevelStore,
  realm: RealmId,
  author: PublicKey,
  emptyPeer: Automerge.SyncMessage,
) {
  const bucket = await bucketOf(source, realm, author, 0);
  const [doc, sync] = Automerge.receiveSyncMessage(
    sessionDocOf(bucket.map((b) => blockChange(b))),
    Automerge.initSyncState(),
    emptyPeer,
  );
  const [, message] = Automerge.generateSyncMessage(doc, sync);
  Automerge.free(doc);
  const [received] = Automerge.receiveSyncMessage(
    Automerge.init(),
    Automerge.initSyncState(),
    message!,
  );
  Automerge.free(received);
}

/** Blocks the stage budget measures (12 documents). */
const STAGE_BLOCKS = 12 * BLOCKS_PER_DOC;

async function firstAuthor(store: LevelStore, realm: RealmId) {
  for await (const h of store.heads(realm)) return h.author;
  throw new Error('the realm has no chain');
}

/**
 * `npm run bench -- replication [--events N] [--catchup N] [--block-size B] [--check-workers N] [--profile DIR]`:
 * two node processes over loopback TCP, each holding N events the other
 * lacks (time to converge; bytes on the wire against raw block bytes), then
 * a fresh node catching up a realm of `--catchup` events, then another from
 * the same server (which serves what it cached for the first). With `--profile`,
 * each node process writes a CPU profile and its verbose session log under DIR.
 */
export async function run(args: string[]): Promise<void> {
  const events = Number(flag(args, 'events', '100000'));
  const catchup = Number(flag(args, 'catchup', '1000000'));
  const blockSize = Number(flag(args, 'block-size', '1000'));
  // `--check-workers N`: every node process checks received blocks on N worker threads.
  const checkWorkers = flag(args, 'check-workers', '');
  // `--profile DIR`: CPU profiles and verbose session logs of every node process, under DIR/<node>.
  const profile = flag(args, 'profile', '');
  if (profile !== '') await mkdir(profile, { recursive: true });
  const tmp = await mkdtemp(join(tmpdir(), 'evoledger-bench-repl-'));
  const procs: NodeProcess[] = [];
  const start = async (dir: string, extra: string[]) => {
    const out = resolve(profile, basename(dir));
    const p = await startNodeProcess({
      bin,
      dir,
      args: [
        '--status-interval',
        '50',
        ...(profile === '' ? [] : ['--verbose']),
        ...(checkWorkers === '' ? [] : ['--check-workers', checkWorkers]),
        ...extra,
      ],
      timeoutMs: 60_000,
      ...(profile === '' ? {} : { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${out}`] }),
    });
    procs.push(p);
    return p;
  };
  const stop = async (nodes: NodeProcess[]) => {
    await Promise.all(nodes.map((n) => n.stop()));
    if (profile === '') return;
    for (const n of nodes) await writeFile(`${resolve(profile, basename(n.dir))}.log`, n.stderr());
  };
  try {
    // 1. Two nodes, N events each that the other lacks.
    note(`writing ${events} events on each of two nodes`);
    const [dA, dB] = [join(tmp, 'a'), join(tmp, 'b')];
    const realm = (await cli(['realm', 'create', 'bench', '--dir', dA])).realm as RealmId;
    await cli(['realm', 'create', 'scratch', '--dir', dB]);
    const a = await populate(dA, realm, events, blockSize, [], 1);
    const b = await populate(dB, realm, events, blockSize, [a.first], 2);
    const raw = a.bytes + b.bytes - 2 * a.first.bytes.byteLength;
    const portA = await freePort();
    const proxy = await countingProxy(portA);
    note('two nodes converging');
    const [na, nb] = await Promise.all([
      start(dA, ['--realm', realm, '--listen', loopback(portA)]),
      start(dB, ['--realm', realm, '--bootstrap', loopback(proxy.port)]),
    ]);
    const t0 = performance.now();
    const sched0 = await Promise.all([na, nb].map(schedOf));
    const total = 2 * events + 1;
    await waitFor(
      async () =>
        realmEvents(await na.status(), realm) === total &&
        realmEvents(await nb.status(), realm) === total,
      600_000,
      () => 'two-node convergence',
      20,
    );
    const converge = since(t0);
    const convergeSched = schedSince(sched0, await Promise.all([na, nb].map(schedOf)), converge);
    const convergeCpu = convergeSched.map((x) => x.cpu);
    const wire = proxy.bytes();
    // A node recomputes its projection hash once its log stood still for a status interval.
    const settled = (s: NodeStatus | undefined) =>
      s !== undefined && s.projectionBlocks === s.blocks;
    await waitFor(
      async () => settled(await na.status()) && settled(await nb.status()),
      60_000,
      () => 'projection hashes after converging',
      20,
    );
    const [sa, sb] = [(await na.status())!, (await nb.status())!];
    const same = sa.projectionHash === sb.projectionHash;
    note('stopping the two nodes');
    await stop([na, nb]);
    await proxy.close();

    // 2. A fresh node catching up a realm of `catchup` events.
    const [dP, dC] = [join(tmp, 'p'), join(tmp, 'c')];
    const realm2 = (await cli(['realm', 'create', 'catchup', '--dir', dP])).realm as RealmId;
    note(`writing ${catchup} events to catch up`);
    const p = await populate(dP, realm2, catchup, blockSize, [], 3);
    note('measuring CPU per stage');
    const stages = await stageBudget(join(dP, 'store'), realm2, join(tmp, 'stages'));
    const portP = await freePort();
    note('a fresh node catching up');
    const [np, nc] = await Promise.all([
      start(dP, ['--realm', realm2, '--listen', loopback(portP)]),
      start(dC, ['--realm', realm2, '--bootstrap', loopback(portP)]),
    ]);
    // Until the joiner holds the realm: seconds, and each process's CPU meanwhile.
    const caughtUp = async (joiner: NodeProcess) => {
      const t = performance.now();
      const before = await Promise.all([np, joiner].map(schedOf));
      await waitFor(
        async () => realmEvents(await joiner.status(), realm2) === catchup + 1,
        1_800_000,
        () => 'catch-up',
        20,
      );
      const seconds = since(t);
      const sched = schedSince(before, await Promise.all([np, joiner].map(schedOf)), seconds);
      return { seconds, sched };
    };
    const { seconds: catchupSeconds, sched: catchupSched } = await caughtUp(nc);
    const catchupCpu = catchupSched.map((x) => x.cpu);
    await stop([nc]);
    // 3. Another fresh node, from the same server: its documents' first messages are cached.
    note('another fresh node catching up from the same server');
    const nc2 = await start(join(tmp, 'c2'), ['--realm', realm2, '--bootstrap', loopback(portP)]);
    const again = await caughtUp(nc2);
    await stop([np, nc2]);

    const rows = [
      { figure: 'two nodes: events each side lacks', value: events, goal: '' },
      { figure: 'two nodes: time to converge (s)', value: converge, goal: '≤ 3' },
      ...processRows('two nodes', 'each node', convergeSched),
      { figure: 'two nodes: bytes on the wire (TCP)', value: wire, goal: '' },
      { figure: 'two nodes: raw block bytes exchanged', value: raw, goal: '' },
      { figure: 'two nodes: wire / raw', value: wire / raw, goal: '≤ 1.2' },
      { figure: 'two nodes: identical projection hash', value: same ? 'yes' : 'NO', goal: 'yes' },
      { figure: 'catch-up: events', value: catchup, goal: '' },
      { figure: 'catch-up: time (s)', value: catchupSeconds, goal: '' },
      ...processRows('catch-up', 'server + joiner', catchupSched),
      {
        figure: 'catch-up: events/s',
        value: Math.round(catchup / catchupSeconds),
        goal: `≥ ${CATCHUP_GOAL.toLocaleString('en-US')}`,
      },
      {
        figure: 'catch-up again, server cached: events/s',
        value: Math.round(catchup / again.seconds),
        goal: '',
      },
      {
        figure: 'catch-up again: CPU s of all threads, server + joiner',
        value: both(again.sched.map((x) => x.all)),
        goal: '',
      },
      {
        figure: 'for scale: ledger.ingest alone, events/s (CPU)',
        value: Math.round(stages.ingestEventsPerSecond),
        goal: '',
      },
      {
        figure: 'setup: local write events/s (ledger)',
        value: Math.round((events + catchup) / (a.seconds + p.seconds)),
        goal: '',
      },
    ];
    printTable(`replication over loopback TCP (block size ${blockSize} events)`, rows);
    // One event's way from a serving node's store into a joining node's
    // projection, every stage once, against what 100k events/s leaves per
    // event on this machine's cores (both nodes share them).
    const stageMicros = (stages.perBlock.reduce((n, r) => n + r.ms, 0) * 1000) / blockSize;
    const budgetMicros = (machine().cores * 1e6) / CATCHUP_GOAL;
    printTable('CPU per block by stage, in process (ms)', [
      ...stages.perBlock.map((r) => ({ stage: r.stage, 'ms/block': r.ms })),
      { stage: 'all stages, µs per event', 'ms/block': stageMicros },
      {
        stage: `CPU per event at ${CATCHUP_GOAL.toLocaleString('en-US')} events/s on ${machine().cores} cores, µs`,
        'ms/block': budgetMicros,
      },
    ]);
    printJson('replication', {
      events,
      blockSize,
      checkWorkers: checkWorkers === '' ? 0 : Number(checkWorkers),
      convergeSeconds: converge,
      convergeCpuSeconds: convergeCpu,
      convergeAllThreadsCpuSeconds: convergeSched.map((x) => x.all),
      convergeIdleSeconds: convergeSched.map((x) => x.idle),
      convergeKernelCpuSeconds: convergeSched.map((x) => x.sys),
      convergeMinorFaults: convergeSched.map((x) => x.faults),
      wireBytes: wire,
      rawBytes: raw,
      wireOverRaw: wire / raw,
      identicalProjection: same,
      catchupEvents: catchup,
      catchupSeconds,
      catchupCpuSeconds: catchupCpu,
      catchupAllThreadsCpuSeconds: catchupSched.map((x) => x.all),
      catchupKernelCpuSeconds: catchupSched.map((x) => x.sys),
      catchupMinorFaults: catchupSched.map((x) => x.faults),
      catchupIdleSeconds: catchupSched.map((x) => x.idle),
      catchupEventsPerSecond: catchup / catchupSeconds,
      catchupAgainEventsPerSecond: catchup / again.seconds,
      catchupAgainAllThreadsCpuSeconds: again.sched.map((x) => x.all),
      ledgerIngestEventsPerSecond: stages.ingestEventsPerSecond,
      cpuMsPerBlock: Object.fromEntries(stages.perBlock.map((r) => [r.stage, r.ms])),
      stagesMicrosPerEvent: stageMicros,
      catchupBudgetMicrosPerEvent: budgetMicros,
    });
  } finally {
    await Promise.all(procs.map((x) => x.kill()));
    await rm(tmp, { recursive: true, force: true });
  }
}
