import type { Config } from "../config.ts";
import type { Channel } from "../hub/channels.ts";
import { then } from "../hub/maybe-promise.ts";
import type { Logger } from "../log/logger.ts";
import { problem, type Problem } from "../protocol/problem.ts";
import type { Refusals } from "./counters.ts";
import { EVERYTHING, holder, type Grant } from "./grant.ts";
import { createJwtVerifier, jwtConfigured, type JwtSettings, type JwtVerdict } from "./jwt.ts";
import { roleFor, type Role } from "./policy.ts";
import type { Publisher } from "./publisher.ts";
import { createRateLimiter } from "./rate-limit.ts";
import { createTokenCheck, presentedToken, type TokenVerdict } from "./tokens.ts";

/** Why a request is turned away (by these rules or the connection limits): an error answer with one of these codes. */
export type Refusal = Problem<"unauthorized" | "forbidden" | "forbidden_origin" | "rate_limited" | "too_many_connections" | "unavailable">;

/** Why a credential is refused: none, a wrong one, or a JSON Web Token that failed (503 only when its keys could not be fetched). */
export type CredentialRefusal = Problem<"unauthorized" | "forbidden" | "unavailable">;

/** A credential, checked: what it grants, or why it is refused. */
export type Checked = { grant: Grant; refusal?: undefined } | { refusal: CredentialRefusal; grant?: undefined };

/** A connection's credential, checked once at the upgrade (or a refresh): what it may read, and who publishes with it. */
export type Connected = { grant: Grant; publisher: Publisher; refusal?: undefined } | { refusal: CredentialRefusal; grant?: undefined };

/**
 * Who may do what: static tokens per role, JSON Web Tokens with their permissions, browser origins for
 * WebSocket upgrades, and the publish rate. Runtime-neutral (plain `Request`s), so the Hono middleware and
 * the WebSocket upgrade share it. Static tokens answer at once; a JSON Web Token is verified asynchronously.
 */
export interface Access {
  /** The grant of a request's token for `role` (by default the role its method and path need), or its refusal. */
  authorize(req: Request, url: URL, role?: Role): Checked | Promise<Checked>;
  /**
   * A connection's credential: `token` as shown at the upgrade or in a refresh frame, checked for
   * subscribing, and the publisher its frames publish as. `remote` is asked only for a rate key.
   */
  connect(token: string | undefined, remote: () => string, what: string): Connected | Promise<Connected>;
  /** Refuses a WebSocket upgrade from a browser origin that is neither on --cors-origin nor `own()` (the server's, as the client addressed it; asked only when needed). */
  checkOrigin(req: Request, own: () => string | undefined): Refusal | undefined;
  /**
   * Who publishes with this request (a POST): the verdict on its token, and its key for the rate: which
   * configured publish token it holds ("publish token #2", never its text), a token's sub, or else its
   * address. `remote` is asked only when the key is needed.
   */
  identify(req: Request, url: URL, remote: () => string): Publisher | Promise<Publisher>;
  /** Refuses a publisher whose credential does not allow publishing (on `channel`, when given): 401 without a valid token, 403 with another one. */
  authorizePublisher(publisher: Publisher, channel?: Channel): CredentialRefusal | undefined;
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
export type AccessSettings = Pick<Config, "publishToken" | "subscribeToken" | "corsOrigin" | "publishRate" | "publishBurst"> & JwtSettings;

/** What a token turned out to be: none, one of the static tokens, a JSON Web Token (checked), or neither. */
type Presented =
  | { kind: "none" }
  | { kind: "static"; publish: number | undefined; subscribe: boolean }
  | { kind: "jwt"; verdict: JwtVerdict }
  | { kind: "unknown" };

/** Builds the access rules from their settings; `refusals` counts what they turn away, `logger` says why a token failed. */
export function createAccess(config: AccessSettings, refusals: Refusals, logger?: Logger): Access {
  const checks = { publisher: createTokenCheck(config.publishToken), subscriber: createTokenCheck(config.subscribeToken) };
  const jwt = jwtConfigured(config) ? createJwtVerifier(config) : undefined;
  // A role is open when nothing could be shown for it: no static token for it, no JSON Web Token keys.
  const open = { publisher: checks.publisher.open && !jwt, subscriber: checks.subscriber.open && !jwt };
  const origins = config.corsOrigin.includes("*") ? undefined : new Set(config.corsOrigin);
  const limiter = createRateLimiter({ ratePerSecond: config.publishRate, burst: config.publishBurst });

  const tokenOf = (req: Request, url: URL, role: Exclude<Role, "open">) =>
    // Only reads accept ?token=: a query string ends up in proxy logs, and publishers can always set headers.
    presentedToken(req, url, role === "subscriber" || req.method === "GET");

  /** Looks a token up: static tokens first (constant time), then, with keys configured, as a JSON Web Token. */
  const present = (token: string | undefined): Presented | Promise<Presented> => {
    if (!token) return { kind: "none" };
    const publish = checks.publisher.identify(token);
    const subscribe = checks.subscriber.identify(token) !== undefined;
    if (publish !== undefined || subscribe) return { kind: "static", publish, subscribe };
    if (!jwt) return { kind: "unknown" };
    return jwt.verify(token).then((verdict) => ({ kind: "jwt", verdict }));
  };

  const missing = (role: Exclude<Role, "open">, what: string): Problem<"unauthorized"> => {
    refusals.unauthorized++;
    const name = jwt ? "token (a static one, or a JSON Web Token)" : role === "publisher" ? "publish token" : "subscribe token";
    return problem("unauthorized", `${what} needs a ${name}: ${HOW[role].send}`, { headers: { "www-authenticate": 'Bearer realm="stream-server"' } });
  };
  const wrong = (role: Exclude<Role, "open">, what: string): Problem<"forbidden"> => {
    refusals.forbidden++;
    return problem("forbidden", `the token is not valid for ${what}; use one of the tokens given to the server with ${HOW[role].flag}`);
  };
  /** A JSON Web Token that failed: 401 with the reason (503 while the key set cannot be fetched), logged with its sub. */
  const invalid = (verdict: JwtVerdict & { ok: false }, what: string): CredentialRefusal => {
    refusals.invalidTokens++;
    logger?.warn("token refused", { reason: verdict.reason, sub: verdict.sub, for: what });
    if (verdict.reason === "keys_unavailable") return problem("unavailable", verdict.message, { headers: { "retry-after": "5" }, details: { retryAfter: 5 } });
    refusals.unauthorized++;
    return problem("unauthorized", `${verdict.message} (${what})`, {
      headers: { "www-authenticate": `Bearer realm="stream-server", error="invalid_token"` },
      details: { reason: verdict.reason },
    });
  };

  /** The subscriber's grant for a looked-up token, or why not. */
  const asSubscriber = (presented: Presented, what: string): Checked => {
    if (open.subscriber) return { grant: EVERYTHING };
    switch (presented.kind) {
      case "none":
        return { refusal: missing("subscriber", what) };
      // Whoever may publish may also read: a publisher's WebSocket carries one token, not two.
      case "static":
        return { grant: EVERYTHING };
      case "jwt":
        return presented.verdict.ok ? { grant: presented.verdict.grant } : { refusal: invalid(presented.verdict, what) };
      case "unknown":
        return { refusal: wrong("subscriber", what) };
    }
  };

  /** The publisher of a looked-up token. */
  const asPublisher = (presented: Presented, remote: () => string): Publisher => {
    const byAddress = () => `address ${remote()}`;
    // Only a token the server knows is an identity: an invented one per request would get a fresh allowance each time.
    if (open.publisher) return { credential: "open", key: byAddress };
    switch (presented.kind) {
      case "none":
        return { credential: "missing", key: byAddress };
      case "static":
        return presented.publish === undefined ? { credential: "wrong", key: byAddress } : { credential: "ok", key: () => `publish token #${presented.publish! + 1}` };
      case "jwt": {
        const { verdict } = presented;
        if (!verdict.ok) return { credential: "wrong", key: byAddress, verdict };
        const sub = verdict.grant.sub;
        return { credential: "ok", grant: verdict.grant, key: sub !== undefined ? () => `sub ${sub}` : byAddress };
      }
      case "unknown":
        return { credential: "wrong", key: byAddress };
    }
  };

  /** A publisher's refusal: none for an open server or a publish credential (allowing `channel`, for a JWT). */
  const authorizePublisher = (publisher: Publisher, channel?: Channel): CredentialRefusal | undefined => {
    switch (publisher.credential) {
      case "open":
        return undefined;
      case "missing":
        return missing("publisher", "publishing");
      case "wrong":
        return publisher.verdict ? invalid(publisher.verdict, "publishing") : wrong("publisher", "publishing");
      case "ok": {
        const grant = publisher.grant;
        if (!grant || channel === undefined || grant.write[channel]) return undefined;
        refusals.forbidden++;
        return problem("forbidden", `${holder(grant)} may not publish on the ${channel} channel; get a token whose stream.publish lists ${channel}`);
      }
    }
  };

  return {
    authorize(req, url, role = roleFor(req.method, url.pathname)) {
      if (role === "open" || open[role]) return { grant: EVERYTHING };
      const what = role === "publisher" ? "publishing" : `reading ${url.pathname}`;
      return then(present(tokenOf(req, url, role)), (presented): Checked => {
        if (role === "subscriber") return asSubscriber(presented, what);
        const refusal = authorizePublisher(asPublisher(presented, () => "unknown"));
        return refusal ? { refusal } : { grant: presented.kind === "jwt" && presented.verdict.ok ? presented.verdict.grant : EVERYTHING };
      });
    },

    connect(token, remote, what) {
      return then(present(token), (presented): Connected => {
        const checked = asSubscriber(presented, what);
        return checked.refusal ? checked : { grant: checked.grant, publisher: asPublisher(presented, remote) };
      });
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
      // With no publish credential configured, skip reading a token at all.
      if (open.publisher) return { credential: "open", key: () => `address ${remote()}` };
      return then(present(tokenOf(req, url, "publisher")), (presented) => asPublisher(presented, remote));
    },

    authorizePublisher,

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
      const opened = [open.publisher && "publishing", open.subscriber && "subscribing"].filter(Boolean);
      if (opened.length === 0) return undefined;
      return `no ${opened.length === 2 ? "tokens" : opened[0] === "publishing" ? "--publish-token" : "--subscribe-token"} configured: ${opened.join(" and ")} open to anyone who can reach this port`;
    },
  };
}

export type { TokenVerdict };
