import { EvolutionError } from './errors.js';

/**
 * Activation functions, each given once as a JavaScript expression over `x`:
 * the compiler inlines the expression and the interpreter evaluates a function
 * built from the very same text, so both compute bit-identical values.
 */
export const ActivationExpressions = {
  tanh: 'Math.tanh(x)',
  sigmoid: '1 / (1 + Math.exp(-x))',
  sin: 'Math.sin(x)',
  cos: 'Math.cos(x)',
  gaussian: 'Math.exp(-(x * x))',
  abs: 'Math.abs(x)',
  linear: 'x',
  relu: '(x > 0 ? x : 0)',
  step: '(x > 0 ? 1 : 0)',
} as const;

/** Name of an activation function. */
export type Activation = keyof typeof ActivationExpressions;

/** All activation names, in a fixed order. */
export const ACTIVATIONS: readonly Activation[] = Object.keys(
  ActivationExpressions,
) as Activation[];

/** True when `name` is an activation function this version knows. */
export function isActivation(name: unknown): name is Activation {
  return typeof name === 'string' && Object.hasOwn(ActivationExpressions, name);
}

const functions = new Map<Activation, (x: number) => number>();

/** The activation as a function (built from the same expression the compiler inlines). */
export function activationFunction(name: Activation): (x: number) => number {
  let f = functions.get(name);
  if (f === undefined) {
    if (!isActivation(name)) {
      throw new EvolutionError(
        'UNKNOWN_ACTIVATION',
        `unknown activation "${String(name)}"; known: ${ACTIVATIONS.join(', ')}`,
      );
    }
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    f = new Function('x', `return ${ActivationExpressions[name]};`) as (x: number) => number;
    functions.set(name, f);
  }
  return f;
}
