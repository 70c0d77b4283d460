import { ColdrootError } from '../errors.js';

/**
 * Holt's linear trend method (double exponential smoothing) on a regularly spaced series:
 *   level_t = α·y_t + (1 − α)(level_{t−1} + trend_{t−1})
 *   trend_t = β·(level_t − level_{t−1}) + (1 − β)·trend_{t−1}
 * forecast h steps ahead = level + h·trend. Without a given α and β they are chosen by least
 * squares on one-step-ahead errors over a grid, which is deterministic and cheap for the
 * few hundred points a degradation forecast looks at.
 */

export interface HoltOptions {
  alpha?: number;
  beta?: number;
}

export interface HoltModel {
  readonly alpha: number;
  readonly beta: number;
  /** Smoothed level at the last point. */
  readonly level: number;
  /** Smoothed change per step at the last point. */
  readonly trend: number;
  /** Standard deviation of one-step-ahead errors. */
  readonly sigma: number;
  readonly n: number;
}

const ALPHAS = Array.from({ length: 19 }, (_, i) => 0.05 * (i + 1));
const BETAS = [0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5];

export function fitHolt(values: ArrayLike<number>, options: HoltOptions = {}): HoltModel {
  const n = values.length;
  if (n < 3) {
    throw new ColdrootError('MODEL_SERIES_TOO_SHORT', `Holt's trend needs at least 3 points, got ${n}`,
      'Collect more history before forecasting.');
  }
  for (const [name, v] of [['alpha', options.alpha], ['beta', options.beta]] as const) {
    if (v !== undefined && !(v > 0 && v <= 1)) {
      throw new ColdrootError('MODEL_BAD_OPTION', `Holt ${name} must be in (0, 1], got ${v}`, `Give ${name} in (0, 1], or leave it out to fit it.`);
    }
  }
  const alphas = options.alpha !== undefined ? [options.alpha] : ALPHAS;
  const betas = options.beta !== undefined ? [options.beta] : BETAS;
  let best: HoltModel | undefined;
  let bestSse = Infinity;
  for (const alpha of alphas) {
    for (const beta of betas) {
      const run = runHolt(values, alpha, beta);
      if (run.sse < bestSse) {
        bestSse = run.sse;
        best = { alpha, beta, level: run.level, trend: run.trend, sigma: Math.sqrt(run.sse / Math.max(1, n - 3)), n };
      }
    }
  }
  return best!;
}

/** Point forecast h steps after the last point. */
export function holtForecast(model: HoltModel, h: number): number {
  return model.level + h * model.trend;
}

/**
 * Standard deviation of the h-step forecast error for the equivalent state-space model
 * ETS(A,A,N) (Hyndman et al. 2008, table 6.1): σ²·[1 + (h − 1)(a² + a·b·h + b²·h(2h − 1)/6)],
 * with a = α and b = α·β (the error-correction form of the trend weight).
 */
export function holtForecastSd(model: HoltModel, h: number): number {
  const a = model.alpha;
  const b = model.alpha * model.beta;
  const k = Math.max(0, h - 1);
  return model.sigma * Math.sqrt(1 + k * (a * a + a * b * h + (b * b * h * (2 * h - 1)) / 6));
}

function runHolt(y: ArrayLike<number>, alpha: number, beta: number): { level: number; trend: number; sse: number } {
  // Start from a least-squares line through the first few points, so one noisy first
  // difference does not set the initial trend.
  const k = Math.min(y.length, 6);
  let sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (let i = 0; i < k; i++) {
    sx += i;
    sy += y[i];
    sxx += i * i;
    sxy += i * y[i];
  }
  let trend = (k * sxy - sx * sy) / (k * sxx - sx * sx);
  let level = (sy - trend * sx) / k - trend; // the line's value one step before y[0]
  let sse = 0;
  for (let t = 0; t < y.length; t++) {
    const predicted = level + trend;
    const error = y[t] - predicted;
    sse += error * error;
    const previous = level;
    level = predicted + alpha * error;
    trend = beta * (level - previous) + (1 - beta) * trend;
  }
  return { level, trend, sse };
}
