import { parseArgs } from "node:util";
import { z } from "zod";
import { LOG_LEVELS } from "./log/level.ts";
import { DEFAULT_LIMITS } from "./protocol/limits.ts";
import { messageOf } from "./error-text.ts";
import { parseAddressRange } from "./protocol/address.ts";

/**
 * Every setting in one table: flag ⇄ environment variable ⇄ default, each value validated by a zod
 * schema that takes the raw text. Nothing else in the program reads process.env.
 */

/** A setting whose raw text (from a flag or the environment) a schema turns into its value. */
interface Setting<S extends z.ZodType> {
  flag: string;
  env: string;
  schema: S;
  /** Default as raw text, so it goes through the same schema (and shows in --help as typed). */
  default: string | string[];
  /** What the flag expects, for error messages: "--port expects …". */
  expects: string;
  help: string;
  /** Repeatable flag; the environment variable is comma-separated. */
  multiple?: boolean;
  /** A credential: an error names the setting but never shows the value (stderr ends up in log collectors). */
  secret?: boolean;
}

const define = <S extends z.ZodType>(s: Setting<S>) => s;

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** Secrets go in headers and query strings: printable ASCII, no separators that would split a list. */
const TOKEN_LENGTH = { min: 8, max: 512 };
const token = z.string().regex(new RegExp(`^[\\x21-\\x2b\\x2d-\\x7e]{${TOKEN_LENGTH.min},${TOKEN_LENGTH.max}}$`));
/** The rule above in words, for --help and errors: a user learns it before a start fails on it. */
const TOKEN_RULE = `${TOKEN_LENGTH.min} to ${TOKEN_LENGTH.max} printable ASCII characters, no spaces or commas`;

/** A repeatable secret: the flag may be given several times, the variable holds a comma-separated list. */
const tokenList = (flag: string, env: string, help: string) =>
  define({
    flag, env, schema: z.array(token), default: [], multiple: true, secret: true,
    help: `${help}; each token ${TOKEN_RULE}`,
    expects: `a token of ${TOKEN_RULE}`,
  });

/** The rule for --jwt-secret, which the token subcommand applies too: it mints only tokens a server can be started to accept. */
export const JWT_SECRET = { pattern: /^[\x21-\x7e]{32,4096}$/, expects: "a shared secret of 32 to 4096 visible ASCII characters (no spaces)" };

const oneOf = <const T extends readonly [string, ...string[]]>(values: T) => z.enum(values);

export const SETTINGS = {
  port: define({
    flag: "port", env: "PORT", schema: int(0, 65535), default: "8000",
    expects: "a port number from 0 to 65535 (0 picks a free port)", help: "TCP port to listen on",
  }),
  host: define({
    flag: "host", env: "HOST", schema: z.string().min(1), default: "0.0.0.0",
    expects: "a host name or IP address", help: "address to bind (0.0.0.0 = every interface)",
  }),
  corsOrigin: define({
    flag: "cors-origin", env: "STREAM_CORS_ORIGIN", schema: z.array(z.string().regex(/^(\*|https?:\/\/[^\s/]+)$/)),
    default: ["*"], multiple: true,
    expects: "* or an origin such as https://app.example.com", help: "allowed browser origin; repeat for several",
  }),
  logLevel: define({
    flag: "log-level", env: "STREAM_LOG_LEVEL", schema: oneOf(LOG_LEVELS), default: "info",
    expects: `one of ${LOG_LEVELS.join(", ")}`, help: "least severe level written to stdout and /ws/logs",
  }),
  logFormat: define({
    flag: "log-format", env: "STREAM_LOG_FORMAT", schema: oneOf(["pretty", "json"]), default: "pretty",
    expects: "pretty or json", help: "stdout log format: pretty text or JSON lines",
  }),
  maxBodyBytes: define({
    flag: "max-body-bytes", env: "STREAM_MAX_BODY_BYTES", schema: int(1, 1 << 30),
    default: String(DEFAULT_LIMITS.maxBodyBytes),
    expects: "a size in bytes from 1 to 1073741824", help: "largest accepted HTTP request body (413 above)",
  }),
  maxBatch: define({
    flag: "max-batch", env: "STREAM_MAX_BATCH", schema: int(1, 100_000), default: String(DEFAULT_LIMITS.maxBatch),
    expects: "a whole number from 1 to 100000", help: "most items in one publish batch",
  }),
  maxNameLength: define({
    flag: "max-name-length", env: "STREAM_MAX_NAME_LENGTH", schema: int(1, 65_536), default: String(DEFAULT_LIMITS.maxNameLength),
    expects: "a whole number from 1 to 65536", help: "longest event type or source, in characters (400 above)",
  }),
  maxDepth: define({
    flag: "max-depth", env: "STREAM_MAX_DEPTH", schema: int(1, 1000), default: String(DEFAULT_LIMITS.maxDepth),
    expects: "a whole number from 1 to 1000", help: "deepest nesting of objects and arrays in event data and log fields (400 above)",
  }),
  maxFrameBytes: define({
    flag: "max-frame-bytes", env: "STREAM_MAX_FRAME_BYTES", schema: int(16, 1 << 30), default: String(1024 * 1024),
    expects: "a size in bytes from 16 to 1073741824", help: "largest WebSocket frame a client may send (closed with 1009 above)",
  }),
  maxConnections: define({
    flag: "max-connections", env: "STREAM_MAX_CONNECTIONS", schema: int(1, 10_000_000), default: "10000",
    expects: "a whole number from 1 to 10000000",
    help: "most open connections in total, WebSocket and Server-Sent Events streams alike (503 above)",
  }),
  maxConnectionsPerAddress: define({
    flag: "max-connections-per-address", env: "STREAM_MAX_CONNECTIONS_PER_ADDRESS", schema: int(1, 10_000_000), default: "1000",
    expects: "a whole number from 1 to 10000000",
    help: "most open connections (WebSocket and Server-Sent Events) from one remote address (503 above)",
  }),
  publishRate: define({
    flag: "publish-rate", env: "STREAM_PUBLISH_RATE", schema: int(0, 10_000_000), default: "1000",
    expects: "a whole number from 0 to 10000000 (0 = no limit)",
    help: "publish requests per second per token (or per address without one); 429 above",
  }),
  publishBurst: define({
    flag: "publish-burst", env: "STREAM_PUBLISH_BURST", schema: int(1, 10_000_000), default: "2000",
    expects: "a whole number from 1 to 10000000", help: "publish requests allowed at once before --publish-rate applies",
  }),
  maxBufferedBytes: define({
    flag: "max-buffered-bytes", env: "STREAM_MAX_BUFFERED_BYTES", schema: int(1024, 1 << 30), default: String(8 * 1024 * 1024),
    expects: "a size in bytes from 1024 to 1073741824",
    help: "bytes queued for one slow WebSocket client before it gets no new frames (then 1013 once it has read them)",
  }),
  maxInboundFrames: define({
    flag: "max-inbound-frames", env: "STREAM_MAX_INBOUND_FRAMES", schema: int(0, 10_000_000), default: "2000",
    expects: "a whole number from 0 to 10000000 (0 = no limit)",
    help: "frames per second one WebSocket client may send, of any kind (closed with 1008 above; see --inbound-burst)",
  }),
  maxInboundBytes: define({
    flag: "max-inbound-bytes", env: "STREAM_MAX_INBOUND_BYTES", schema: int(0, 1 << 30), default: String(16 * 1024 * 1024),
    expects: "a size in bytes from 0 to 1073741824 (0 = no limit)",
    help: "bytes per second one WebSocket client may send (closed with 1008 above; see --inbound-burst)",
  }),
  inboundBurst: define({
    flag: "inbound-burst", env: "STREAM_INBOUND_BURST", schema: int(1, 3600), default: "2",
    expects: "a number of seconds from 1 to 3600",
    help: "a WebSocket client may send this many seconds' worth of --max-inbound-frames and --max-inbound-bytes at once",
  }),
  compression: define({
    flag: "compression", env: "STREAM_COMPRESSION", schema: oneOf(["off", "on"]), default: "off",
    expects: "off or on",
    help: "permessage-deflate for WebSocket clients that offer it (browsers do): 4–10× fewer bytes on the wire, for ~15× the server CPU per frame sent and ~150 KB of memory per such client",
  }),
  idleTimeout: define({
    flag: "idle-timeout", env: "STREAM_IDLE_TIMEOUT", schema: int(0, 960), default: "60",
    expects: "seconds from 0 to 960 (0 = never; 1 to 7 count as 8)",
    help: "a WebSocket client that answers nothing (not even pings) this long is closed",
  }),
  shutdownTimeout: define({
    flag: "shutdown-timeout", env: "STREAM_SHUTDOWN_TIMEOUT", schema: int(0, 3600), default: "10",
    expects: "seconds from 0 to 3600", help: "longest a graceful shutdown waits for publishes and clients before exiting",
  }),
  publishToken: tokenList("publish-token", "STREAM_PUBLISH_TOKEN", "bearer token required to publish; repeat for several (none = anyone may publish)"),
  subscribeToken: tokenList(
    "subscribe-token", "STREAM_SUBSCRIBE_TOKEN", "bearer token (or ?token=) required to subscribe and read history; repeat for several",
  ),
  jwtSecret: define({
    flag: "jwt-secret", env: "STREAM_JWT_SECRET", schema: z.string().refine((v) => v === "" || JWT_SECRET.pattern.test(v)), default: "", secret: true,
    expects: JWT_SECRET.expects,
    help: "accept JSON Web Tokens signed with this HS256 secret (their stream claim says what they may read and publish; see docs/access.md)",
  }),
  jwtPublicKey: define({
    flag: "jwt-public-key", env: "STREAM_JWT_PUBLIC_KEY", schema: z.string().transform((v) => v.trim() || undefined), default: "",
    expects: "the path of a PEM public key file (RSA, EC P-256 or Ed25519)", help: "accept JSON Web Tokens signed with the private half of this key (RS256, ES256 or EdDSA)",
  }),
  jwks: define({
    flag: "jwks", env: "STREAM_JWKS", schema: z.string().transform((v) => v.trim() || undefined), default: "",
    expects: "a JWKS file path or an https:// (or http://) URL",
    help: "accept JSON Web Tokens signed with a key of this JSON Web Key Set, picked by kid; a URL is fetched, cached and fetched again for an unknown kid",
  }),
  jwtIssuer: define({
    flag: "jwt-issuer", env: "STREAM_JWT_ISSUER", schema: z.string().transform((v) => v.trim() || undefined), default: "",
    expects: "the issuer (iss) tokens must name", help: "when set, a JSON Web Token's iss must be this",
  }),
  jwtAudience: define({
    flag: "jwt-audience", env: "STREAM_JWT_AUDIENCE", schema: z.string().transform((v) => v.trim() || undefined), default: "",
    expects: "the audience (aud) tokens must name", help: "when set, a JSON Web Token's aud must include this",
  }),
  historySize: define({
    flag: "history-size", env: "STREAM_HISTORY_SIZE", schema: int(1, 10_000_000), default: "10000",
    expects: "a whole number from 1 to 10000000", help: "entries of history kept per channel",
  }),
  historyMaxAge: define({
    flag: "history-max-age", env: "STREAM_HISTORY_MAX_AGE", schema: int(0, 10 * 365 * 86_400), default: "0",
    expects: "a number of seconds (0 = no age limit)", help: "drop history entries older than this many seconds (0: keep until --history-size evicts them)",
  }),
  data: define({
    flag: "data", env: "STREAM_DATA", schema: z.string().transform((v) => v.trim() || undefined), default: "",
    expects: "a directory path", help: "keep history and seqs in SQLite in this directory, so a restart loses nothing (unset: in memory)",
  }),
  dataSync: define({
    flag: "data-sync", env: "STREAM_DATA_SYNC", schema: oneOf(["full", "normal"]), default: "full",
    expects: "full or normal",
    help: "with --data: full = each publish is fsynced before it is answered; normal = faster, survives a crash of the process but not of the machine",
  }),
  sseHeartbeatMs: define({
    flag: "sse-heartbeat-ms", env: "STREAM_SSE_HEARTBEAT_MS", schema: int(100, 3_600_000), default: "15000",
    expects: "milliseconds from 100 to 3600000", help: "interval of the comment line that keeps idle Server-Sent Events streams open through proxies",
  }),
  checkpointMs: define({
    flag: "checkpoint-ms", env: "STREAM_CHECKPOINT_MS", schema: int(0, 3_600_000), default: "5000",
    expects: "milliseconds from 0 to 3600000 (0 = off)",
    help: "a filtered subscriber gets a checkpoint frame (its resume position) after this long without a match while the channel moves on (0 = never)",
  }),
  metricsToken: define({
    flag: "metrics-token", env: "STREAM_METRICS_TOKEN", schema: z.string().regex(/^[\x21-\x7e]*$/), default: "", secret: true,
    expects: "a token of visible ASCII characters (no spaces)", help: "if set, GET /metrics needs Authorization: Bearer <token>",
  }),
  trustedProxy: define({
    flag: "trusted-proxy", env: "STREAM_TRUSTED_PROXY", default: [], multiple: true,
    schema: z.array(z.string().transform((v, ctx) => parseAddressRange(v) ?? (ctx.addIssue({ code: "custom", message: "not an address" }), z.NEVER))),
    expects: "an IP address or CIDR range such as 10.0.0.5, 10.0.0.0/8 or fd00::/8",
    help: "a reverse proxy (address or CIDR range) whose X-Forwarded-For or Forwarded header names the client, for per-address limits, the publish rate and logs; repeat for several (none: the peer is the client)",
  }),
  redis: define({
    flag: "redis", env: "STREAM_REDIS_URL",
    schema: z.string().regex(/^((rediss?|valkeys?)(\+unix)?:\/\/\S+)?$/).transform((v) => v || undefined), default: "",
    expects: "a Redis URL such as redis://localhost:6379 (rediss:// for TLS)",
    help: "share streams through Redis so several instances act as one (unset: in memory)",
  }),
  redisTimeoutMs: define({
    flag: "redis-timeout-ms", env: "STREAM_REDIS_TIMEOUT_MS", schema: int(50, 300_000), default: "5000",
    expects: "milliseconds from 50 to 300000",
    help: "with --redis: how long a publish or history read waits for Redis to answer before it gets 503 (a stalled Redis then fails publishes at once until it answers again)",
  }),
  redisPrefix: define({
    flag: "redis-prefix", env: "STREAM_REDIS_PREFIX", schema: z.string().regex(/^\S{1,200}$/), default: "stream:",
    expects: "1 to 200 characters without spaces", help: "prefix of every Redis key (one per deployment sharing a Redis)",
  }),
};

type Settings = typeof SETTINGS;
export type Config = { [K in keyof Settings]: z.output<Settings[K]["schema"]> } & {
  /**
   * How the user gave each setting, for messages about it: `--data`, or `STREAM_DATA` when it came from
   * the environment (a message naming a flag the user never typed sends them looking in the wrong place).
   * The flag for a setting left at its default.
   */
  readonly names: { readonly [K in keyof Settings]: string };
};

/** A bad command line or environment: the message names the flag and what it expects. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses the command line and environment into a validated config; throws ConfigError on bad input. */
export function loadConfig(argv: string[], env: Record<string, string | undefined> = {}): Config {
  const options = Object.fromEntries(
    Object.values(SETTINGS).map((s) => [s.flag, { type: "string" as const, multiple: s.multiple ?? false }]),
  );
  let values: Record<string, string | string[] | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }) as {
      values: Record<string, string | string[] | undefined>;
    });
  } catch (err) {
    throw new ConfigError(describeParseError(err));
  }

  const config: Record<string, unknown> = {};
  const names: Record<string, string> = {};
  for (const [key, s] of Object.entries(SETTINGS) as [string, Setting<z.ZodType>][]) {
    const fromFlag = values[s.flag];
    const fromEnv = env[s.env];
    names[key] = fromFlag === undefined && fromEnv !== undefined ? s.env : `--${s.flag}`;
    const source = fromFlag !== undefined ? `--${s.flag}` : fromEnv !== undefined ? `${s.env} (environment)` : undefined;
    let raw = fromFlag ?? fromEnv ?? s.default;
    if (s.multiple && typeof raw === "string") raw = raw.split(",").map((v) => v.trim()).filter(Boolean);
    const parsed = s.schema.safeParse(raw);
    if (!parsed.success) {
      // In a list, show the value at fault (zod's issue path holds its index), not the whole list.
      const at = parsed.error.issues[0]?.path[0];
      const bad = Array.isArray(raw) ? (typeof at === "number" && raw[at] !== undefined ? raw[at] : raw.join(",")) : raw;
      const shown = s.secret ? "a value not shown here (it is a secret)" : JSON.stringify(bad);
      throw new ConfigError(`${source ?? `--${s.flag}`} expects ${s.expects}, got ${shown}`);
    }
    config[key] = parsed.data;
  }
  if (config.redis && config.data) {
    throw new ConfigError(
      `${names.data} and ${names.redis} cannot be combined: with Redis the history lives in Redis (make Redis persistent instead); drop one of them`,
    );
  }
  return { ...config, names } as Config;
}

/** The --help text, generated from the settings table. */
export function helpText(): string {
  const rows = Object.values(SETTINGS).map((s) => {
    const def = (Array.isArray(s.default) ? s.default.join(",") : s.default) || "(none)";
    return `  --${s.flag.padEnd(28)} ${s.help}\n  ${"".padEnd(30)} env ${s.env}, default ${def}${s.multiple ? ", repeatable" : ""}`;
  });
  return [
    "stream-server — real-time event and log streaming over WebSocket and HTTP",
    "",
    "Usage:",
    "  stream-server [options]          run the server",
    "  stream-server healthcheck        exit 0 if the server on --port answers /api/health (for Docker)",
    "  stream-server tail [URL]         follow a stream, resuming across restarts (tail --help)",
    "  stream-server publish [URL] …    publish events or a log line, acknowledged (publish --help)",
    "  stream-server token --help       mint a JSON Web Token for development and tests",
    "",
    "Options:",
    ...rows,
    `  --${"help".padEnd(28)} show this help`,
    `  --${"version".padEnd(28)} print the version`,
  ].join("\n");
}

function describeParseError(err: unknown): string {
  const message = messageOf(err);
  const unknown = /Unknown option '([^']+)'/.exec(message);
  if (unknown) return `unknown option ${unknown[1]}; run stream-server --help for the list of options`;
  const missing = /Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(message);
  if (missing) return `${missing[1]} needs a value; run stream-server --help`;
  const ambiguous = /Option '(?:-\w, )?(--[\w-]+)' argument is ambiguous/.exec(message);
  if (ambiguous) return `${ambiguous[1]} got a value starting with "-"; write it as ${ambiguous[1]}=VALUE if you meant it`;
  const positional = /Unexpected argument '([^']+)'/.exec(message);
  if (positional) return `unexpected argument ${positional[1]}; run stream-server --help`;
  return `${message.split("\n")[0]}; run stream-server --help`;
}
