import type { Config } from "../config.ts";
import { problem, type Problem } from "../protocol/problem.ts";
import type { Refusals } from "./counters.ts";
import { roleFor, type Role } from "./policy.ts";
import type { Publisher } from "./publisher.ts";
import { createRateLimiter } from "./rate-limit.ts";
import { createTokenCheck, presentedToken, type TokenVerdict } from "./tokens.ts";

/** Why a request is turned away (by these rules or the connection limits): an error answer with one of these codes. */
export type Refusal = Problem<"unauthorized" | "forbidden" | "forbidden_origin" | "rate_limited" | "too_many_connections">;

/**
 * Who may do what: tokens per role, browser origins for WebSocket upgrades, and the publish rate.
 * Runtime-neutral (plain `Request`s), so the Hono middleware and the WebSocket upgrade share it.
 */
export interface Access {
  /** Refuses a request whose token does not allow its role (by default, the role its method and path need). */
  authorize(req: Request, url: URL, role?: Role): Refusal | undefined;
  /** Refuses a WebSocket upgrade from a browser origin that is neither on --cors-origin nor `own()` (the server's, as the client addressed it; asked only when needed). */
  checkOrigin(req: Request, own: () => string | undefined): Refusal | undefined;
  /**
   * Who publishes with this request (a POST, or a WebSocket upgrade for its publish frames): the verdict
   * on its token, and its key for the rate: which configured publish token it holds ("publish token #2",
   * never its text), or else its address. `remote` is asked only when the key is needed.
   */
  identify(req: Request, url: URL, remote: () => string): Publisher;
  /** Refuses a publisher whose credential does not allow publishing: 401 without a token, 403 with another one. */
  authorizePublisher(publisher: Publisher): Problem<"unauthorized" | "forbidden"> | undefined;
  /** Counts one publish against the publisher's rate; refuses it past --publish-rate. Asks who only when a rate is set. */
  throttle(publisher: () => string): Problem<"rate_limited"> | undefined;
  /** One line for the start-up log: what is open to everyone. */
  warning(): string | undefined;
}

const HOW = {
  publisher: { flag: "--publish-token", send: "send Authorization: Bearer <token> (over a WebSocket: when connecting, or as ?token=)" },
  subscriber: { flag: "--subscribe-token", send: "send Authorization: Bearer <token> or add ?token=<token> to the URL" },
} as const;

/** The settings the access rules read. */
export type AccessSettings = Pick<Config, "publishToken" | "subscribeToken" | "corsOrigin" | "publishRate" | "publishBurst">;

/** Builds the access rules from their settings; `refusals` counts what they turn away. */
export function createAccess(config: AccessSettings, refusals: Refusals): Access {
  const checks = { publisher: createTokenCheck(config.publishToken), subscriber: createTokenCheck(config.subscribeToken) };
  const origins = config.corsOrigin.includes("*") ? undefined : new Set(config.corsOrigin);
  const limiter = createRateLimiter({ ratePerSecond: config.publishRate, burst: config.publishBurst });

  const tokenOf = (req: Request, url: URL, role: Exclude<Role, "open">) =>
    // Only reads accept ?token=: a query string ends up in proxy logs, and publishers can always set headers.
    presentedToken(req, url, role === "subscriber" || req.method === "GET");

  /** The answer to a token `verdict` for `role`: nothing when it may, 401 when it showed none, 403 for another. */
  const refuse = (role: Exclude<Role, "open">, verdict: TokenVerdict, what: string): Problem<"unauthorized" | "forbidden"> | undefined => {
    if (verdict === "missing") {
      refusals.unauthorized++;
      return problem("unauthorized", `${what} needs a ${role === "publisher" ? "publish" : "subscribe"} token: ${HOW[role].send}`, {
        headers: { "www-authenticate": 'Bearer realm="stream-server"' },
      });
    }
    if (verdict === "wrong") {
      refusals.forbidden++;
      return problem("forbidden", `the token is not valid for ${what}; use one of the tokens given to the server with ${HOW[role].flag}`);
    }
    return undefined;
  };

  return {
    authorize(req, url, role = roleFor(req.method, url.pathname)) {
      if (role === "open" || checks[role].open) return undefined;
      const token = tokenOf(req, url, role);
      let verdict = checks[role].check(token);
      // Whoever may publish may also read: a publisher's WebSocket carries one token, not two.
      if (role === "subscriber" && verdict === "wrong" && checks.publisher.check(token) === "ok") verdict = "ok";
      return refuse(role, verdict, role === "publisher" ? "publishing" : `reading ${url.pathname}`);
    },

    checkOrigin(req, own) {
      const origin = req.headers.get("origin");
      // Non-browser clients send no Origin; the token (if any) is their guard. The server's own origin is
      // a page it served (its console): a page on another site cannot forge Origin, and its browser sends
      // the Host it connects to, so the two match only for pages of this host and port. (A page that
      // rebinds DNS onto this host is same-origin already, and can read it over HTTP.)
      if (!origins || origin === null || origins.has(origin) || origin === own()) return undefined;
      refusals.forbiddenOrigin++;
      return problem("forbidden_origin", `WebSocket connections from origin ${origin} are not allowed; allowed origins: ${[...origins].join(", ")} (--cors-origin)`, {
        details: { origin, allowedOrigins: [...origins] },
      });
    },

    identify(req, url, remote) {
      // Only a token the server knows is an identity: an invented one per request would get a fresh
      // allowance each time. With no publish token configured, skip reading one at all.
      if (checks.publisher.open) return { credential: "open", key: () => `address ${remote()}` };
      const token = tokenOf(req, url, "publisher");
      const known = checks.publisher.identify(token);
      if (known === undefined) return { credential: token ? "wrong" : "missing", key: () => `address ${remote()}` };
      return { credential: "ok", key: () => `publish token #${known + 1}` };
    },

    authorizePublisher(publisher) {
      return refuse("publisher", publisher.credential, "publishing");
    },

    throttle(publisher) {
      if (!limiter.enabled) return undefined;
      const taken = limiter.take(publisher(), Date.now());
      if (taken.ok) return undefined;
      refusals.rateLimited++;
      const seconds = Math.max(1, Math.ceil(taken.retryAfterMs / 1000));
      return problem("rate_limited", `too many publishes: at most ${config.publishRate} per second (bursts of ${config.publishBurst}) per token or address; retry in ${seconds} s or send batches`, {
        headers: { "retry-after": String(seconds) },
        details: { retryAfter: seconds },
      });
    },

    warning() {
      const open = [checks.publisher.open && "publishing", checks.subscriber.open && "subscribing"].filter(Boolean);
      if (open.length === 0) return undefined;
      return `no ${open.length === 2 ? "tokens" : open[0] === "publishing" ? "--publish-token" : "--subscribe-token"} configured: ${open.join(" and ")} open to anyone who can reach this port`;
    },
  };
}
