import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../test/cli.js';

describe('evoledger command line (built CLI, real level store)', () => {
  let dir: string;
  let data: string;
  let summary: {
    run: string;
    solved: boolean;
    evaluations: number;
    events: number;
    champion: { genotypeId: string };
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evoledger-cli-'));
    data = join(dir, 'data');
    const init = await runCli(['init', '--dir', data, '--json']);
    expect(init.code).toBe(0);
    const evolve = await runCli([
      'evolve',
      'xor',
      '--dir',
      data,
      '--seed',
      '5',
      '--workers',
      '0',
      '--json',
    ]);
    expect(evolve.code, evolve.stderr).toBe(0);
    summary = evolve.json();
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('init refuses to overwrite a data folder', async () => {
    const again = await runCli(['init', '--dir', data, '--json']);
    expect(again.code).not.toBe(0);
    expect(again.json()).toMatchObject({ ok: false, code: 'ALREADY_INITIALISED' });
  });

  it('evolve records a solving run and reports it as one JSON line', () => {
    expect(summary).toMatchObject({ task: 'xor', seed: 5, solved: true });
    expect(summary.evaluations).toBeGreaterThan(0);
    expect(summary.events).toBeGreaterThan(10);
  });

  it('log lists every event, and filters by kind', async () => {
    const all = await runCli(['log', '--dir', data, '--json']);
    expect(all.code).toBe(0);
    expect(all.json<{ events: number }>().events).toBe(summary.events + 1); // + the realm genesis
    const selections = await runCli(['log', '--dir', data, '--kind', 'selection', '--json']);
    const lines = selections.stdout
      .trim()
      .split('\n')
      .slice(0, -1)
      .map((l) => JSON.parse(l) as { kind: string });
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.every((e) => e.kind === 'selection')).toBe(true);
  });

  it('verify passes on an untouched store', async () => {
    const v = await runCli(['verify', '--dir', data, '--json']);
    expect(v.code).toBe(0);
    expect(v.json()).toMatchObject({ ok: true, events: summary.events + 1, problems: [] });
  });

  it('show proves an event with its block and inclusion proof', async () => {
    const s = await runCli(['show', summary.run, '--dir', data, '--json']);
    expect(s.code).toBe(0);
    expect(s.json()).toMatchObject({
      ok: true,
      type: 'event',
      verified: true,
      event: { kind: 'run' },
    });
    const missing = await runCli(['show', 'f'.repeat(64), '--dir', data, '--json']);
    expect(missing.code).toBe(1);
    expect(missing.json()).toMatchObject({ code: 'NOT_FOUND' });
  });

  it('export then import into a fresh folder keeps everything; a second import changes nothing', async () => {
    const file = join(dir, 'run.log');
    expect((await runCli(['export', file, '--dir', data])).code).toBe(0);
    const other = join(dir, 'other');
    const first = await runCli(['import', file, '--dir', other, '--json']);
    expect(first.code, first.stderr).toBe(0);
    expect(first.json()).toMatchObject({ ok: true, events: summary.events + 1, rejected: [] });
    const second = await runCli(['import', file, '--dir', other, '--json']);
    expect(second.json()).toMatchObject({ accepted: 0, rejected: [] });
  });

  it('import reports a damaged block with its code, exits non-zero, and keeps the rest', async () => {
    const file = join(dir, 'run.log');
    const bytes = await readFile(file);
    const damaged = Buffer.from(bytes);
    damaged[damaged.length - 20]! ^= 0x10; // inside the last block
    const bad = join(dir, 'damaged.log');
    await writeFile(bad, damaged);
    const r = await runCli(['import', bad, '--dir', join(dir, 'third'), '--json']);
    expect(r.code).toBe(1);
    const report = r.json<{ accepted: number; rejected: { code: string }[] }>();
    expect(report.rejected.length).toBeGreaterThan(0);
    expect(['INVALID_SIGNATURE', 'BAD_ROOT', 'SCHEMA_VIOLATION']).toContain(
      report.rejected[0]!.code,
    );
    expect(report.accepted).toBeGreaterThan(0);
  });

  it('usage errors exit with status 2 and say what is wrong', async () => {
    const r = await runCli(['evolve', 'xor', '--dir', data, '--seed', 'abc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/USAGE/);
    const unknown = await runCli(['evolve', 'no-such-task', '--dir', data, '--json']);
    expect(unknown.code).toBe(1);
    expect(unknown.json()).toMatchObject({ ok: false, code: 'UNKNOWN_TASK' });
  });

  it('refuses to run without a data folder, saying how to make one', async () => {
    const r = await runCli(['log', '--dir', join(dir, 'missing'), '--json']);
    expect(r.json()).toMatchObject({ ok: false, code: 'NOT_INITIALISED' });
    expect(r.stderr).toMatch(/evoledger init/);
  });
});
