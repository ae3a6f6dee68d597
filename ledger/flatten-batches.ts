/**
 * Flattens an async iterator of batches into an async iterable of items.
 *
 * Why: an async generator costs a few promise hops per `yield`, more with each
 * `yield*` level; streaming a million events that way spends more time in the
 * generator machinery than in LevelDB. Here the source steps once per batch
 * (a block) and each item costs one resolved promise.
 */
export function flattenBatches<T>(open: () => AsyncIterator<readonly T[]>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const source = open();
      let batch: readonly T[] = [];
      let i = 0;
      const pull = async (): Promise<IteratorResult<T>> => {
        for (;;) {
          const step = await source.next();
          if (step.done === true) return { done: true, value: undefined };
          batch = step.value;
          i = 0;
          if (batch.length > 0) return { done: false, value: batch[i++]! };
        }
      };
      return {
        next: () =>
          i < batch.length ? Promise.resolve({ done: false, value: batch[i++]! }) : pull(),
        return: async () => {
          batch = [];
          await source.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}
