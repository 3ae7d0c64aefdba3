// sluice/prometheus: the limiters' metrics as Prometheus text exposition.
import type { Limiter } from './index.js';

export interface PrometheusOptions {
  /** Labels on every series of this limiter, to tell limiters apart (`{ provider: 'openai' }`). */
  labels?: Record<string, string | number | boolean>;
  /** Keys (tenants) that keep their name in the `sluice_key` label; later ones are `_other`. Default 20. */
  maxKeys?: number;
  /** Also expose `gen_ai_client_token_usage` (with `gen_ai_token_type`). Default false. */
  genAi?: boolean;
}

export interface PrometheusMetrics {
  /** The Content-Type to answer a scrape with. */
  readonly contentType: string;
  /** Adds a limiter; returns a function that removes it. */
  add(limiter: Limiter, options?: PrometheusOptions): () => void;
  /** The exposition text (format 0.0.4): each metric once, a series per limiter. */
  text(): string;
}

/** A registry of limiters to expose on `/metrics`. */
export function prometheus(): PrometheusMetrics;
