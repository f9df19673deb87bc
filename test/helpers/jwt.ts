import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { watchMinted } from "./token-leaks.ts";

/** JSON Web Tokens for tests: a shared secret, key pairs of each accepted kind, and a minting helper. */

/** The --jwt-secret every test server uses. */
export const SECRET = "test-jwt-secret-0123456789-abcdefghij";

/** The permissions claim, as tests spell it. */
export type Permissions = {
  subscribe?: { events?: string[]; logs?: { level?: string; sources?: string[] } };
  publish?: { events?: string[]; logs?: boolean };
};

export interface MintOptions {
  sub?: string;
  stream?: Permissions | unknown;
  /** Seconds from now; default 300. */
  expiresIn?: number;
  /** Seconds from now the token becomes valid. */
  notBefore?: number;
  /** No exp claim at all. */
  noExp?: boolean;
  alg?: string;
  kid?: string;
  iss?: string;
  aud?: string;
  /** Signs with this key instead of SECRET. */
  key?: CryptoKey | Uint8Array;
}

/**
 * Signs a token (HS256 with SECRET unless told otherwise) and watches it: a server that writes it to its
 * output fails the test (test/setup.ts).
 */
export async function mint({ sub = "alice", stream, expiresIn = 300, notBefore, noExp, alg = "HS256", kid, iss, aud, key }: MintOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT(stream === undefined ? {} : { stream: stream as Record<string, unknown> })
    .setProtectedHeader({ alg, typ: "JWT", ...(kid ? { kid } : {}) })
    .setSubject(sub)
    .setIssuedAt(now);
  if (!noExp) jwt = jwt.setExpirationTime(now + expiresIn);
  if (notBefore !== undefined) jwt = jwt.setNotBefore(now + notBefore);
  if (iss) jwt = jwt.setIssuer(iss);
  if (aud) jwt = jwt.setAudience(aud);
  return watchMinted(await jwt.sign(key ?? new TextEncoder().encode(SECRET)));
}

/** An unsigned token (`alg: none`), as an attacker would send it. */
export function unsigned(payload: Record<string, unknown>): string {
  const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString("base64url");
  return `${part({ alg: "none", typ: "JWT" })}.${part({ exp: Math.floor(Date.now() / 1000) + 300, ...payload })}.`;
}

/** A key pair of one algorithm: its private key, its public key as PEM, and as a JWK with `kid`. */
export async function keyPair(alg: "RS256" | "ES256" | "EdDSA", kid = `${alg}-key`): Promise<{ privateKey: CryptoKey; pem: string; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(alg === "EdDSA" ? { crv: "Ed25519" } : {}) });
  return { privateKey, pem: await exportSPKI(publicKey), jwk: { ...(await exportJWK(publicKey)), kid, alg, use: "sig" } };
}

/** Permissions for `order.*` only: read and publish. */
export const ORDERS: Permissions = { subscribe: { events: ["order.*"] }, publish: { events: ["order.*"] } };
