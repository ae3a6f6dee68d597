import { ReplicationError } from './errors.js';
import type { FrameChannel } from './frame-channel.js';

/** A frame whose sender waits for room in the peer's inbox. */
interface Blocked {
  readonly frame: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (e: Error) => void;
}

/**
 * Two connected in-memory channels: the fake transport of unit and property
 * tests (sessions without a network). Nodes never use it. With `capacity`,
 * each direction holds at most that many unread frames and `send` waits
 * for the reader to take one, as a stream's flow control makes it wait
 * (default: unbounded).
 */
export function channelPair(capacity = Infinity): [FrameChannel, FrameChannel] {
  const make = () => {
    const queue: Uint8Array[] = [];
    const waiters: { resolve: (f: Uint8Array) => void; reject: (e: Error) => void }[] = [];
    const blocked: Blocked[] = [];
    let closed = false;
    return {
      queue,
      waiters,
      /** Hands `f` to a waiting reader or queues it; false when the inbox is full. */
      deliver(f: Uint8Array): boolean {
        const w = waiters.shift();
        if (w) w.resolve(f);
        else if (queue.length < capacity) queue.push(f);
        else return false;
        return true;
      },
      block(b: Blocked) {
        blocked.push(b);
      },
      /** The next unread frame, letting a blocked sender's frame in. */
      take(): Uint8Array | undefined {
        const b = blocked.shift();
        if (b !== undefined) {
          queue.push(b.frame);
          b.resolve();
        }
        return queue.shift();
      },
      end() {
        closed = true;
        const err = () => new ReplicationError('STREAM_CLOSED', 'peer closed the channel');
        for (const w of waiters.splice(0)) w.reject(err());
        for (const b of blocked.splice(0)) b.reject(err());
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
        const copy = frame.slice();
        if (theirs.deliver(copy)) return Promise.resolve();
        return new Promise((resolve, reject) => theirs.block({ frame: copy, resolve, reject }));
      },
      receive(signal) {
        const f = mine.take();
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
