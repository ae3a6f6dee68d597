export {
  ACTIVATIONS,
  activationFunction,
  ActivationExpressions,
  isActivation,
} from './activation.js';
export type { Activation } from './activation.js';
export { compile, phenotypeFromSource, phenotypeSource } from './compiler.js';
export { BASE_CONFIG, defaultConfig, mergeConfig, TASK_CONFIGS, validateConfig } from './config.js';
export type { ConfigOverrides, EngineConfig } from './config.js';
export { evolve, generationShape, selectGeneration } from './engine.js';
export type { EvolveOptions, Progress, StopReason } from './engine.js';
export type { EngineState, Member, Stall } from './engine-state.js';
export { EvolutionError, EvolutionErrorCodes } from './errors.js';
export type { EvolutionErrorCode } from './errors.js';
export { inlineEvaluator } from './evaluator.js';
export type { Evaluator } from './evaluator.js';
export { ENGINE } from './events.js';
export type {
  EvaluationBody,
  MutationBody,
  RecordedEvent,
  RunBody,
  SeedBody,
  SelectionBody,
} from './events.js';
export {
  fromCanonical,
  genotypeId,
  networkSize,
  nextNeuronId,
  normalize,
  parameterCount,
  sensorIndex,
  sensorRef,
  toCanonical,
  toWeight,
  validateGenotype,
  WEIGHT_LIMIT,
} from './genotype.js';
export type { Actuator, CanonicalGenotype, Genotype, Link, Neuron } from './genotype.js';
export { interpret } from './interpreter.js';
export {
  applyOp,
  applyOps,
  drawMutation,
  getOperator,
  MUTATION_OPERATORS,
  OPERATORS,
  replayMutation,
} from './mutation.js';
export type { MutationConfig } from './mutation.js';
export type { AppliedOp, DrawContext, Operator, OpParams } from './operator.js';
export { replayTuning } from './ops-weights.js';
export { evaluationOrder } from './phenotype.js';
export type { Phenotype } from './phenotype.js';
export { deriveSeed, Rng } from './random.js';
export { restore } from './resume.js';
export { seedNetwork } from './seed-network.js';
export type { SeedNetworkConfig } from './seed-network.js';
export { allot, select, SELECTION_METHODS } from './selection.js';
export type { Candidate, SelectionConfig, SelectionMethod, SelectionResult } from './selection.js';
export type { EventDraft, EventSink } from './sink.js';
export { compatibility, speciate } from './speciation.js';
export type { CompatibilityConfig } from './speciation.js';
export { parityTask, xorTask } from './tasks/boolean.js';
export { CARTPOLE, CartPole } from './tasks/cartpole.js';
export { loadTaskModule, validateTask } from './tasks/load-task-module.js';
export { dpnvTask, dpvTask, singlePoleTask } from './tasks/pole.js';
export { getTask, tasks } from './tasks/registry.js';
export type { TaskInfo } from './tasks/registry.js';
export { scalarFitness } from './tasks/task.js';
export type { EvaluationResult, Task } from './tasks/task.js';
export { develop, tuningOp } from './tuning.js';
export type { DevelopJob, DevelopResult, TuningConfig } from './tuning.js';
export { createWorkerPool } from './worker-pool.js';
export type { WorkerPoolOptions } from './worker-pool.js';
