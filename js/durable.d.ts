// Types of `sluice/durable`: the SluiceCoordinator Durable Object class (Cloudflare Workers).

/**
 * A Durable Object that holds one account's limits (one object per account and model, by
 * name) and leases budget to every limiter given its stub as `coordinator`. Export it from the
 * Worker and bind it (wrangler.jsonc: `durable_objects.bindings` with `class_name:
 * "SluiceCoordinator"`, and a migration with `new_sqlite_classes`).
 */
export declare class SluiceCoordinator {
  constructor(ctx: unknown, env: unknown);
  /** One exchange with a limiter (RPC). Internal to sluice: the wire may change between versions. */
  exchange(message: { isolate: number; ask: number[]; config: { limits: number[]; burst: number } }): { grant: number[] } | { error: string };
  /** Exchanges answered since the object (re)started, isolates heard from lately, and what each bucket holds. */
  stats(): { exchanges: number; isolates: number; available: Record<string, number> };
}
