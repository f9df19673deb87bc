import { describe, expect, test } from "bun:test";
import { createAccess } from "../../src/access/access.ts";
import { createJwtVerifier } from "../../src/access/jwt.ts";
import { createRefusals } from "../../src/access/counters.ts";
import { mintToken, parseTtl } from "../../src/cli/token.ts";
import { ConfigError, loadConfig } from "../../src/config.ts";
import { SECRET } from "../helpers/jwt.ts";
import { watchMinted } from "../helpers/token-leaks.ts";

/** `stream-server token` and the JWT settings: what a developer types, and what the server makes of it. */
const verifier = createJwtVerifier({ jwtSecret: SECRET, jwtPublicKey: undefined, jwks: undefined, jwtIssuer: "iss-1", jwtAudience: "aud-1" });

describe("stream-server token", () => {
  test("mints a token whose claims are the flags, which the server verifies", async () => {
    const token = watchMinted(await mintToken(
      ["--secret", SECRET, "--sub", "alice", "--subscribe", "order.*,strategy.started", "--subscribe", "risk.alert", "--publish", "order.*",
        "--logs", "warn", "--publish-logs", "--ttl", "15m", "--issuer", "iss-1", "--audience", "aud-1"],
      {},
    ));
    const verdict = await verifier.verify(token);
    expect(verdict.ok).toBe(true);
    if (!verdict.ok) return;
    expect(verdict.grant.sub).toBe("alice");
    expect(verdict.grant.permissions).toEqual({
      subscribe: { events: ["order.*", "strategy.started", "risk.alert"], logs: { level: "warn" } },
      publish: { events: ["order.*"], logs: true },
    });
    expect(Math.round((verdict.grant.expiresAt! - Date.now()) / 60_000)).toBe(15);
  });

  test("takes the secret from STREAM_JWT_SECRET", async () => {
    const token = watchMinted(await mintToken(["--sub", "bob", "--issuer", "iss-1", "--audience", "aud-1"], { STREAM_JWT_SECRET: SECRET }));
    expect(await verifier.verify(token)).toMatchObject({ ok: true, grant: { sub: "bob", read: {}, write: {} } });
  });

  test("bad flags are refused with what to do, never echoing the secret", async () => {
    const refused = async (argv: string[]) => {
      const err = await mintToken(argv, {}).then(() => undefined, (e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      return (err as Error).message;
    };
    expect(await refused(["--secret", "too-short", "--sub", "x"])).not.toContain("too-short");
    // A secret the server refuses at start (a space, over 4096 characters) mints no token it could never accept.
    const spaced = `${SECRET} with spaces`;
    expect(await refused(["--secret", spaced, "--sub", "x"])).toContain("visible ASCII");
    expect(await refused(["--secret", spaced, "--sub", "x"])).not.toContain(spaced);
    expect(await refused(["--secret", "s".repeat(4097), "--sub", "x"])).toContain("32 to 4096");
    expect(await refused(["--secret", SECRET])).toContain("--sub NAME is required");
    expect(await refused(["--secret", SECRET, "--sub", "x", "--ttl", "1y"])).toContain("--ttl expects a duration");
    expect(await refused(["--secret", SECRET, "--sub", "x", "--subscribe", "order.**"])).toContain("subscribe.events.0");
    expect(await refused(["--secret", SECRET, "--sub", "x", "--logs", "loud"])).toContain("subscribe.logs.level");
    expect(await refused(["--secret", SECRET, "--sub", "x", "--bogus"])).toContain("token --help");
  });

  test("durations", () => {
    expect([parseTtl("30s"), parseTtl("15m"), parseTtl("1h"), parseTtl("7d"), parseTtl("90")]).toEqual([30, 900, 3600, 604_800, 90]);
    expect([parseTtl("0"), parseTtl("1h30m"), parseTtl("-1h"), parseTtl("")]).toEqual([undefined, undefined, undefined, undefined]);
  });
});

describe("JWT settings", () => {
  test("a --jwt-secret shorter than 32 characters is refused at start, without showing it", () => {
    expect(() => loadConfig(["--jwt-secret", "short-secret"])).toThrow(ConfigError);
    expect(() => loadConfig(["--jwt-secret", "short-secret"])).toThrow(/--jwt-secret expects a shared secret of 32 to 4096 .*not shown/);
  });

  test("a JWT's sub is its publisher key for --publish-rate", async () => {
    const access = createAccess(loadConfig(["--jwt-secret", SECRET]), createRefusals());
    const token = watchMinted(await mintToken(["--secret", SECRET, "--sub", "carol", "--publish", "*"], {}));
    const url = "http://x/api/events";
    const publisher = await access.identify(new Request(url, { method: "POST", headers: { authorization: `Bearer ${token}` } }), new URL(url), () => "10.0.0.7");
    expect(publisher.key()).toBe("sub carol");
  });
});
