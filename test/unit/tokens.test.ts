import { describe, expect, test } from "bun:test";
import { createTokenCheck, presentedToken } from "../../src/access/tokens.ts";

describe("token check", () => {
  test("no tokens: open", () => {
    const check = createTokenCheck([]);
    expect(check.open).toBe(true);
    expect(check.check(undefined)).toBe("open");
    expect(check.check("anything")).toBe("open");
  });

  test("missing, wrong (including prefixes and longer strings) and right", () => {
    const check = createTokenCheck(["alpha-123456", "beta-1234567"]);
    expect(check.check(undefined)).toBe("missing");
    expect(check.check("")).toBe("missing");
    expect(check.check("alpha-12345")).toBe("wrong");
    expect(check.check("alpha-1234567")).toBe("wrong");
    expect(check.check("ALPHA-123456")).toBe("wrong");
    expect(check.check("alpha-123456")).toBe("ok");
    expect(check.check("beta-1234567")).toBe("ok");
  });

  test("identify: the position of a configured token, or undefined for any other (the rate's key)", () => {
    const check = createTokenCheck(["alpha-123456", "beta-1234567"]);
    expect(check.identify("alpha-123456")).toBe(0);
    expect(check.identify("beta-1234567")).toBe(1);
    expect(check.identify("made-up-token")).toBeUndefined();
    expect(check.identify(undefined)).toBeUndefined();
    expect(createTokenCheck([]).identify("anything")).toBeUndefined();
  });

  test("presented token: Bearer header (any case), ?token= only where allowed, other schemes carry none", () => {
    const url = new URL("http://x/ws?token=from-query");
    const req = (auth?: string) => new Request(url.href, { headers: auth ? { authorization: auth } : {} });
    expect(presentedToken(req("Bearer abc"), url, false)).toBe("abc");
    expect(presentedToken(req("bearer   abc "), url, false)).toBe("abc");
    expect(presentedToken(req(), url, true)).toBe("from-query");
    expect(presentedToken(req(), url, false)).toBeUndefined();
    expect(presentedToken(req("Basic abc"), url, false)).toBeUndefined();
    expect(presentedToken(req("Basic abc"), url, true)).toBe("from-query");
    expect(presentedToken(req("abc"), url, false)).toBeUndefined();
  });
});
