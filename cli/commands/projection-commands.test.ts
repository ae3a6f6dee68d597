import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { evolve, getTask } from '../../evolution/index.js';
import { exportLog } from '../../ledger/index.js';
import type { AppliedOp } from '../../ledger/index.js';
import {
  authorWriter,
  chainRun,
  recordingSink,
  syntheticLedger,
} from '../../property-tests/projections-synthetic.js';
import { initialise } from '../context.js';
import { main } from '../main.js';

/** Runs the CLI in-process and captures stdout. */
async function cli(
  args: string[],
): Promise<{ code: number; stdout: string; json: () => Record<string, unknown> }> {
  const chunks: string[] = [];
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString());
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const code = await main(args);
    const stdout = chunks.join('');
    return {
      code,
      stdout,
      json: () => JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>,
    };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('projection commands', () => {
  let dir: string;
  let data: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evoledger-projections-'));
    data = join(dir, 'data');
    const ctx = await initialise(data);
    const writer = await ctx.ledger.writer(ctx.identity, ctx.config.realm);
    for await (const _ of evolve({
      task: getTask('xor'),
      seed: 3,
      sink: writer,
    })) {
      // to the end
    }
    await writer.flush();
    await ctx.close();
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('runs, champion and population report the run as one JSON line each', async () => {
    const runs = await cli(['runs', '--dir', data, '--json']);
    expect(runs.code).toBe(0);
    const list = runs.json().runs as {
      task: string;
      generations: number;
      best: { solved: boolean };
    }[];
    expect(list).toHaveLength(1);
    expect(list[0]!.task).toBe('xor@1');

    const champion = await cli(['champion', '--dir', data, '--task', 'xor', '--json']);
    expect(champion.code).toBe(0);
    const c = (champion.json().champions as { genotype: string; solved: boolean }[])[0]!;
    expect(c.solved).toBe(true);

    const pop = await cli(['population', '--dir', data, '--generation', '0', '--json']);
    expect(pop.code).toBe(0);
    expect(pop.json()).toMatchObject({ ok: true, generation: 0, kept: true });

    const missing = await cli(['population', '--dir', data, '--generation', '999', '--json']);
    expect(missing.code).toBe(1);
    expect(missing.json()).toMatchObject({ ok: false, code: 'UNKNOWN_GENERATION' });

    const text = await cli(['runs', '--dir', data]);
    expect(text.stdout).toContain('xor@1');
  });

  it('lineage of the champion: text, dot, json; descendants of its seed', async () => {
    const champion = (await cli(['champion', '--dir', data, '--json'])).json().champions as {
      genotype: string;
    }[];
    const genotype = champion[0]!.genotype;
    const json = await cli(['lineage', genotype.slice(0, 12), '--dir', data, '--json']);
    expect(json.code).toBe(0);
    const l = json.json() as { intact: boolean; seeds: string[]; steps: unknown[] };
    expect(l.intact).toBe(true);
    expect(l.seeds.length).toBeGreaterThan(0);
    const dot = await cli(['lineage', genotype, '--dir', data, '--format', 'dot']);
    expect(dot.stdout.startsWith('digraph lineage {')).toBe(true);
    const text = await cli(['lineage', genotype, '--dir', data, '--depth', '1']);
    expect(text.stdout).toContain('#0 ');
    const d = await cli(['descendants', l.seeds[0]!, '--dir', data, '--json']);
    expect(d.code).toBe(0);
    expect((d.json().descendants as unknown[]).length).toBeGreaterThan(0);
    const bad = await cli(['lineage', 'zz', '--dir', data, '--json']);
    expect(bad.code).toBe(2);
  });

  it('replay succeeds on the data folder and on an exported log, and fails with the divergence otherwise', async () => {
    const ok = await cli(['replay', '--dir', data, '--re-evaluate', '--json']);
    expect(ok.code).toBe(0);
    expect(ok.json()).toMatchObject({ ok: true, first: null });

    // A log of another engine's runs: skipped and counted, not a divergence.
    const foreign = await syntheticLedger('foreign');
    const fw = await authorWriter(foreign.ledger, foreign.realm, 'foreign');
    chainRun(fw, { seed: 1, generations: 3 });
    await fw.flush();
    const foreignFile = join(dir, 'foreign.log');
    await exportLog(foreign.store, foreignFile);
    const skipped = await cli(['replay', '--from', foreignFile, '--json']);
    expect(skipped.code).toBe(0);
    expect(skipped.json()).toMatchObject({ ok: true, foreignEngines: ['synthetic/1'] });

    // A recorded XOR run in which one operator parameter was changed (and re-signed): exit 1, at that event.
    const tampered = await syntheticLedger('tampered');
    const tw = await authorWriter(tampered.ledger, tampered.realm, 'tamperer', 500);
    let target = -1;
    const sink = recordingSink(tw, (draft, index) => {
      if (target >= 0 || draft.kind !== 'mutation' || index < 40) return draft;
      const at = draft.body.ops[0]!.findIndex((p, j) => j > 0 && typeof p === 'number');
      if (at < 0) return draft;
      target = index;
      const op = [...draft.body.ops[0]!] as (string | number)[];
      op[at] = (op[at] as number) + 1;
      return {
        ...draft,
        body: { ...draft.body, ops: [op as unknown as AppliedOp, ...draft.body.ops.slice(1)] },
      };
    });
    for await (const _ of evolve({
      task: getTask('xor'),
      seed: 3,
      sink: sink,
    })) {
      // to the end
    }
    await tw.flush();
    expect(target).toBeGreaterThan(0);
    const file = join(dir, 'tampered.log');
    await exportLog(tampered.store, file);
    const diverged = await cli(['replay', '--from', file, '--json']);
    expect(diverged.code).toBe(1);
    const report = diverged.json() as { ok: boolean; first: { kind: string; event: string } };
    expect(report.ok).toBe(false);
    expect(report.first).toMatchObject({ kind: 'mutation', event: sink.ids[target] });
  });
});
