import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Ledger } from './ledger.js';
import { frameHeader, importLog, importLogStream, LOG_MAGIC } from './log-file.js';
import { MemoryStore } from './memory-store.js';
import { allBlocks, exportBytes, sampleLedger } from './__tests__/sample-ledger.js';

// eslint-disable-next-line @typescript-eslint/require-await -- an async source, as files are
async function* chunks(bytes: Uint8Array, size = 97): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

describe('log files', () => {
  it('export then import reproduces the store, and a second import changes nothing', async () => {
    const { ledger } = await sampleLedger();
    const bytes = await exportBytes(ledger);
    const fresh = await Ledger.open(await MemoryStore.open());
    const first = await importLogStream(fresh, chunks(bytes));
    expect(first.rejected).toEqual([]);
    const ids = async (l: Ledger) => (await allBlocks(l)).map((b) => b.id).sort();
    expect(await ids(fresh)).toEqual(await ids(ledger));
    const second = await importLogStream(fresh, chunks(bytes, 4096));
    expect(second.accepted).toBe(0);
    expect(second.duplicates).toBe(first.accepted);
  });

  it('imports blocks given out of order across batches', async () => {
    const { ledger } = await sampleLedger();
    const blocks = await allBlocks(ledger);
    const frames = [...blocks].reverse().flatMap((b) => [frameHeader(b.bytes.length), b.bytes]);
    const file = new Uint8Array(Buffer.concat([LOG_MAGIC, ...frames]));
    const fresh = await Ledger.open(await MemoryStore.open());
    const report = await importLogStream(fresh, chunks(file), { batch: 2 });
    expect(report.rejected).toEqual([]);
    expect(report.accepted).toBe(blocks.length);
  });

  it('reports a file that cannot be read with BAD_LOG_FILE', async () => {
    const fresh = await Ledger.open(await MemoryStore.open());
    await expect(importLog(fresh, '/nonexistent/evoledger.log')).rejects.toMatchObject({
      code: 'BAD_LOG_FILE',
    });
  });

  it('reports garbage and truncation without losing the blocks before them', async () => {
    const { ledger } = await sampleLedger();
    const bytes = await exportBytes(ledger);
    const dir = await mkdtemp(join(tmpdir(), 'evoledger-log-'));
    try {
      const path = join(dir, 'cut.log');
      await writeFile(path, bytes.subarray(0, bytes.length - 10));
      const fresh = await Ledger.open(await MemoryStore.open());
      const report = await importLog(fresh, path);
      expect(report.rejected.map((r) => r.code)).toContain('BAD_LOG_FILE');
      expect(report.accepted).toBe((await allBlocks(ledger)).length - 1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
