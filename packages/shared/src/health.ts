import { z } from 'zod';

export const HealthResponse = z.object({
  status: z.enum(['ok', 'degraded']),
  database: z.enum(['up', 'down']),
  version: z.string(),
});
export type HealthResponse = z.infer<typeof HealthResponse>;

export const LivenessResponse = z.object({ status: z.literal('ok'), version: z.string() });
export type LivenessResponse = z.infer<typeof LivenessResponse>;

/** One dependency's state: `skipped` for Redis when none is configured. */
export const CheckState = z.enum(['up', 'down', 'skipped']);

export const ReadinessResponse = z.object({
  status: z.enum(['ready', 'not_ready']),
  checks: z.object({
    database: CheckState,
    /** `down` while migrations are pending (another instance may be running them). */
    migrations: CheckState,
    blobStore: CheckState,
    redis: CheckState,
  }),
  version: z.string(),
});
export type ReadinessResponse = z.infer<typeof ReadinessResponse>;
