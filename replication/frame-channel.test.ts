import { describe, expect, it } from 'vitest';
import { ReplicationError } from './errors.js';
import { FrameDecoder, framePrefix } from './frame-channel.js';

const frame = (bytes: number[]) => {
  const body = new Uint8Array(bytes);
  const out = new Uint8Array(4 + body.length);
  out.set(framePrefix(body.length));
  out.set(body, 4);
  return out;
};

describe('FrameDecoder', () => {
  it('reassembles frames split and joined at any byte', () => {
    const stream = new Uint8Array([...frame([1, 2, 3]), ...frame([]), ...frame([9])]);
    for (let cut = 0; cut <= stream.length; cut++) {
      const d = new FrameDecoder(100);
      const got = [...d.push(stream.subarray(0, cut)), ...d.push(stream.subarray(cut))].map((f) => [
        ...f,
      ]);
      expect(got).toEqual([[1, 2, 3], [], [9]]);
    }
  });

  it('refuses a frame over the limit as soon as its prefix arrives', () => {
    const d = new FrameDecoder(2);
    expect(() => d.push(framePrefix(3))).toThrow(ReplicationError);
    try {
      new FrameDecoder(2).push(framePrefix(3));
    } catch (err) {
      expect((err as ReplicationError).code).toBe('FRAME_TOO_LARGE');
    }
  });
});
