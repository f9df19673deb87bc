import { roleFor } from "../access/policy.ts";
import type { App } from "./deps.ts";

/**
 * The tokens in the OpenAPI document: a bearer scheme for --publish-token/--subscribe-token and JSON Web Tokens (with the
 * schema of their permissions claim), and one for
 * --metrics-token, so Swagger UI's "Authorize" sends them on a try-out. Which operation needs which
 * comes from the policy table, as the guard itself does.
 */

const TOKEN = "token";
const METRICS_TOKEN = "metricsToken";

/** Whether the policy table guards `method path` with a publish or subscribe token. */
export function guarded(method: string, path: string): boolean {
  return roleFor(method.toUpperCase(), path) !== "open";
}

/**
 * An operation's security requirement: the token scheme, naming the role (OpenAPI 3.1 allows role
 * names for non-OAuth schemes), where the policy table guards it; none (`[]`, explicitly open) elsewhere.
 */
export function securityOf(method: string, path: string): Array<Record<string, string[]>> {
  const role = roleFor(method.toUpperCase(), path);
  return role === "open" ? [] : [{ [TOKEN]: [role] }];
}

/** GET /metrics: open to the policy table, guarded by its own --metrics-token. */
export const METRICS_SECURITY: Array<Record<string, string[]>> = [{ [METRICS_TOKEN]: [] }];

/** Declares the two schemes in components.securitySchemes. */
export function registerSecuritySchemes(app: App) {
  app.openAPIRegistry.registerComponent("securitySchemes", TOKEN, {
    type: "http",
    scheme: "bearer",
    bearerFormat: "static token or JWT",
    description:
      "A token given to the server with --publish-token or --subscribe-token, or a JSON Web Token signed with its --jwt-secret, " +
      "--jwt-public-key or --jwks key; needed only when the server runs with them. " +
      "`publisher` operations need a publish token, `subscriber` ones a subscribe or a publish token. " +
      "A JSON Web Token allows what its `stream` claim lists (the `StreamPermissions` schema, e.g. " +
      '`{"subscribe": {"events": ["order.*"], "logs": {"level": "warn"}}, "publish": {"events": ["order.*"]}}`), until its `exp`: ' +
      "subscriptions and history reads are narrowed to it, publishes of other types are refused with 403. " +
      "Reads also take it as `?token=` (browsers cannot set headers on a WebSocket).",
  });
  app.openAPIRegistry.registerComponent("securitySchemes", METRICS_TOKEN, {
    type: "http",
    scheme: "bearer",
    description: "The token given to the server with --metrics-token; needed only when the server runs with it.",
  });
}
