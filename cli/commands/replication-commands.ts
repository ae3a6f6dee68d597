import { readFile, rm } from 'node:fs/promises';
import type { Command } from 'commander';
import { isIdHex } from '../../crypto/index.js';
import type { EventId, PublicKey, RealmId } from '../../crypto/index.js';
import { createRealm, isKind } from '../../ledger/index.js';
import {
  createNode,
  processAlive,
  readStatusFile,
  ReplicationError,
  writeStatusFile,
  writeSynthetic,
} from '../../replication/index.js';
import type { NodeStatus, StatusProjection } from '../../replication/index.js';
import { action, intOption } from '../command.js';
import type { CommonOptions } from '../command.js';
import { openContext, paths } from '../context.js';
import type { Context } from '../context.js';
import { CliError } from '../errors.js';
import { runEvolution } from '../evolve-run.js';

/** What a node's `--evolve` runs: evolution in `ctx` (whose realm is the node's), until `signal`. */
export type NodeEvolve = (
  ctx: Context,
  task: string,
  signal: AbortSignal,
  runs?: number,
) => Promise<void>;

/** Seams the CLI injects into the replication commands. */
export interface ReplicationCommandOptions {
  /** Evolution for `node --evolve TASK`; default: back-to-back runs of the engine (seeds 1, 2, …). */
  readonly evolve?: NodeEvolve;
  /** The projection whose hash the status reports; default: a digest of the event ids held. */
  readonly projection?: (ctx: Context, realms: readonly RealmId[]) => StatusProjection;
}

interface NodeOptions extends CommonOptions {
  listen?: string[];
  bootstrap?: string[];
  realm?: string[];
  config?: string;
  denyFile?: string;
  evolve?: string;
  synthetic?: string;
  syntheticEvents?: string;
  evolveRuns?: string;
  statusInterval: string;
  syncInterval?: string;
  discoveryInterval?: string;
  verbose?: boolean;
  checkWorkers?: string;
}

/** The optional node config file (`--config`): the same settings as the flags. */
interface NodeConfigFile {
  listen?: string[];
  bootstrap?: string[];
  realms?: string[];
  denyFile?: string;
}

const defaultEvolve: NodeEvolve = async (ctx, task, signal, runs = Infinity) => {
  for (let seed = 1; seed <= runs && !signal.aborted; seed++) {
    await runEvolution(ctx, { task, seed, workers: 0, signal });
  }
};

function realmArg(value: string): RealmId {
  if (!isIdHex(value))
    throw new CliError('USAGE', `not a realm id (64 hex digits): ${String(value)}`);
  return value as RealmId;
}

async function readConfigFile(path: string | undefined): Promise<NodeConfigFile> {
  if (path === undefined) return {};
  try {
    return JSON.parse(await readFile(path, 'utf8')) as NodeConfigFile;
  } catch (err) {
    throw new ReplicationError(
      'BAD_CONFIG',
      `cannot read node config ${path}: ${(err as Error).message}`,
    );
  }
}

/** A load generator: `rate` synthetic events a second (at most `total`), sealed in blocks every 100 ms. */
async function startSynthetic(
  ctx: Context,
  realm: RealmId,
  rate: number,
  total: number,
  signal: AbortSignal,
): Promise<void> {
  const tag = Number.parseInt(ctx.identity.publicKey.slice(0, 8), 16);
  let i = (await ctx.ledger.store.head(realm, ctx.identity.publicKey))?.nextEvent ?? 0;
  for (let written = 0; written < total && !signal.aborted;) {
    const n = Math.min(total - written, Math.max(1, Math.round(rate / 10)));
    await writeSynthetic(ctx.ledger, ctx.identity, realm, n, { blockSize: 1000, tag, from: i });
    i += n;
    written += n;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function printStatus(out: { line(t?: string): void }, s: NodeStatus): void {
  out.line(`node ${s.peerId} (pid ${s.pid})`);
  for (const a of s.addrs) out.line(`  listening   ${a}`);
  out.line(`  peers       ${s.peers.length}${s.peers.length ? ': ' + s.peers.join(', ') : ''}`);
  out.line(`  blocks      ${s.blocks} (${s.events} events), ${s.heads.length} chain heads`);
  out.line(
    `  rejected    ${
      Object.entries(s.rejected)
        .map(([c, n]) => `${c} ${n}`)
        .join(', ') || 'none'
    }`,
  );
  out.line(`  evidence    ${s.evidence.length} fork(s)`);
  const behind =
    s.projectionBlocks < s.blocks ? ` (of the first ${s.projectionBlocks} blocks)` : '';
  out.line(`  projection  ${s.projectionHash}${behind}`);
  out.line(
    `  sync        ${s.sync.sessions} sessions, ${s.sync.blocksAccepted} blocks in, ${s.sync.bytesSent} B sent, ${s.sync.bytesReceived} B received`,
  );
}

/** Registers `node`, `status`, `realm create` and `member add|remove`, with injected seams. */
export function replicationCommands(
  options: ReplicationCommandOptions = {},
): (program: Command) => void {
  return (program) => {
    action(
      program
        .command('node')
        .description(
          'run a replication node: find peers of the realm, exchange signed blocks, stay in sync',
        )
        .option('--listen <multiaddr...>', 'listen addresses (default /ip4/127.0.0.1/tcp/0)')
        .option(
          '--bootstrap <multiaddr...>',
          'peers to dial and keep dialling (/p2p/<peer id> optional)',
        )
        .option('--realm <id...>', "realms to replicate (default: the data folder's realm)")
        .option('--config <file>', 'JSON file with listen, bootstrap, realms, denyFile')
        .option(
          '--deny-file <file>',
          'file of peer ids to refuse (watched; live connections are closed)',
        )
        .option(
          '--evolve <task>',
          'evolve on this task while running, writing into the first realm',
        )
        .option(
          '--synthetic <eventsPerSecond>',
          'write synthetic evaluation events (load for tests and benchmarks)',
        )
        .option('--synthetic-events <n>', 'stop the synthetic writer after this many events')
        .option('--evolve-runs <n>', 'stop evolving after this many runs (default: until stopped)')
        .option('--sync-interval <ms>', 'anti-entropy period')
        .option('--discovery-interval <ms>', 'DHT provide / find-providers period')
        .option('--verbose', 'log every sync session on stderr')
        .option(
          '--check-workers <n>',
          "threads that check received blocks' signatures, roots and schemas (0: this thread)",
          '0',
        )
        .option('--status-interval <ms>', 'how often the status file is written', '500'),
      async (out, opts: NodeOptions) => {
        const file = await readConfigFile(opts.config);
        const workers = intOption('check-workers', opts.checkWorkers, 0) ?? 0;
        const ctx = await openContext(opts.dir, { autoInit: true, workers });
        const realms = (opts.realm ?? file.realms ?? [ctx.config.realm]).map(realmArg);
        const realm = realms[0]!;
        const synthetic = intOption('synthetic', opts.synthetic, 0);
        if (synthetic !== undefined && opts.evolve !== undefined) {
          throw new CliError(
            'USAGE',
            '--synthetic and --evolve both write as this node: choose one',
          );
        }
        const statusInterval = intOption('status-interval', opts.statusInterval, 0) ?? 500;
        const syncInterval = intOption('sync-interval', opts.syncInterval, 0);
        const discoveryInterval = intOption('discovery-interval', opts.discoveryInterval, 0);
        const projection = options.projection;
        const denyFile = opts.denyFile ?? file.denyFile;
        const node = createNode(
          { identity: ctx.identity, ledger: ctx.ledger },
          {
            realms,
            listen: opts.listen ?? file.listen ?? ['/ip4/127.0.0.1/tcp/0'],
            bootstrap: opts.bootstrap ?? file.bootstrap ?? [],
            ...(denyFile !== undefined ? { denyFile } : {}),
            ...(syncInterval !== undefined ? { syncIntervalMs: syncInterval } : {}),
            ...(discoveryInterval !== undefined ? { discoveryIntervalMs: discoveryInterval } : {}),
            ...(projection !== undefined
              ? { projection: (realms: readonly RealmId[]) => projection(ctx, realms) }
              : {}),
          },
        );
        const controller = new AbortController();
        const stop = () => controller.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        const statusPath = paths(opts.dir).nodeStatus;
        const work: Promise<void>[] = [];
        let statusTimer: NodeJS.Timeout | undefined;
        let writing = Promise.resolve();
        try {
          await node.start();
          out.line(`peer id ${node.peerId}`);
          for (const a of node.addrs()) out.line(`listening on ${a}`);
          out.result({ peerId: node.peerId, addrs: node.addrs() });
          node.on('block:rejected', (e) => {
            out.warn(
              `rejected block ${e.detail.block ?? '?'} from ${e.detail.peer}: [${e.detail.code}] ${e.detail.message}`,
            );
          });
          if (opts.verbose) {
            node.on('session:end', (e) => {
              const d = e.detail;
              const error = d.error ? ` error [${d.error.code}] ${d.error.message}` : '';
              out.warn(
                `session ${d.role} ${d.peer}: ${d.docs} docs, +${d.accepted} blocks, ${d.rejected} rejected, ${d.bytesSent}/${d.bytesReceived} B${d.more ? ', more' : ''}${error}`,
              );
            });
          }
          // A fork becomes an `evidence` event signed by this node, through the
          // node's one writer of that realm (shared with --evolve), when it may write there.
          let recording = Promise.resolve();
          node.on('fork:evidence', (e) => {
            const d = e.detail;
            out.warn(`fork evidence: ${d.author} signed two blocks at seq ${d.seq}`);
            if (!ctx.ledger.realm(d.realm)?.mayWrite(ctx.identity.publicKey)) return;
            recording = recording
              .then(async () => {
                const writer = await ctx.ledger.writer(ctx.identity, d.realm);
                writer.emit({ kind: 'evidence', deps: [], body: d.body });
                await writer.flush();
              })
              .catch((err: unknown) =>
                out.warn(`evidence not recorded: ${(err as Error).message}`),
              );
          });
          const writeStatus = () => {
            writing = writing
              .then(async () => writeStatusFile(statusPath, await node.status()))
              .catch((err: unknown) => out.warn(`status: ${(err as Error).message}`));
          };
          writeStatus();
          statusTimer = setInterval(writeStatus, statusInterval);
          const nodeCtx: Context = { ...ctx, config: { ...ctx.config, realm } };
          if (synthetic !== undefined || opts.evolve !== undefined) {
            // Writing into a realm needs its genesis: a joining node waits until sync brought it.
            while (ctx.ledger.realm(realm) === undefined && !controller.signal.aborted) {
              await new Promise((r) => setTimeout(r, 100));
            }
          }
          if (synthetic !== undefined && synthetic > 0) {
            const total = intOption('synthetic-events', opts.syntheticEvents, 0) ?? Infinity;
            work.push(startSynthetic(ctx, realm, synthetic, total, controller.signal));
          }
          if (opts.evolve !== undefined) {
            work.push(
              (options.evolve ?? defaultEvolve)(
                nodeCtx,
                opts.evolve,
                controller.signal,
                intOption('evolve-runs', opts.evolveRuns, 0),
              ),
            );
          }
          // A writer that fails stops the node with its error; one that finishes leaves it running.
          const failed = Promise.all(work).then(() => new Promise<never>(() => undefined));
          const stopped = new Promise<void>((resolve) =>
            controller.signal.addEventListener('abort', () => resolve()),
          );
          await Promise.race([stopped, failed]);
          return 0;
        } finally {
          controller.abort();
          clearInterval(statusTimer);
          await writing;
          process.removeListener('SIGINT', stop);
          process.removeListener('SIGTERM', stop);
          await Promise.allSettled(work);
          await node.stop().catch(() => undefined);
          await rm(statusPath, { force: true });
          await ctx.close();
        }
      },
    );

    action(
      program.command('status').description('report on the node running on a data folder'),
      async (out, opts: CommonOptions) => {
        const s = await readStatusFile(paths(opts.dir).nodeStatus);
        if (s === undefined || !processAlive(s.pid)) {
          throw new CliError(
            'NODE_NOT_RUNNING',
            `no node is running on ${paths(opts.dir).root}: start one with "evoledger node --dir ${opts.dir}"`,
          );
        }
        printStatus(out, s);
        out.result({ ok: true, ...s });
      },
    );

    const realm = program
      .command('realm')
      .description('realms: namespaces with their own admins and members');
    action(
      realm
        .command('create')
        .argument('<name>', 'realm name')
        .description(
          "write a realm genesis signed by this node's key (its first admin) and print the realm id",
        )
        .option('--closed', 'accept blocks from members only')
        .option('--nonce <n>', 'distinguishes realms with the same name and admins', '0'),
      async (out, opts: CommonOptions & { closed?: boolean; nonce: string }, name: string) => {
        const ctx = await openContext(opts.dir, { autoInit: true });
        try {
          const created = createRealm(ctx.identity, {
            name,
            open: !opts.closed,
            nonce: intOption('nonce', opts.nonce, 0) ?? 0,
          });
          const report = await ctx.ledger.ingest([created.block], { trusted: true });
          const refused = report.rejected[0];
          if (refused !== undefined)
            throw new ReplicationError(
              'BAD_CONFIG',
              `genesis refused: [${refused.code}] ${refused.message}`,
            );
          out.line(created.realm);
          out.result({
            ok: true,
            realm: created.realm,
            name,
            open: !opts.closed,
            admins: created.genesis.admins,
          });
        } finally {
          await ctx.close();
        }
      },
    );

    const member = program
      .command('member')
      .description('admit or remove members of a realm (admins only)');
    for (const act of ['add', 'remove'] as const) {
      action(
        member
          .command(act)
          .argument('<pubkey>', "the member's public key (hex; a node's key is its identity)")
          .description(act === 'add' ? 'admit a key to the realm' : 'remove a key from the realm')
          .option('--admin', 'the role is admin (default: member)')
          .option('--realm <id>', "realm (default: the data folder's realm)"),
        async (out, opts: CommonOptions & { admin?: boolean; realm?: string }, pubkey: string) => {
          if (!isIdHex(pubkey))
            throw new CliError('USAGE', `not a public key (64 hex digits): ${String(pubkey)}`);
          const ctx = await openContext(opts.dir);
          try {
            const realmId = opts.realm === undefined ? ctx.config.realm : realmArg(opts.realm);
            const state = ctx.ledger.realm(realmId);
            if (state === undefined)
              throw new ReplicationError(
                'UNKNOWN_REALM',
                `realm ${realmId} is not held here: sync it first`,
              );
            if (!state.isAdmin(ctx.identity.publicKey)) {
              throw new ReplicationError(
                'NOT_AN_ADMIN',
                `${ctx.identity.publicKey} is not an admin of realm "${state.name}"`,
              );
            }
            // Re-admission names the removals it overrides (see RealmState).
            const deps: EventId[] = [];
            if (act === 'add') {
              for await (const e of ctx.ledger.store.events({
                realm: realmId,
                kind: 'membership',
              })) {
                if (
                  isKind(e, 'membership') &&
                  e.body.action === 'remove' &&
                  e.body.member === pubkey
                )
                  deps.push(e.id);
              }
            }
            const writer = await ctx.ledger.writer(ctx.identity, realmId);
            const id = writer.emit({
              kind: 'membership',
              deps,
              body: {
                action: act,
                member: pubkey as PublicKey,
                role: opts.admin ? 'admin' : 'member',
              },
            });
            await writer.flush();
            out.line(
              `${act === 'add' ? 'added' : 'removed'} ${pubkey} (${opts.admin ? 'admin' : 'member'}) in realm ${realmId}: event ${id}`,
            );
            out.result({
              ok: true,
              event: id,
              realm: realmId,
              action: act,
              member: pubkey,
              role: opts.admin ? 'admin' : 'member',
            });
          } finally {
            await ctx.close();
          }
        },
      );
    }
  };
}
