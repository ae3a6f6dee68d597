import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, runCli } from '../test/cli.js';

describe('evolve: interrupted and resumed (built CLI)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'evoledger-evolve-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('Ctrl-C stops after the current generation with the ledger intact; --resume continues the run', async () => {
    const data = join(dir, 'data');
    // A run that cannot finish in the time we give it.
    const child = spawn(
      process.execPath,
      [CLI, 'evolve', 'dpnv', '--dir', data, '--seed', '3', '--workers', '1', '--json'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    try {
      // Wait for the first generations to be reported, then interrupt.
      for (let i = 0; i < 600 && (stdout.match(/"progress"/g) ?? []).length < 2; i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(stdout).toMatch(/"progress"/);
      child.kill('SIGINT');
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      expect(code, stderr).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
    const first = JSON.parse(stdout.trim().split('\n').pop()!) as {
      run: string;
      generations: number;
      stopped: string;
    };
    expect(first.stopped).toBe('aborted');

    const verify = await runCli(['verify', '--dir', data, '--json']);
    expect(verify.json()).toMatchObject({ ok: true, problems: [] });

    const resumed = await runCli([
      'evolve',
      'dpnv',
      '--dir',
      data,
      '--resume',
      '--workers',
      '1',
      '--max-evaluations',
      '1',
      '--json',
    ]);
    expect(resumed.code, resumed.stderr).toBe(0);
    const second = resumed.json<{ run: string; generations: number }>();
    expect(second.run).toBe(first.run);
    expect(second.generations).toBeGreaterThan(first.generations);
    expect((await runCli(['verify', '--dir', data, '--json'])).json()).toMatchObject({
      ok: true,
      problems: [],
    });
  });
});
