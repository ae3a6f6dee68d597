/**
 * Cart-pole physics of the NEAT / ESP double pole benchmark (Gomez's code used
 * by Stanley & Miikkulainen 2002): frictionless track except the poles' hinge
 * friction MUP, 4th-order Runge–Kutta with TAU = 0.01 s, two integration
 * steps per network decision (0.02 s), force ±10 N.
 *
 * State: [x, ẋ, θ1, θ̇1, θ2, θ̇2] (θ2 unused with one pole).
 */
export const CARTPOLE = {
  gravity: -9.8,
  massCart: 1.0,
  massPole1: 0.1,
  length1: 0.5, // half length of the long pole
  massPole2: 0.01,
  length2: 0.05, // half length of the short pole
  mup: 0.000002,
  forceMag: 10.0,
  tau: 0.01,
  trackLimit: 2.4,
  /** Failure angle of the double-pole tasks (36°). */
  doubleFailureAngle: 0.628329,
  /** Failure angle of the single-pole task (12°). */
  singleFailureAngle: 0.2094384,
  /** Initial long-pole angle in the NEAT code (0.07 rad ≈ 4°). */
  startAngle: 0.07,
} as const;

const { gravity, massCart, massPole1, length1, massPole2, length2, mup, forceMag, tau } = CARTPOLE;
const ml1 = length1 * massPole1;
const ml2 = length2 * massPole2;

/** A cart with one or two poles; allocation-free stepping. */
export class CartPole {
  readonly state = new Float64Array(6);
  private readonly dydx = new Float64Array(6);
  private readonly dym = new Float64Array(6);
  private readonly dyt = new Float64Array(6);
  private readonly yt = new Float64Array(6);

  constructor(readonly twoPoles: boolean) {}

  /** Sets the state (θ2 and θ̇2 default to 0). */
  reset(
    x: number,
    xDot: number,
    theta1: number,
    theta1Dot: number,
    theta2 = 0,
    theta2Dot = 0,
  ): void {
    const s = this.state;
    s[0] = x;
    s[1] = xDot;
    s[2] = theta1;
    s[3] = theta1Dot;
    s[4] = theta2;
    s[5] = theta2Dot;
  }

  /** Derivatives of the velocity components at state `st` under `force` (positions filled by the caller). */
  private derivs(force: number, st: Float64Array, d: Float64Array): void {
    const cos1 = Math.cos(st[2] as number);
    const sin1 = Math.sin(st[2] as number);
    const gsin1 = gravity * sin1;
    const temp1 = (mup * (st[3] as number)) / ml1;
    const fi1 =
      ml1 * (st[3] as number) * (st[3] as number) * sin1 +
      0.75 * massPole1 * cos1 * (temp1 + gsin1);
    const mi1 = massPole1 * (1 - 0.75 * cos1 * cos1);
    if (this.twoPoles) {
      const cos2 = Math.cos(st[4] as number);
      const sin2 = Math.sin(st[4] as number);
      const gsin2 = gravity * sin2;
      const temp2 = (mup * (st[5] as number)) / ml2;
      const fi2 =
        ml2 * (st[5] as number) * (st[5] as number) * sin2 +
        0.75 * massPole2 * cos2 * (temp2 + gsin2);
      const mi2 = massPole2 * (1 - 0.75 * cos2 * cos2);
      const acc = (force + fi1 + fi2) / (mi1 + mi2 + massCart);
      d[1] = acc;
      d[3] = (-0.75 * (acc * cos1 + gsin1 + temp1)) / length1;
      d[5] = (-0.75 * (acc * cos2 + gsin2 + temp2)) / length2;
    } else {
      const acc = (force + fi1) / (mi1 + massCart);
      d[1] = acc;
      d[3] = (-0.75 * (acc * cos1 + gsin1 + temp1)) / length1;
      d[5] = 0;
    }
  }

  private rk4(force: number): void {
    const y = this.state;
    const { dydx, dym, dyt, yt } = this;
    const hh = tau * 0.5;
    const h6 = tau / 6.0;
    for (let i = 0; i < 6; i++) yt[i] = (y[i] as number) + hh * (dydx[i] as number);
    this.derivs(force, yt, dyt);
    dyt[0] = yt[1] as number;
    dyt[2] = yt[3] as number;
    dyt[4] = yt[5] as number;
    for (let i = 0; i < 6; i++) yt[i] = (y[i] as number) + hh * (dyt[i] as number);
    this.derivs(force, yt, dym);
    dym[0] = yt[1] as number;
    dym[2] = yt[3] as number;
    dym[4] = yt[5] as number;
    for (let i = 0; i < 6; i++) {
      yt[i] = (y[i] as number) + tau * (dym[i] as number);
      dym[i] = (dym[i] as number) + (dyt[i] as number);
    }
    this.derivs(force, yt, dyt);
    dyt[0] = yt[1] as number;
    dyt[2] = yt[3] as number;
    dyt[4] = yt[5] as number;
    for (let i = 0; i < 6; i++) {
      y[i] =
        (y[i] as number) +
        h6 * ((dydx[i] as number) + (dyt[i] as number) + 2.0 * (dym[i] as number));
    }
  }

  /**
   * Applies an action for one decision period (two RK4 steps). `action` is the
   * network output: force = 10 N × clamp(action, -1, 1); NaN pushes nothing.
   */
  step(action: number): void {
    const a = action > 1 ? 1 : action < -1 ? -1 : action === action ? action : 0;
    const force = a * forceMag;
    for (let k = 0; k < 2; k++) {
      const s = this.state;
      this.dydx[0] = s[1] as number;
      this.dydx[2] = s[3] as number;
      this.dydx[4] = s[5] as number;
      this.derivs(force, s, this.dydx);
      this.rk4(force);
    }
  }

  /** True when the cart left the track or a pole fell past `failureAngle`. */
  failed(failureAngle: number): boolean {
    const s = this.state;
    const x = s[0] as number;
    const t1 = s[2] as number;
    const t2 = s[4] as number;
    return (
      !(x >= -CARTPOLE.trackLimit && x <= CARTPOLE.trackLimit) ||
      !(t1 >= -failureAngle && t1 <= failureAngle) ||
      (this.twoPoles && !(t2 >= -failureAngle && t2 <= failureAngle))
    );
  }
}
