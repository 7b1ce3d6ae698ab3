import type { ExpiryStrategy } from './ttl-options';

/** What a collection's sweeps did, for dashboards (`getMetrics()`). */
export interface TTLMetrics {
  /** Records whose expiry was carried out, by the strategy that did it. */
  expired: Record<ExpiryStrategy, number>;
  /** Callback errors (each one retried later). */
  callbackErrors: number;
  /** Expiry lag (time of deletion/archival/soft-deletion − expiresAt, wall ms) over the last 1024 expiries. */
  expiryLagMs: { p50: number | undefined; p99: number | undefined; samples: number };
  /** Sweeps completed. */
  sweeps: number;
  /** The last sweep's duration, ms. */
  lastSweepDurationMs: number | undefined;
  /** All sweeps' durations added up, ms. */
  totalSweepDurationMs: number;
  /** The last sweep's storage requests. */
  lastSweepRequests: number | undefined;
  /** All sweeps' storage requests added up. */
  totalSweepRequests: number;
  /** Objects set aside as unreadable, each counted once per version: records and due markers (see `record:corrupt`). */
  corrupt: { records: number; markers: number };
}

const LAG_SAMPLES = 1024;

/** Collects {@link TTLMetrics}. */
export class MetricsRecorder {
  readonly #expired: Record<ExpiryStrategy, number> = { 'hard-delete': 0, 'soft-delete': 0, archive: 0, callback: 0 };
  readonly #lags: number[] = [];
  #lagIndex = 0;
  #callbackErrors = 0;
  #sweeps = 0;
  #lastDuration: number | undefined;
  #totalDuration = 0;
  #lastRequests: number | undefined;
  #totalRequests = 0;
  readonly #corrupt = { records: 0, markers: 0 };

  /** Counts one carried-out expiry and its lag. */
  expired(strategy: ExpiryStrategy, lagMs: number): void {
    this.#expired[strategy] += 1;
    if (this.#lags.length < LAG_SAMPLES) this.#lags.push(lagMs);
    else this.#lags[this.#lagIndex] = lagMs;
    this.#lagIndex = (this.#lagIndex + 1) % LAG_SAMPLES;
  }

  /** Counts an object set aside as unreadable. */
  corrupt(kind: 'records' | 'markers'): void {
    this.#corrupt[kind] += 1;
  }

  /** Counts a callback error. */
  callbackError(): void {
    this.#callbackErrors += 1;
  }

  /** Counts a finished sweep. */
  sweep(durationMs: number, requests: number): void {
    this.#sweeps += 1;
    this.#lastDuration = durationMs;
    this.#totalDuration += durationMs;
    this.#lastRequests = requests;
    this.#totalRequests += requests;
  }

  /** A snapshot. */
  snapshot(): TTLMetrics {
    const sorted = [...this.#lags].sort((left, right) => left - right);
    return {
      expired: { ...this.#expired },
      callbackErrors: this.#callbackErrors,
      expiryLagMs: { p50: percentile(sorted, 0.5), p99: percentile(sorted, 0.99), samples: sorted.length },
      sweeps: this.#sweeps,
      lastSweepDurationMs: this.#lastDuration,
      totalSweepDurationMs: this.#totalDuration,
      lastSweepRequests: this.#lastRequests,
      totalSweepRequests: this.#totalRequests,
      corrupt: { ...this.#corrupt },
    };
  }
}

/** The nearest-rank percentile of ascending `sorted`, or `undefined` when empty. */
export function percentile(sorted: readonly number[], fraction: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))];
}
