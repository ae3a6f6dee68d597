import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import { sha256 } from '../crypto/index.js';
import type { RealmId } from '../crypto/index.js';
import { LedgerError } from './errors.js';
import type { IngestReport, Ledger, Rejection } from './ledger.js';
import type { BlockRange, EventStore } from './store.js';
import type { SignedBlock } from './block.js';

/**
 * The portable log file: a header line, then one frame per block.
 *
 *   file   = "EVOLEDGER-LOG v1\n" frame*
 *   frame  = SYNC(4) ‖ length(u32 BE) ‖ check(4) ‖ block bytes
 *   check  = first 4 bytes of sha256(length bytes)
 *
 * The sync marker and the length check let a reader skip a damaged frame and
 * find the next one, so one flipped bit costs one block, never the rest of
 * the file. The block inside is verified in full (signature, Merkle root).
 */
export const LOG_MAGIC = new TextEncoder().encode('EVOLEDGER-LOG v1\n');
const SYNC = Uint8Array.of(0xe7, 0x4c, 0x42, 0x4b);
const FRAME_HEADER = 12;

/** The frame header that precedes a block of `length` bytes. */
export function frameHeader(length: number): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER);
  out.set(SYNC, 0);
  new DataView(out.buffer).setUint32(4, length);
  out.set(sha256(out.subarray(4, 8)).subarray(0, 4), 8);
  return out;
}

/** Writes every block of `store` (optionally one realm's) to `sink` in log order. */
export async function writeLog(
  store: EventStore,
  sink: Writable,
  range: BlockRange = {},
): Promise<number> {
  const write = async (chunk: Uint8Array) => {
    if (!sink.write(chunk)) await once(sink, 'drain');
  };
  await write(LOG_MAGIC);
  let blocks = 0;
  for await (const block of store.blocks(range)) {
    await write(frameHeader(block.bytes.byteLength));
    await write(block.bytes);
    blocks++;
  }
  return blocks;
}

/** Exports `store` to a file; returns the number of blocks written. */
export async function exportLog(
  store: EventStore,
  path: string,
  range: BlockRange = {},
): Promise<number> {
  const file = createWriteStream(path);
  try {
    const blocks = await writeLog(store, file, range);
    file.end();
    await once(file, 'finish');
    return blocks;
  } catch (err) {
    file.destroy();
    throw err;
  }
}

/** A frame that could not be read as a block; reported by import. */
export interface DamagedFrame {
  readonly offset: number;
  readonly code: 'BAD_LOG_FILE';
  readonly message: string;
}

/**
 * Reads frames from a byte stream, resynchronising after damage. Yields
 * block bytes (still unverified) or a description of the damage.
 */
export async function* readFrames(
  source: AsyncIterable<Uint8Array>,
): AsyncGenerator<{ bytes: Uint8Array; offset: number } | DamagedFrame> {
  let buf = Buffer.alloc(0);
  let base = 0; // file offset of buf[0]
  let headerChecked = false;
  let damagedAt = -1;
  const damage = (offset: number, message: string): DamagedFrame => ({
    offset,
    code: 'BAD_LOG_FILE',
    message,
  });
  const syncBuf = Buffer.from(SYNC);

  const drain = function* (
    final: boolean,
  ): Generator<{ bytes: Uint8Array; offset: number } | DamagedFrame> {
    if (!headerChecked) {
      if (buf.length < LOG_MAGIC.length && !final) return;
      headerChecked = true;
      if (buf.subarray(0, LOG_MAGIC.length).equals(LOG_MAGIC)) {
        buf = buf.subarray(LOG_MAGIC.length);
        base += LOG_MAGIC.length;
      } else {
        yield damage(
          0,
          'the file does not start with the evoledger log header; reading frames anyway',
        );
      }
    }
    for (;;) {
      const at = buf.indexOf(syncBuf);
      if (at < 0) {
        // Keep a tail that could hold the start of a sync marker.
        const keep = Math.min(buf.length, SYNC.length - 1);
        if (buf.length - keep > 0 && damagedAt < 0) damagedAt = base;
        base += buf.length - keep;
        buf = buf.subarray(buf.length - keep);
        if (final && buf.length > 0 && damagedAt < 0) damagedAt = base;
        break;
      }
      if (at > 0) {
        if (damagedAt < 0) damagedAt = base;
        buf = buf.subarray(at);
        base += at;
      }
      if (buf.length < FRAME_HEADER) break;
      const length = buf.readUInt32BE(4);
      const check = sha256(buf.subarray(4, 8)).subarray(0, 4);
      if (!buf.subarray(8, 12).equals(check)) {
        if (damagedAt < 0) damagedAt = base;
        buf = buf.subarray(1);
        base += 1;
        continue;
      }
      if (buf.length < FRAME_HEADER + length) break;
      if (damagedAt >= 0) {
        yield damage(damagedAt, `unreadable bytes from offset ${damagedAt} to ${base}`);
        damagedAt = -1;
      }
      yield {
        bytes: new Uint8Array(buf.subarray(FRAME_HEADER, FRAME_HEADER + length)),
        offset: base,
      };
      buf = buf.subarray(FRAME_HEADER + length);
      base += FRAME_HEADER + length;
    }
    if (final && (damagedAt >= 0 || buf.length > 0)) {
      yield damage(
        damagedAt >= 0 ? damagedAt : base,
        `unreadable or truncated bytes at the end (from offset ${damagedAt >= 0 ? damagedAt : base})`,
      );
    }
  };

  for await (const chunk of source) {
    buf = buf.length === 0 ? Buffer.from(chunk) : Buffer.concat([buf, chunk]);
    yield* drain(false);
  }
  yield* drain(true);
}

/** What an import did. */
export interface ImportReport {
  readonly blocks: number;
  readonly accepted: number;
  readonly events: number;
  readonly duplicates: number;
  readonly rejected: readonly (Rejection & { offset?: number })[];
}

/** Options of {@link importLog}. */
export interface ImportOptions {
  /** Refuse blocks of other realms. */
  readonly realm?: RealmId;
  /** Blocks handed to the ledger at once. Default 256. */
  readonly batch?: number;
}

/**
 * Imports a log stream: verifies every block, keeps every valid one, reports
 * each rejected block (or damaged frame) with its code. Idempotent: blocks
 * already held count as duplicates. Blocks that wait for a predecessor or a
 * dependency later in the file are retried until nothing more can enter.
 */
export async function importLogStream(
  ledger: Ledger,
  source: AsyncIterable<Uint8Array>,
  options: ImportOptions = {},
): Promise<ImportReport> {
  const batchSize = options.batch ?? 256;
  const rejected: (Rejection & { offset?: number })[] = [];
  let blocks = 0;
  let accepted = 0;
  let events = 0;
  let duplicates = 0;
  let waiting: SignedBlock[] = [];
  let batch: Uint8Array[] = [];

  const tally = (report: IngestReport, final: boolean) => {
    accepted += report.accepted.length;
    events += report.accepted.reduce((n, b) => n + b.header.count, 0);
    duplicates += report.duplicates;
    const retry = new Set<string | null>(report.retryable.map((b) => b.id));
    for (const r of report.rejected) if (final || !retry.has(r.block)) rejected.push(r);
    if (!final) waiting.push(...report.retryable);
  };
  // Two calls at a time: the ledger validates one while it writes the one
  // before. Blocks that wait go into the next call but one (the last call
  // waits for every earlier report, so each gets its final try there).
  let last: Promise<void> = Promise.resolve();
  const submit = async (final: boolean) => {
    if (final) await last;
    const call = ledger.ingest(
      [...waiting, ...batch],
      options.realm ? { realm: options.realm } : {},
    );
    waiting = [];
    batch = [];
    const before = last;
    last = Promise.all([before, call]).then(([, report]) => tally(report, final));
    last.catch(() => undefined); // awaited below or by the next call
    await (final ? last : before);
  };

  for await (const frame of readFrames(source)) {
    if ('code' in frame) {
      rejected.push({
        block: null,
        code: 'BAD_LOG_FILE',
        message: frame.message,
        offset: frame.offset,
      });
      continue;
    }
    blocks++;
    batch.push(frame.bytes);
    if (batch.length >= batchSize) await submit(false);
  }
  await submit(true);
  return { blocks, accepted, events, duplicates, rejected };
}

/** Imports a log file; see {@link importLogStream}. */
export async function importLog(
  ledger: Ledger,
  path: string,
  options: ImportOptions = {},
): Promise<ImportReport> {
  let stream: Readable;
  try {
    stream = createReadStream(path);
    await once(stream, 'open');
  } catch (err) {
    throw new LedgerError('BAD_LOG_FILE', `cannot read ${path}: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return importLogStream(ledger, stream as AsyncIterable<Uint8Array>, options);
}
