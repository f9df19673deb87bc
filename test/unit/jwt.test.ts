import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createJwtVerifier, type JwtSettings } from "../../src/access/jwt.ts";
import { keyPair, mint, ORDERS, SECRET, unsigned } from "../helpers/jwt.ts";

/** The verifier alone: every key kind it takes, and every way a token fails, with the reason a client sees. */

const settings = (over: Partial<JwtSettings> = {}): JwtSettings => ({
  jwtSecret: "", jwtPublicKey: undefined, jwks: undefined, jwtIssuer: undefined, jwtAudience: undefined, ...over,
});
const dir = mkdtempSync(join(tmpdir(), "jwt-test-"));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe("a valid token", () => {
  test("HS256 with --jwt-secret: its sub, expiry and permissions become the grant", async () => {
    const verifier = createJwtVerifier(settings({ jwtSecret: SECRET }));
    const verdict = await verifier.verify(await mint({ sub: "alice", stream: ORDERS, expiresIn: 60 }));
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(verdict.grant.sub).toBe("alice");
    expect(verdict.grant.expiresAt! - Date.now()).toBeGreaterThan(50_000);
    expect(verdict.grant.read.events).toEqual({ channel: "events", all: false, exact: [], prefixes: ["order."] });
    expect(verdict.grant.read.logs).toBeUndefined();
    expect(verdict.grant.write.events).toEqual({ channel: "events", all: false, exact: [], prefixes: ["order."] });
  });

  test.each(["RS256", "ES256", "EdDSA"] as const)("%s with --jwt-public-key (a PEM file)", async (alg) => {
    const { privateKey, pem } = await keyPair(alg);
    const verifier = createJwtVerifier(settings({ jwtPublicKey: file(`${alg}.pem`, pem) }));
    expect(await verifier.verify(await mint({ alg, key: privateKey, stream: ORDERS }))).toMatchObject({ ok: true });
    // Another key of the same kind: refused, without saying more than that the signature does not verify.
    const other = await keyPair(alg);
    expect(await verifier.verify(await mint({ alg, key: other.privateKey }))).toMatchObject({ ok: false, reason: "bad_signature" });
  });

  test("--jwks FILE: the key is picked by the token's kid", async () => {
    const [rsa, ec] = await Promise.all([keyPair("RS256", "one"), keyPair("ES256", "two")]);
    const verifier = createJwtVerifier(settings({ jwks: file("keys.json", JSON.stringify({ keys: [rsa.jwk, ec.jwk] })) }));
    expect(await verifier.verify(await mint({ alg: "ES256", kid: "two", key: ec.privateKey }))).toMatchObject({ ok: true });
    expect(await verifier.verify(await mint({ alg: "RS256", kid: "one", key: rsa.privateKey }))).toMatchObject({ ok: true });
    expect(await verifier.verify(await mint({ alg: "RS256", kid: "three", key: rsa.privateKey }))).toMatchObject({ ok: false, reason: "unknown_kid" });
  });

  test("the secret and a key set at once: each token goes to its own key", async () => {
    const rsa = await keyPair("RS256", "k1");
    const verifier = createJwtVerifier(settings({ jwtSecret: SECRET, jwks: file("both.json", JSON.stringify({ keys: [rsa.jwk] })) }));
    expect(await verifier.verify(await mint())).toMatchObject({ ok: true });
    expect(await verifier.verify(await mint({ alg: "RS256", kid: "k1", key: rsa.privateKey }))).toMatchObject({ ok: true });
  });
});

describe("--jwks URL", () => {
  const servers: { stop(force: boolean): unknown }[] = [];
  afterEach(() => void servers.splice(0).forEach((s) => s.stop(true)));

  /** Serves a key set that the test can change, counting fetches. */
  const serveKeys = (keys: unknown[]) => {
    const state = { keys, fetches: 0 };
    const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => (state.fetches++, Response.json({ keys: state.keys })) });
    servers.push(server);
    return { url: `http://127.0.0.1:${server.port}/jwks.json`, state };
  };

  test("fetched once and cached; an unknown kid fetches again, at most once per cooldown", async () => {
    const [one, two] = await Promise.all([keyPair("ES256", "one"), keyPair("ES256", "two")]);
    const { url, state } = serveKeys([one.jwk]);
    const verifier = createJwtVerifier(settings({ jwks: url }));
    const token = await mint({ alg: "ES256", kid: "one", key: one.privateKey });
    expect(await verifier.verify(token)).toMatchObject({ ok: true });
    expect(await verifier.verify(token)).toMatchObject({ ok: true });
    expect(state.fetches).toBe(1);
    // The issuer rotates its keys; right after a fetch, a new kid does not make the server fetch again.
    state.keys = [one.jwk, two.jwk];
    expect(await verifier.verify(await mint({ alg: "ES256", kid: "two", key: two.privateKey }))).toMatchObject({ ok: false, reason: "unknown_kid" });
    expect(state.fetches).toBe(1);
  });

  test("a rotated key is found by fetching the set again once the cooldown is over", async () => {
    const [one, two] = await Promise.all([keyPair("EdDSA", "one"), keyPair("EdDSA", "two")]);
    const { url, state } = serveKeys([one.jwk]);
    const verifier = createJwtVerifier(settings({ jwks: url }), { jwksCooldownMs: 0 });
    expect(await verifier.verify(await mint({ alg: "EdDSA", kid: "one", key: one.privateKey }))).toMatchObject({ ok: true });
    state.keys = [two.jwk];
    expect(await verifier.verify(await mint({ alg: "EdDSA", kid: "two", key: two.privateKey }))).toMatchObject({ ok: true });
    expect(state.fetches).toBe(2);
  });

  test("an unreachable key set is keys_unavailable (the server answers 503: retry), not a bad token", async () => {
    const { url } = serveKeys([]);
    servers.splice(0).forEach((s) => s.stop(true));
    const verifier = createJwtVerifier(settings({ jwks: url }));
    const rsa = await keyPair("RS256", "x");
    expect(await verifier.verify(await mint({ alg: "RS256", kid: "x", key: rsa.privateKey }))).toMatchObject({ ok: false, reason: "keys_unavailable" });
  });
});

describe("a bad token is refused with a reason, and its sub when it can be read", () => {
  const verifier = createJwtVerifier(settings({ jwtSecret: SECRET, jwtIssuer: "https://auth.example", jwtAudience: "stream" }));
  const good = { iss: "https://auth.example", aud: "stream" };
  const cases: Array<[string, () => Promise<string> | string, string, string | undefined]> = [
    ["expired", () => mint({ ...good, sub: "bob", expiresIn: -10 }), "expired", "bob"],
    ["not yet valid", () => mint({ ...good, sub: "bob", notBefore: 3600 }), "not_yet_valid", "bob"],
    ["signed with another secret", () => mint({ ...good, sub: "mallory", key: new TextEncoder().encode("another-secret-0123456789-abcdefghij") }), "bad_signature", "mallory"],
    ["alg none", () => unsigned({ ...good, sub: "mallory" }), "alg_not_allowed", "mallory"],
    ["malformed: not a JWT", () => "not-a-jwt-at-all", "malformed", undefined],
    ["malformed: three parts of garbage", () => "abc.def.ghi", "malformed", undefined],
    ["no exp", () => mint({ ...good, noExp: true }), "bad_claims", "alice"],
    ["another issuer", () => mint({ ...good, iss: "https://evil.example" }), "bad_claims", "alice"],
    ["another audience", () => mint({ ...good, aud: "other" }), "bad_claims", "alice"],
    ["a permissions claim of the wrong shape", () => mint({ ...good, stream: { subscribe: { events: "order.*" } } }), "bad_claims", "alice"],
    ["an unknown permission", () => mint({ ...good, stream: { read: ["*"] } }), "bad_claims", "alice"],
  ];
  test.each(cases)("%s", async (_, token, reason, sub) => {
    const verdict = await verifier.verify(await token());
    expect(verdict).toMatchObject({ ok: false, reason });
    if (verdict.ok) return;
    expect(verdict.sub).toBe(sub);
    // The message speaks to the user and never describes the signature check beyond "does not verify".
    expect(verdict.message.length).toBeGreaterThan(20);
    expect(verdict.message).not.toMatch(/hmac|digest|byte|length|mismatch/i);
  });

  test("a token for another algorithm than the configured keys: alg_not_allowed", async () => {
    const rsa = await keyPair("RS256");
    const only = createJwtVerifier(settings({ jwtPublicKey: file("only.pem", rsa.pem) }));
    expect(await only.verify(await mint())).toMatchObject({ ok: false, reason: "alg_not_allowed" });
  });
});

describe("start-up errors name the flag", () => {
  test("an unreadable or invalid key file", () => {
    expect(() => createJwtVerifier(settings({ jwtPublicKey: join(dir, "missing.pem") }))).toThrow(/--jwt-public-key: could not read/);
    expect(() => createJwtVerifier(settings({ jwtPublicKey: file("bad.pem", "hello") }))).toThrow(/--jwt-public-key .*not a PEM public key/);
    expect(() => createJwtVerifier(settings({ jwks: file("bad.json", "{") }))).toThrow(/--jwks .*not a JSON Web Key Set/);
  });
});
