export { measuredScore, resolveBranches, selectionsByRun } from './branches.js';
export type { LostBranch, ResolvedBranches, SelectionScore } from './branches.js';
export { ProjectionError, ProjectionErrorCodes } from './errors.js';
export type { ProjectionErrorCode } from './errors.js';
export { addExact, exactValue } from './exact-sum.js';
export type { ExactSum } from './exact-sum.js';
export { evolve, foldEvents } from './evolve.js';
export { betterOrigin } from './origin.js';
export type { OriginKey } from './origin.js';
export { descendants } from './descendants.js';
export type { Descendant, DescendantsOptions } from './descendants.js';
export { evolutionReplayEngine } from './evolution-engine.js';
export { familyOf } from './families.js';
export { compareFitness, primaryFitness, taskKey } from './fitness.js';
export type { Fitness } from './fitness.js';
export { genotypeEvents, lineage } from './lineage.js';
export type {
  GenotypeEvents,
  Lineage,
  LineageEvaluation,
  LineageOptions,
  LineageOrigin,
  LineageStep,
} from './lineage.js';
export { formatLineageDot, formatLineageText } from './lineage-format.js';
export { LiveProjection, PROJECTION_CACHE_KEY } from './live.js';
export type { OpenProjectionOptions, ProjectionSource } from './live.js';
export { populationAt, populationOf } from './population.js';
export type { Population, PopulationMember } from './population.js';
export { projectionHash, projectionHashOf } from './projection-hash.js';
export { replay, replayAll } from './replay.js';
export type {
  Divergence,
  ReplayCheck,
  ReplayCounts,
  ReplayOptions,
  ReplayProgress,
  ReplayReport,
  SpeciesCount,
} from './replay.js';
export type {
  ConsideredEvaluation,
  ReplayEngine,
  ReplayGenotype,
  ReplayNetwork,
  SelectionReplayInput,
  SelectionReplayResult,
} from './replay-engine.js';
export { runOfEvent } from './run-of.js';
export { initialState } from './state.js';
export type {
  AuthorTotals,
  BestFacts,
  ChampionFacts,
  OriginFacts,
  ProjectionState,
  RunFacts,
  RunTotals,
  SelectionFacts,
  StateOptions,
} from './state.js';
export { decodeState, encodeState } from './state-codec.js';
export type { Watermark } from './state-codec.js';
export { EventVerifier } from './verify-event.js';
export type { EventVerification } from './verify-event.js';
export { championSummaries, finalize } from './view.js';
export type {
  AuthorCredit,
  BestSummary,
  ChampionSummary,
  GenerationSummary,
  ProjectionView,
  RunSummary,
} from './view.js';
