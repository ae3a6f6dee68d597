import type { Stream } from '@libp2p/interface';
import { ReplicationError } from './errors.js';
import { FrameDecoder, framePrefix } from './frame-channel.js';
import type { FrameChannel } from './frame-channel.js';

/**
 * A {@link FrameChannel} over a libp2p 3 stream: frames are prefixed with a
 * 4-byte big-endian length; a prefix over `maxFrameBytes` aborts the stream
 * (`FRAME_TOO_LARGE`) before the frame is buffered.
 */
export function streamChannel(stream: Stream, maxFrameBytes: number): FrameChannel {
  const decoder = new FrameDecoder(maxFrameBytes);
  const frames: Uint8Array[] = [];
  const bytes = { sent: 0, received: 0 };
  const source = stream[Symbol.asyncIterator]();
  let ended = false;

  return {
    bytes,
    async send(frame) {
      if (frame.byteLength > maxFrameBytes) {
        throw new ReplicationError(
          'FRAME_TOO_LARGE',
          `refusing to send a ${frame.byteLength}-byte frame`,
        );
      }
      bytes.sent += 4 + frame.byteLength;
      try {
        stream.send(framePrefix(frame.byteLength));
        if (!stream.send(frame)) await stream.onDrain();
      } catch (err) {
        throw new ReplicationError('STREAM_CLOSED', 'the sync stream closed while sending', {
          cause: err,
        });
      }
    },
    async receive(signal) {
      for (;;) {
        const next = frames.shift();
        if (next !== undefined) return next;
        if (ended) throw new ReplicationError('STREAM_CLOSED', 'the peer closed the sync stream');
        if (signal?.aborted) throw new ReplicationError('ABORTED', 'sync aborted');
        const result = await source.next();
        if (result.done === true) {
          ended = true;
          continue;
        }
        const value = result.value;
        const chunk = value instanceof Uint8Array ? value : value.subarray();
        bytes.received += chunk.byteLength;
        try {
          frames.push(...decoder.push(chunk));
        } catch (err) {
          stream.abort(err as Error);
          throw err;
        }
      }
    },
    async close() {
      try {
        await stream.close();
      } catch {
        stream.abort(new ReplicationError('STREAM_CLOSED', 'sync stream closed'));
      }
    },
  };
}
