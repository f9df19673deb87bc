import { parseArgs } from "node:util";
import { SignJWT } from "jose";
import { ConfigError, JWT_SECRET } from "../config.ts";
import { messageOf } from "../error-text.ts";
import { LOG_LEVELS } from "../log/level.ts";
import { PERMISSIONS_CLAIM, StreamPermissions } from "../protocol/permissions.ts";

/**
 * `stream-server token`: mints an HS256 JSON Web Token for development and tests, with the permissions
 * claim built from flags. Production tokens come from the application that knows its users; this is
 * the quickest way to try the server's permissions without one.
 */

export const TOKEN_HELP = [
  "Usage: stream-server token --secret SECRET --sub NAME [options]",
  "",
  "Prints a JSON Web Token (HS256) that a server started with the same --jwt-secret accepts.",
  "",
  "  --secret SECRET        the server's --jwt-secret (or STREAM_JWT_SECRET in the environment)",
  "  --sub NAME             who holds it: logs name it, never the token",
  "  --subscribe PATTERNS   event types it may read, e.g. 'order.*' or 'order.*,strategy.started' or '*'; repeatable",
  "  --publish PATTERNS     event types it may publish; repeatable",
  `  --logs LEVEL           it may read log lines of this level and above (${LOG_LEVELS.join(", ")})`,
  "  --publish-logs         it may publish log lines",
  "  --ttl DURATION         how long it is valid: 30s, 15m, 1h, 7d (default 1h)",
  "  --issuer ISS           its iss (for a server with --jwt-issuer)",
  "  --audience AUD         its aud (for a server with --jwt-audience)",
  "",
  "Example: stream-server token --secret \"$STREAM_JWT_SECRET\" --sub alice --subscribe 'order.*' --publish 'order.*' --ttl 1h",
].join("\n");

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 };

/** Seconds in `30s`, `15m`, `1h`, `7d` or a plain number of seconds; undefined when it is none of them. */
export function parseTtl(text: string): number | undefined {
  const m = /^(\d{1,9})([smhd]?)$/.exec(text.trim());
  if (!m) return undefined;
  const seconds = Number(m[1]) * UNITS[m[2] || "s"]!;
  return seconds > 0 ? seconds : undefined;
}

const patterns = (values: string[] | undefined) => values?.flatMap((v) => v.split(",").map((p) => p.trim()).filter(Boolean));

/** Builds and signs the token from the subcommand's arguments; throws ConfigError on a bad one. */
export async function mintToken(argv: string[], env: Record<string, string | undefined>, now = Date.now()): Promise<string> {
  let values: Record<string, string | string[] | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        secret: { type: "string" }, sub: { type: "string" }, subscribe: { type: "string", multiple: true }, publish: { type: "string", multiple: true },
        logs: { type: "string" }, "publish-logs": { type: "boolean" }, ttl: { type: "string" }, issuer: { type: "string" }, audience: { type: "string" },
      },
    }));
  } catch (err) {
    throw new ConfigError(`token: ${messageOf(err).split("\n")[0]}; run stream-server token --help`);
  }
  const secret = (values.secret as string | undefined) ?? env.STREAM_JWT_SECRET;
  if (!secret || !JWT_SECRET.pattern.test(secret)) throw new ConfigError(`token: --secret (or STREAM_JWT_SECRET) must be the server's --jwt-secret, ${JWT_SECRET.expects}`);
  const sub = values.sub as string | undefined;
  if (!sub) throw new ConfigError("token: --sub NAME is required: it names the holder in the server's logs");
  const ttl = parseTtl((values.ttl as string | undefined) ?? "1h");
  if (ttl === undefined) throw new ConfigError(`token: --ttl expects a duration such as 30s, 15m, 1h or 7d, got ${JSON.stringify(values.ttl)}`);

  const subscribe = patterns(values.subscribe as string[] | undefined);
  const publish = patterns(values.publish as string[] | undefined);
  const claim = {
    ...(subscribe || values.logs ? { subscribe: { ...(subscribe ? { events: subscribe } : {}), ...(values.logs ? { logs: { level: values.logs } } : {}) } } : {}),
    ...(publish || values["publish-logs"] ? { publish: { ...(publish ? { events: publish } : {}), ...(values["publish-logs"] ? { logs: true } : {}) } } : {}),
  };
  const checked = StreamPermissions.safeParse(claim);
  if (!checked.success) {
    const issue = checked.error.issues[0]!;
    throw new ConfigError(`token: ${issue.path.join(".")}: ${issue.message}`);
  }
  const iat = Math.floor(now / 1000);
  let jwt = new SignJWT({ [PERMISSIONS_CLAIM]: checked.data }).setProtectedHeader({ alg: "HS256", typ: "JWT" }).setSubject(sub).setIssuedAt(iat).setExpirationTime(iat + ttl);
  if (values.issuer) jwt = jwt.setIssuer(values.issuer as string);
  if (values.audience) jwt = jwt.setAudience(values.audience as string);
  return jwt.sign(new TextEncoder().encode(secret));
}

/** `stream-server token …`: prints the token, or the help. */
export async function runToken(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(TOKEN_HELP);
    return 0;
  }
  console.log(await mintToken(argv, env));
  return 0;
}
