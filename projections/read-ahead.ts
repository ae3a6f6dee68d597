/**
 * Iterates `source` with up to `depth` reads requested ahead of the one being
 * used, so that a consumer that works between reads (a fold) overlaps with
 * the reading (LevelDB reads on its own threads). Same items, same order.
 */
export async function* readAhead<T>(source: AsyncIterable<T>, depth: number): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  const ahead: Promise<IteratorResult<T>>[] = [];
  const request = () => {
    const read = it.next();
    // Handled when its turn comes; until then a failure must not count as unhandled.
    read.catch(() => undefined);
    ahead.push(read);
  };
  try {
    for (let i = 0; i < depth; i++) request();
    for (;;) {
      request();
      const r = await ahead.shift()!;
      if (r.done) return;
      yield r.value;
    }
  } finally {
    // Let requested reads settle before the source is closed.
    await Promise.allSettled(ahead);
    await it.return?.();
  }
}
