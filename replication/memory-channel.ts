import { ReplicationError } from './errors.js';
import type { FrameChannel } from './frame-channel.js';

/**
 * Two connected in-memory channels: the fake transport of unit and property
 * tests (sessions without a network). Nodes never use it.
 */
export function channelPair(): [FrameChannel, FrameChannel] {
  const make = () => {
    const queue: Uint8Array[] = [];
    const waiters: { resolve: (f: Uint8Array) => void; reject: (e: Error) => void }[] = [];
    let closed = false;
    return {
      queue,
      waiters,
      deliver(f: Uint8Array) {
        const w = waiters.shift();
        if (w) w.resolve(f);
        else queue.push(f);
      },
      end() {
        closed = true;
        for (const w of waiters.splice(0))
          w.reject(new ReplicationError('STREAM_CLOSED', 'peer closed the channel'));
      },
      get closed() {
        return closed;
      },
    };
  };
  const inboxA = make();
  const inboxB = make();
  const channel = (
    mine: ReturnType<typeof make>,
    theirs: ReturnType<typeof make>,
  ): FrameChannel => {
    const bytes = { sent: 0, received: 0 };
    return {
      bytes,
      send(frame) {
        if (theirs.closed)
          return Promise.reject(new ReplicationError('STREAM_CLOSED', 'channel closed'));
        bytes.sent += frame.byteLength + 4;
        theirs.deliver(frame.slice());
        return Promise.resolve();
      },
      receive(signal) {
        const f = mine.queue.shift();
        if (f) {
          bytes.received += f.byteLength + 4;
          return Promise.resolve(f);
        }
        if (mine.closed)
          return Promise.reject(new ReplicationError('STREAM_CLOSED', 'peer closed the channel'));
        return new Promise((resolve, reject) => {
          const onAbort = () => reject(new ReplicationError('ABORTED', 'receive aborted'));
          signal?.addEventListener('abort', onAbort, { once: true });
          mine.waiters.push({
            resolve: (frame) => {
              signal?.removeEventListener('abort', onAbort);
              bytes.received += frame.byteLength + 4;
              resolve(frame);
            },
            reject,
          });
        });
      },
      close() {
        theirs.end();
        mine.end();
        return Promise.resolve();
      },
    };
  };
  return [channel(inboxA, inboxB), channel(inboxB, inboxA)];
}
