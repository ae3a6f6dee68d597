// Minimal typing of the parts of neataptic (untyped CommonJS) that bench/evolution.ts uses.
declare module 'neataptic' {
  interface NeatapticNode {
    type: string;
    bias: number;
  }
  interface NeatapticConnection {
    from: NeatapticNode;
    to: NeatapticNode;
    weight: number;
  }
  interface NeatapticNetwork {
    nodes: NeatapticNode[];
    connections: NeatapticConnection[];
    activate(input: number[]): number[];
    noTraceActivate(input: number[]): number[];
  }
  const neataptic: {
    architect: { Perceptron(...layers: number[]): NeatapticNetwork };
  };
  export default neataptic;
}
