import { createPublicKey, type KeyObject } from "node:crypto";
import { readFileSync } from "node:fs";
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, importSPKI, jwtVerify, type CryptoKey, type JWTVerifyGetKey } from "jose";
import type { Config } from "../config.ts";
import { messageOf } from "../error-text.ts";
import { PERMISSIONS_CLAIM, StreamPermissions, type TOKEN_FAILURE_REASONS } from "../protocol/permissions.ts";
import { grantOf, type Grant } from "./grant.ts";

/**
 * Verifies JSON Web Tokens with the keys the server was given (`--jwt-secret`, `--jwt-public-key`,
 * `--jwks`) through `jose`, a maintained JOSE library: no hand-written crypto. A token is verified once
 * per request, connection or refresh, never per delivered frame.
 */
export interface JwtVerifier {
  /** The grant of a valid token, or why it is not one. Never rejects. */
  verify(token: string): Promise<JwtVerdict>;
}

export type TokenFailure = (typeof TOKEN_FAILURE_REASONS)[number];

/**
 * Why a token was refused, as the 401 body's `reason` says it. The messages say what to do and never
 * which part of a signature failed.
 */
export const TOKEN_FAILURES: Record<TokenFailure, string> = {
  malformed: "the token is not a well-formed JSON Web Token (three base64url parts separated by dots)",
  expired: "the token has expired: get a new one (or send a refresh frame before it expires)",
  not_yet_valid: "the token is not valid yet (its nbf is in the future): check the clocks, or wait",
  bad_signature: "the token's signature does not verify with the server's keys: it was signed with another key, or altered",
  alg_not_allowed: "the token's algorithm (alg) is not one the server accepts for its keys",
  unknown_kid: "no key of the server's key set (--jwks) has the token's kid",
  bad_claims: "the token's claims are not valid",
  keys_unavailable: "the server could not fetch its key set (--jwks) to check the token; retry later",
};

export type JwtVerdict =
  | { ok: true; grant: Grant }
  | { ok: false; reason: TokenFailure; message: string; /** The token's `sub`, when it can be read (for logs). */ sub?: string };

/** The JWT settings. */
export type JwtSettings = Pick<Config, "jwtSecret" | "jwtPublicKey" | "jwks" | "jwtIssuer" | "jwtAudience">;

/** Whether any verification key is configured. */
export function jwtConfigured(config: JwtSettings): boolean {
  return Boolean(config.jwtSecret || config.jwtPublicKey || config.jwks);
}

/** The signature algorithm a public key verifies; one per key type, so a token cannot pick a weaker one. */
function algorithmOf(key: KeyObject, file: string): "RS256" | "ES256" | "EdDSA" {
  const type = key.asymmetricKeyType;
  if (type === "rsa") return "RS256";
  if (type === "ec" && key.asymmetricKeyDetails?.namedCurve === "prime256v1") return "ES256";
  if (type === "ed25519") return "EdDSA";
  throw new Error(`--jwt-public-key ${file}: a ${type} key is not supported; use an RSA (RS256), EC P-256 (ES256) or Ed25519 (EdDSA) key`);
}

const readSetting = (flag: string, file: string) => {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`${flag}: could not read ${file}: ${messageOf(err)}`);
  }
};

/** How long a remote key set may go unfetched, and how soon an unknown kid may fetch it again. */
const JWKS_CACHE_MS = 10 * 60_000;
const JWKS_COOLDOWN_MS = 30_000;

/**
 * Builds the verifier; throws (at start-up) for a key file that cannot be read or parsed, with a message
 * naming the flag. `jwksCooldownMs` is for tests: how soon an unknown kid may fetch a remote key set again.
 */
export function createJwtVerifier(config: JwtSettings, { jwksCooldownMs = JWKS_COOLDOWN_MS } = {}): JwtVerifier {
  const secret = config.jwtSecret ? new TextEncoder().encode(config.jwtSecret) : undefined;
  let publicKey: { alg: string; key: Promise<CryptoKey> } | undefined;
  if (config.jwtPublicKey) {
    const pem = readSetting("--jwt-public-key", config.jwtPublicKey);
    let key: KeyObject;
    try {
      key = createPublicKey(pem);
    } catch (err) {
      throw new Error(`--jwt-public-key ${config.jwtPublicKey}: not a PEM public key: ${messageOf(err)}`);
    }
    const alg = algorithmOf(key, config.jwtPublicKey);
    publicKey = { alg, key: importSPKI(key.export({ type: "spki", format: "pem" }) as string, alg) };
  }
  let keySet: JWTVerifyGetKey | undefined;
  if (config.jwks && /^https?:\/\//i.test(config.jwks)) {
    keySet = createRemoteJWKSet(new URL(config.jwks), { cacheMaxAge: JWKS_CACHE_MS, cooldownDuration: jwksCooldownMs });
  } else if (config.jwks) {
    try {
      keySet = createLocalJWKSet(JSON.parse(readSetting("--jwks", config.jwks)));
    } catch (err) {
      throw new Error(`--jwks ${config.jwks}: not a JSON Web Key Set: ${messageOf(err)}`);
    }
  }
  const algorithms = [...(secret ? ["HS256"] : []), ...(publicKey ? [publicKey.alg] : []), ...(keySet ? ["RS256", "ES256", "EdDSA"] : [])];

  /** The key for a token's header: the secret for HS256, the key set when the token names a kid (or there is no public key). */
  const keyFor = async (header: Parameters<JWTVerifyGetKey>[0], token: Parameters<JWTVerifyGetKey>[1]) => {
    if (header.alg === "HS256" && secret) return secret;
    if (keySet && (header.kid !== undefined || !publicKey)) {
      // A fetch that failed (refused, DNS, TLS) is the key set's absence, not a fault of the token.
      return Promise.resolve(keySet(header, token)).catch((err: unknown) => {
        throw /^ERR_J/.test(String((err as { code?: unknown }).code)) ? err : Object.assign(new Error("key set unavailable"), { code: KEYS_UNAVAILABLE });
      });
    }
    if (publicKey && header.alg === publicKey.alg) return publicKey.key;
    throw Object.assign(new Error("no key for this algorithm"), { code: "ERR_JOSE_ALG_NOT_ALLOWED" });
  };

  return {
    async verify(token) {
      try {
        const { payload } = await jwtVerify(token, keyFor, {
          algorithms: [...new Set(algorithms)],
          requiredClaims: ["exp"],
          ...(config.jwtIssuer ? { issuer: config.jwtIssuer } : {}),
          ...(config.jwtAudience ? { audience: config.jwtAudience } : {}),
        });
        // jose checks sub only against an expected value: any other kind would name no one in logs and share one rate key.
        if (payload.sub !== undefined && typeof payload.sub !== "string") {
          return { ok: false, reason: "bad_claims", message: "the token's sub claim is not valid: a subject is a string (RFC 7519)" };
        }
        // Past the last time a Date holds (year 275760): no expiry could be written or timed for it.
        if (payload.exp! * 1000 > MAX_DATE_MS) {
          return { ok: false, reason: "bad_claims", message: "the token's exp claim is not valid: it is past any date (seconds since 1970 expected)", ...subOf(payload.sub) };
        }
        const permissions = StreamPermissions.safeParse(payload[PERMISSIONS_CLAIM] ?? {});
        if (!permissions.success) {
          const issue = permissions.error.issues[0]!;
          const where = [PERMISSIONS_CLAIM, ...issue.path].join(".");
          return { ok: false, reason: "bad_claims", message: `the token's ${where} claim is not valid: ${issue.message}; see docs/access.md`, ...subOf(payload.sub) };
        }
        return { ok: true, grant: grantOf(permissions.data, payload.sub, payload.exp! * 1000) };
      } catch (err) {
        return failure(err, token, config);
      }
    },
  };
}

const KEYS_UNAVAILABLE = "KEYS_UNAVAILABLE";

/** The latest time a Date can hold, in ms since the Unix epoch (ECMAScript: 10^8 days). */
const MAX_DATE_MS = 8.64e15;

const subOf = (sub: unknown) => (typeof sub === "string" ? { sub } : {});

/** Turns jose's error into a reason and a message for the user; never a detail of the signature check. */
function failure(err: unknown, token: string, config: JwtSettings): JwtVerdict & { ok: false } {
  const code = (err as { code?: string }).code;
  const claim = (err as { claim?: string }).claim;
  let sub: string | undefined;
  try {
    sub = subOf(decodeJwt(token).sub).sub;
  } catch {
    // Not readable: logged without a sub.
  }
  const out = (reason: TokenFailure, message: string = TOKEN_FAILURES[reason]) => ({ ok: false as const, reason, message, ...(sub !== undefined ? { sub } : {}) });
  switch (code) {
    case "ERR_JWT_EXPIRED":
      return out("expired");
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      if (claim === "nbf") return out("not_yet_valid");
      if (claim === "iss") return out("bad_claims", `the token's issuer (iss) is not ${JSON.stringify(config.jwtIssuer)} (--jwt-issuer)`);
      if (claim === "aud") return out("bad_claims", `the token's audience (aud) does not include ${JSON.stringify(config.jwtAudience)} (--jwt-audience)`);
      if (claim === "exp") return out("bad_claims", "the token has no expiry (exp): the server accepts only tokens that expire");
      return out("bad_claims", `the token's ${claim ?? "claims"} claim is not valid`);
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return out("bad_signature");
    case "ERR_JOSE_ALG_NOT_ALLOWED":
    case "ERR_JOSE_NOT_SUPPORTED":
      return out("alg_not_allowed", `${TOKEN_FAILURES.alg_not_allowed}: send one signed with ${acceptedAlgs(config)}`);
    case "ERR_JWKS_NO_MATCHING_KEY":
    case "ERR_JWKS_MULTIPLE_MATCHING_KEYS":
      return out("unknown_kid");
    case KEYS_UNAVAILABLE:
    case "ERR_JWKS_TIMEOUT":
    case "ERR_JOSE_GENERIC":
    case "ERR_JWKS_INVALID":
      return out("keys_unavailable");
    default:
      return out("malformed");
  }
}

function acceptedAlgs(config: JwtSettings): string {
  return [config.jwtSecret && "HS256 (--jwt-secret)", config.jwtPublicKey && "the --jwt-public-key's algorithm", config.jwks && "a key of --jwks"].filter(Boolean).join(" or ");
}
