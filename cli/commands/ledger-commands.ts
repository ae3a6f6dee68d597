import type { Command } from 'commander';
import { shortId } from '../../crypto/index.js';
import type { BlockId, EventId } from '../../crypto/index.js';
import {
  exportLog,
  importLog,
  inclusionProof,
  verifyInclusion,
  verifyStore,
} from '../../ledger/index.js';
import { action } from '../command.js';
import type { CommonOptions } from '../command.js';
import { initialise, openContext } from '../context.js';
import { CliError } from '../errors.js';
import { toJson } from '../output.js';
import { summariseEvent } from '../summarise.js';

/** Registers init, log, verify, export, import and show. */
export function registerLedgerCommands(program: Command): void {
  action(
    program
      .command('init')
      .description('create a data folder: a level store, an identity key and a local realm')
      .option('--realm-name <name>', 'name of the realm to create', 'local')
      .option('--closed', 'members only'),
    async (out, opts: CommonOptions & { realmName: string; closed?: boolean }) => {
      const ctx = await initialise(opts.dir, {
        realmName: opts.realmName,
        closed: opts.closed === true,
      });
      try {
        out.line(`initialised ${ctx.dir}`);
        out.line(`identity  ${ctx.identity.publicKey}`);
        out.line(
          `realm     ${ctx.config.realm} ("${opts.realmName}", ${opts.closed ? 'closed' : 'open'})`,
        );
        out.result({
          ok: true,
          dir: ctx.dir,
          publicKey: ctx.identity.publicKey,
          realm: ctx.config.realm,
        });
      } finally {
        await ctx.close();
      }
    },
  );

  action(
    program
      .command('log')
      .description('list events in log order')
      .option('--kind <kind>', 'only events of this kind')
      .option('--limit <n>', 'at most this many events', (v) => Number.parseInt(v, 10)),
    async (out, opts: CommonOptions & { kind?: string; limit?: number }) => {
      const ctx = await openContext(opts.dir);
      try {
        let n = 0;
        for await (const e of ctx.ledger.store.events(opts.kind ? { kind: opts.kind } : {})) {
          if (opts.limit !== undefined && n >= opts.limit) break;
          n++;
          if (out.json)
            process.stdout.write(
              toJson({
                id: e.id,
                kind: e.kind,
                author: e.author,
                seq: e.seq,
                deps: e.deps,
                body: e.body,
              }) + '\n',
            );
          else
            out.line(
              `${String(e.position).padStart(6)}  ${shortId(e.id)}  ${e.kind.padEnd(10)}  ${shortId(e.author)}#${e.seq}  ${summariseEvent(e)}`,
            );
        }
        out.result({ ok: true, events: n });
      } finally {
        await ctx.close();
      }
    },
  );

  action(
    program
      .command('verify')
      .description('re-check every block, chain, event and dependency in the store'),
    async (out, opts: CommonOptions) => {
      const ctx = await openContext(opts.dir);
      try {
        const started = performance.now();
        let last = {
          blocks: 0,
          events: 0,
          problems: [] as readonly { block: BlockId; code: string; message: string }[],
        };
        for await (const p of verifyStore(ctx.ledger.store, { every: 1000 })) last = p;
        const seconds = (performance.now() - started) / 1000;
        for (const p of last.problems) out.warn(`${p.code} block ${p.block}: ${p.message}`);
        const ok = last.problems.length === 0;
        out.line(
          `${ok ? 'ok' : 'FAILED'}: ${last.blocks} blocks, ${last.events} events verified in ${seconds.toFixed(2)} s` +
            (ok ? '' : `, ${last.problems.length} problem(s)`),
        );
        out.result({
          ok,
          blocks: last.blocks,
          events: last.events,
          problems: last.problems,
          seconds,
        });
        return ok ? 0 : 1;
      } finally {
        await ctx.close();
      }
    },
  );

  action(
    program
      .command('export')
      .argument('<file>', 'log file to write')
      .description('write every block to a portable log file'),
    async (out, opts: CommonOptions, file: string) => {
      const ctx = await openContext(opts.dir);
      try {
        const blocks = await exportLog(ctx.ledger.store, file);
        const counts = await ctx.ledger.store.counts();
        out.line(`exported ${blocks} blocks (${counts.events} events) to ${file}`);
        out.result({ ok: true, file, blocks, events: counts.events });
      } finally {
        await ctx.close();
      }
    },
  );

  action(
    program
      .command('import')
      .argument('<file>', 'log file to read')
      .description('verify and import a log file; valid blocks are kept, bad ones reported'),
    async (out, opts: CommonOptions, file: string) => {
      const ctx = await openContext(opts.dir, { autoInit: true });
      try {
        const report = await importLog(ctx.ledger, file);
        for (const r of report.rejected) {
          out.warn(`rejected ${r.code}${r.block ? ` block ${r.block}` : ''}: ${r.message}`);
        }
        out.line(
          `imported ${report.accepted} blocks (${report.events} events), ` +
            `${report.duplicates} already held, ${report.rejected.length} rejected`,
        );
        out.result({ ok: report.rejected.length === 0, ...report });
        return report.rejected.length === 0 ? 0 : 1;
      } finally {
        await ctx.close();
      }
    },
  );

  action(
    program
      .command('show')
      .argument('<id>', 'event or block id (hex)')
      .description('show one event with the proof that it is in a signed block, or one block'),
    async (out, opts: CommonOptions, id: string) => {
      const ctx = await openContext(opts.dir);
      try {
        const store = ctx.ledger.store;
        const event = /^[0-9a-f]{64}$/.test(id) ? await store.getEvent(id as EventId) : undefined;
        if (event !== undefined) {
          const block = await store.getBlock(event.block);
          if (block === undefined)
            throw new CliError('NOT_FOUND', `block ${event.block} of event ${id} is missing`);
          verifyInclusion(inclusionProof(block, event.index));
          out.line(`event    ${event.id}`);
          out.line(`kind     ${event.kind} (v${event.v})`);
          out.line(`author   ${event.author} #${event.seq}`);
          out.line(`realm    ${event.realm}`);
          out.line(
            `block    ${event.block} [${event.index}] (signature and inclusion proof verified)`,
          );
          out.line(`deps     ${event.deps.length === 0 ? '-' : event.deps.join('\n         ')}`);
          out.line(`summary  ${summariseEvent(event)}`);
          out.line(`body     ${toJson(event.body)}`);
          out.result({ ok: true, type: 'event', verified: true, event: { ...event } });
          return;
        }
        const block = /^[0-9a-f]{64}$/.test(id) ? await store.getBlock(id as BlockId) : undefined;
        if (block === undefined)
          throw new CliError(
            'NOT_FOUND',
            `no event or block ${id} in ${ctx.dir}; "evoledger log" lists ids`,
          );
        const h = block.header;
        out.line(`block    ${block.id}`);
        out.line(
          `author   ${h.author} block #${h.seq}, events ${h.first}..${h.first + h.count - 1}`,
        );
        out.line(`realm    ${h.realm}`);
        out.line(`prev     ${h.prev ?? '-'}`);
        out.result({
          ok: true,
          type: 'block',
          block: { id: block.id, header: h, events: block.eventIds },
        });
      } finally {
        await ctx.close();
      }
    },
  );
}
