// sluice/otel: a limiter's metrics on an OpenTelemetry meter. Structural types, so that the
// package needs no @opentelemetry/api types: a `Meter` from `metrics.getMeter()` fits.
import type { Limiter } from './index.js';

/** Attribute values, as OpenTelemetry takes them. */
export type Attributes = Record<string, string | number | boolean | Array<string | number | boolean>>;

/** The part of an OpenTelemetry `Meter` that sluice uses. */
export interface MeterLike {
  createObservableGauge(name: string, options?: { unit?: string; description?: string }): object;
  createObservableCounter(name: string, options?: { unit?: string; description?: string }): object;
  createCounter(name: string, options?: { unit?: string; description?: string }): object;
  createHistogram(name: string, options?: { unit?: string; description?: string; advice?: { explicitBucketBoundaries?: number[] } }): object;
  addBatchObservableCallback(callback: (result: any) => void, observables: any[]): void;
  removeBatchObservableCallback(callback: (result: any) => void, observables: any[]): void;
}

export interface InstrumentOptions {
  /** The application's meter: `metrics.getMeter('my-app')` from `@opentelemetry/api`. */
  meter: MeterLike;
  /** Attributes on every point, to tell limiters apart (`{ 'sluice.limiter': 'openai' }`). */
  attributes?: Attributes;
  /** Keys (tenants) that keep their name in the `sluice.key` attribute; later ones are `_other`. Default 20. */
  maxKeys?: number;
  /** Also record OpenTelemetry's GenAI `gen_ai.client.token.usage` (with `gen_ai.token.type`). Default false. */
  genAi?: boolean;
}

/** Registers `limiter`'s metrics with the meter; returns a function that stops reporting. */
export function instrument(limiter: Limiter, options: InstrumentOptions): () => void;
