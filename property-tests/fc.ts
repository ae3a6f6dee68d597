import type fc from 'fast-check';

/**
 * Shared fast-check parameters. A failing property prints its seed and path
 * (fast-check does by default); set FC_SEED (and FC_PATH) to replay it, and
 * FC_RUNS to run more or fewer cases.
 */
export function fcParams<T>(overrides: fc.Parameters<T> = {}): fc.Parameters<T> {
  const seed = process.env.FC_SEED;
  const path = process.env.FC_PATH;
  const runs = process.env.FC_RUNS;
  return {
    ...overrides,
    ...(seed !== undefined && seed !== '' ? { seed: Number(seed) } : {}),
    ...(path !== undefined && path !== '' ? { path } : {}),
    ...(runs !== undefined && runs !== '' ? { numRuns: Number(runs) } : {}),
  };
}
