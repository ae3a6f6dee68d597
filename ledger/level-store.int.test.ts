import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import type { BlockId } from '../crypto/index.js';
import { LevelStore } from './level-store.js';
import { alice, ChainBuilder, evaluationDraft, realmA } from './__fixtures__/sample-blocks.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = path.join(here, '__fixtures__', 'append-forever.ts');
const root = path.resolve(here, '..');

let dir = '';
afterAll(async () => {
  if (dir !== '') await rm(dir, { recursive: true, force: true });
});

/**
 * Runs the appending child until it has acknowledged `acks` blocks, then
 * waits `delayMs` more and kills it with SIGKILL. Returns the acknowledged ids.
 */
function appendThenKill(acks: number, delayMs: number): Promise<BlockId[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', fixture, dir], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: BlockId[] = [];
    let pending = '';
    let stderr = '';
    let killing = false;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      // Only complete lines are acknowledgements; a torn last line is not.
      pending = lines.pop()!;
      acked.push(...(lines as BlockId[]));
      if (!killing && acked.length >= acks) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), delayMs);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`append-forever exited by itself (${String(_code)}): ${stderr}`));
    });
  });
}

describe('LevelStore under SIGKILL', () => {
  it('loses no acknowledged block, reopens cleanly and appends again', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'evoledger-sigkill-'));
    const acknowledged: BlockId[] = [];
    for (const [acks, delayMs] of [
      [1, 0],
      [5, 2],
      [12, 0],
      [30, 5],
      [3, 1],
    ] as const) {
      acknowledged.push(...(await appendThenKill(acks, delayMs)));

      const store = await LevelStore.open(dir);
      try {
        for (const id of acknowledged) {
          expect(await store.hasBlock(id), `acknowledged block ${id}`).toBe(true);
        }

        // The chain is whole (seq 0..head, each following the previous) and the head matches it.
        const head = await store.head(realmA, alice.publicKey);
        expect(head).toBeDefined();
        let seq = 0;
        let nextEvent = 0;
        let prev: BlockId | null = null;
        let events = 0;
        for await (const block of store.chain(realmA, alice.publicKey)) {
          expect(block.header.seq).toBe(seq++);
          expect(block.header.prev).toBe(prev);
          expect(block.header.first).toBe(nextEvent);
          nextEvent += block.header.count;
          events += block.header.count;
          prev = block.id;
        }
        expect(head).toMatchObject({ seq: seq - 1, id: prev, nextEvent });
        expect(await store.counts()).toEqual({ blocks: seq, events });
        expect(seq).toBeGreaterThanOrEqual(acknowledged.length);

        // It takes more blocks, which the next child then follows.
        const more = new ChainBuilder(alice, realmA, head).next([evaluationDraft(1)]);
        await store.append([more]);
        expect((await store.head(realmA, alice.publicKey))?.id).toBe(more.id);
        acknowledged.push(more.id);
      } finally {
        await store.close();
      }
    }
  });
});
