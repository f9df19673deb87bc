import { z } from "@hono/zod-openapi";
import { LOG_LEVELS } from "../log/level.ts";
import { TYPE_FILTER } from "./subscription.ts";

/**
 * The permissions claim of a JSON Web Token: what its holder may read and publish, per channel. A
 * channel left out allows nothing on it; `["*"]` allows every type. One schema validates the claim,
 * types it and documents it in the OpenAPI document (and the README shows an example).
 */

/** Why a JSON Web Token was refused: the `reason` of its 401 (`keys_unavailable`: 503, retry later). */
export const TOKEN_FAILURE_REASONS = ["malformed", "expired", "not_yet_valid", "bad_signature", "alg_not_allowed", "unknown_kid", "bad_claims", "keys_unavailable"] as const;

/** The claim's name in the token's payload. */
export const PERMISSIONS_CLAIM = "stream";

const MAX_PATTERNS = 32;

const typePatterns = (what: string) =>
  z
    .array(z.string().max(256).regex(TYPE_FILTER, "use exact types (order.filled), prefix wildcards (order.*) or *"))
    .max(MAX_PATTERNS)
    .openapi({ description: what, example: ["order.*"] });

export const StreamPermissions = z
  .object({
    subscribe: z
      .object({
        events: typePatterns("Event types it may read (WebSocket, Server-Sent Events, history): exact types, `prefix.*` or `*`").optional(),
        logs: z
          .object({
            level: z.enum(LOG_LEVELS).optional().openapi({ description: "Only log lines of this level and above (unset: every level)" }),
            sources: z.array(z.string().min(1).max(256)).max(MAX_PATTERNS).optional().openapi({ description: "Only these sources (unset: every source)" }),
          })
          .strict()
          .optional()
          .openapi({ description: "Log lines it may read; `{}` for all of them", example: { level: "warn" } }),
      })
      .strict()
      .optional(),
    publish: z
      .object({
        events: typePatterns("Event types it may publish (`POST /api/events`, WebSocket publish frames)").optional(),
        logs: z.boolean().optional().openapi({ description: "true: it may publish log lines (`POST /api/logs`)" }),
      })
      .strict()
      .optional(),
  })
  .strict()
  .openapi("StreamPermissions", {
    description:
      `The \`${PERMISSIONS_CLAIM}\` claim of a JSON Web Token: what it may read and publish. A channel left out allows nothing on it. ` +
      "A subscription asking for more than this is narrowed to it; one asking for nothing it allows gets 403",
    example: { subscribe: { events: ["order.*"], logs: { level: "warn" } }, publish: { events: ["order.*"] } },
  });

export type StreamPermissions = z.output<typeof StreamPermissions>;
