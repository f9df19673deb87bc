import { describe, expect, test } from "bun:test";
import { forwardedHops, parseForwarded } from "../../src/protocol/forwarded.ts";

const headers = (h: Record<string, string>) => new Headers(h);

describe("X-Forwarded-For", () => {
  test("lists hops from the client's end to the nearest proxy, ports and brackets dropped", () => {
    expect(forwardedHops(headers({ "x-forwarded-for": "203.0.113.7, 10.0.0.2:4711 ,[2001:db8::1]:80, 2001:db8::2" }))).toEqual([
      { for: "203.0.113.7" }, { for: "10.0.0.2" }, { for: "2001:db8::1" }, { for: "2001:db8::2" },
    ]);
  });

  test("X-Forwarded-Proto and X-Forwarded-Host apply to the chain (their first value)", () => {
    expect(forwardedHops(headers({ "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "HTTPS, http", "x-forwarded-host": "stream.example.com" })))
      .toEqual([{ for: "203.0.113.7", proto: "https", host: "stream.example.com" }]);
  });

  test("wins over Forwarded, which a proxy setting X-Forwarded-For passes through from the client", () => {
    expect(forwardedHops(headers({ "x-forwarded-for": "203.0.113.7", forwarded: "for=198.51.100.1" }))).toEqual([{ for: "203.0.113.7" }]);
  });

  test("no header, or an empty one, is no hop", () => {
    expect(forwardedHops(headers({}))).toBeUndefined();
    expect(forwardedHops(headers({ "x-forwarded-for": " , " }))).toBeUndefined();
    expect(forwardedHops(headers({ forwarded: "" }))).toBeUndefined();
  });
});

describe("Forwarded (RFC 7239)", () => {
  test("the RFC's examples: quoted IPv6 with a port, several elements, proto and host", () => {
    expect(parseForwarded('for="_gazonk"')).toEqual([{ for: "_gazonk" }]);
    expect(parseForwarded('For="[2001:db8:cafe::17]:4711"')).toEqual([{ for: "2001:db8:cafe::17" }]);
    expect(parseForwarded("for=192.0.2.60;proto=http;by=203.0.113.43")).toEqual([{ for: "192.0.2.60", proto: "http" }]);
    expect(parseForwarded("for=192.0.2.43, for=198.51.100.17")).toEqual([{ for: "192.0.2.43" }, { for: "198.51.100.17" }]);
    expect(parseForwarded('for=192.0.2.43:8080;host="stream.example.com";proto=HTTPS')).toEqual([
      { for: "192.0.2.43", proto: "https", host: "stream.example.com" },
    ]);
  });

  test("commas and semicolons inside quotes do not split; an element without for= is an unknown hop", () => {
    expect(parseForwarded('for="a,b;c", proto=https')).toEqual([{ for: "a,b;c" }, { for: "unknown", proto: "https" }]);
    expect(parseForwarded('for="\\"x\\""')).toEqual([{ for: '"x"' }]);
  });

  test("garbage gives hops with garbage in them, never a throw", () => {
    for (const text of ['"', "for", "=;=,", 'for="unterminated', ";;;", "for==1.2.3.4"]) expect(() => parseForwarded(text)).not.toThrow();
  });
});
