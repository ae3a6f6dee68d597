import { ReplicationError } from './errors.js';

/**
 * A reliable, ordered, bidirectional channel of frames: what a sync session
 * needs from a transport. A libp2p stream provides one
 * ({@link streamChannel}); unit tests use an in-memory pair.
 */
export interface FrameChannel {
  /** Sends one frame; resolves when the transport accepted it. */
  send(frame: Uint8Array): Promise<void>;
  /** The next frame; rejects with `STREAM_CLOSED` when the peer closed. */
  receive(signal?: AbortSignal): Promise<Uint8Array>;
  /** Closes our side. */
  close(): Promise<void>;
  /** Bytes sent and received so far (frames and their prefixes). */
  readonly bytes: { sent: number; received: number };
}

/**
 * Incremental decoder of frames prefixed with a 4-byte big-endian length.
 * Throws `FRAME_TOO_LARGE` as soon as a prefix announces more than `maxFrameBytes`.
 */
export class FrameDecoder {
  readonly #max: number;
  #chunks: Uint8Array[] = [];
  #buffered = 0;

  constructor(maxFrameBytes: number) {
    this.#max = maxFrameBytes;
  }

  /** Feeds bytes; returns every complete frame they finish. */
  push(chunk: Uint8Array): Uint8Array[] {
    if (chunk.byteLength > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.byteLength;
    }
    const frames: Uint8Array[] = [];
    for (;;) {
      if (this.#buffered < 4) return frames;
      const head = this.#peek(4);
      const length = new DataView(head.buffer, head.byteOffset, 4).getUint32(0);
      if (length > this.#max) {
        throw new ReplicationError(
          'FRAME_TOO_LARGE',
          `peer announced a ${length}-byte frame (limit ${this.#max})`,
        );
      }
      if (this.#buffered < 4 + length) return frames;
      const all = this.#peek(4 + length);
      frames.push(all.slice(4));
      this.#consume(4 + length);
    }
  }

  #peek(n: number): Uint8Array {
    const first = this.#chunks[0]!;
    if (first.byteLength >= n) return first.subarray(0, n);
    const out = new Uint8Array(n);
    let at = 0;
    for (const c of this.#chunks) {
      const take = Math.min(c.byteLength, n - at);
      out.set(c.subarray(0, take), at);
      at += take;
      if (at === n) break;
    }
    // Keep the joined prefix so the next peek does not copy again.
    this.#consumeRaw(n);
    this.#chunks.unshift(out);
    this.#buffered += n;
    return out;
  }

  #consumeRaw(n: number): void {
    let left = n;
    while (left > 0) {
      const c = this.#chunks[0]!;
      if (c.byteLength <= left) {
        this.#chunks.shift();
        left -= c.byteLength;
      } else {
        this.#chunks[0] = c.subarray(left);
        left = 0;
      }
    }
    this.#buffered -= n;
  }

  #consume(n: number): void {
    this.#consumeRaw(n);
  }
}

/** The 4-byte big-endian length prefix of a frame. */
export function framePrefix(length: number): Uint8Array {
  const prefix = new Uint8Array(4);
  new DataView(prefix.buffer).setUint32(0, length);
  return prefix;
}
