import { describe, expect, test } from "bun:test";
import { createClients, type PeerSource } from "../../src/access/client.ts";
import { loadConfig } from "../../src/config.ts";

/** A request from `peer` with `headers`, as Bun's server would present it. */
function from(peer: string | undefined, headers: Record<string, string> = {}, url = "http://stream.internal:8000/ws") {
  const req = new Request(url, { headers: { host: new URL(url).host, ...headers } });
  const source: PeerSource = { requestIP: () => (peer === undefined ? null : { address: peer }) };
  return { req, url: new URL(url), source };
}

const clientsTrusting = (...ranges: string[]) => createClients(loadConfig(ranges.flatMap((r) => ["--trusted-proxy", r])).trustedProxy);

describe("who the client is", () => {
  test("without --trusted-proxy the peer is the client and forwarding headers mean nothing", () => {
    const clients = clientsTrusting();
    const { req, source } = from("192.0.2.10", { "x-forwarded-for": "203.0.113.7", forwarded: "for=198.51.100.1" });
    expect(clients.address(req, source)).toBe("192.0.2.10");
    expect(clients.address(req, undefined)).toBe("unknown"); // in-process requests (app.request) have no peer
  });

  test("from a trusted proxy: the right-most address that is not itself trusted", () => {
    const clients = clientsTrusting("10.0.0.0/8", "192.0.2.10");
    const address = (xff: string) => {
      const { req, source } = from("192.0.2.10", { "x-forwarded-for": xff });
      return clients.address(req, source);
    };
    expect(address("203.0.113.7")).toBe("203.0.113.7");
    expect(address("203.0.113.7, 10.1.1.1")).toBe("203.0.113.7"); // through a second, trusted, proxy
    // What the client wrote itself (left of the first untrusted entry) cannot move it.
    expect(address("10.9.9.9, 198.51.100.66, 203.0.113.7")).toBe("203.0.113.7");
    expect(address("1.1.1.1, 203.0.113.7, 10.1.1.1")).toBe("203.0.113.7");
    // Every hop trusted: the left-most is the closest thing to a client there is.
    expect(address("10.2.2.2, 10.1.1.1")).toBe("10.2.2.2");
    // A hop that is not an address ends the walk at the last one known.
    expect(address("203.0.113.7, unknown")).toBe("192.0.2.10");
    expect(address("garbage, 10.1.1.1")).toBe("10.1.1.1");
    expect(address("::ffff:203.0.113.7")).toBe("203.0.113.7");
  });

  test("answers stay right past the memory of recent peers and headers (10,000), and for headers too long to remember", () => {
    const clients = clientsTrusting("192.0.2.10");
    for (let i = 0; i < 10_050; i++) {
      const client = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      const { req, source } = from("192.0.2.10", { "x-forwarded-for": client });
      expect(clients.address(req, source)).toBe(client);
    }
    const long = from("192.0.2.10", { "x-forwarded-for": `${"198.51.100.1, ".repeat(40)}203.0.113.7` });
    expect(clients.address(long.req, long.source)).toBe("203.0.113.7");
    expect(clients.address(long.req, long.source)).toBe("203.0.113.7");
  });

  test("Forwarded: for= (quoted IPv6 with a port) from a trusted proxy", () => {
    const clients = clientsTrusting("::1");
    const { req, source } = from("::1", { forwarded: 'for=192.0.2.1, for="[2001:db8:cafe::17]:4711"' });
    expect(clients.address(req, source)).toBe("2001:db8:cafe::17");
  });

  test("from an untrusted peer every forwarding header is ignored", () => {
    const clients = clientsTrusting("10.0.0.0/8");
    const { req, source } = from("203.0.113.50", { "x-forwarded-for": "10.0.0.1", forwarded: "for=10.0.0.2" });
    expect(clients.address(req, source)).toBe("203.0.113.50");
  });

  test("a trusted peer that forwards nothing is the client; its address is given in canonical form", () => {
    const clients = clientsTrusting("10.0.0.0/8");
    expect(clients.address(from("::ffff:10.0.0.3").req, from("::ffff:10.0.0.3").source)).toBe("10.0.0.3");
  });

  test("the origin the client addressed: forwarded scheme and host from a trusted proxy only", () => {
    const clients = clientsTrusting("192.0.2.10");
    const tls = { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https", "x-forwarded-host": "stream.example.com" };
    const trusted = from("192.0.2.10", tls);
    expect(clients.origin(trusted.req, trusted.url, trusted.source)).toBe("https://stream.example.com");
    // Only the scheme forwarded: the Host header the proxy passed on.
    const proto = from("192.0.2.10", { "x-forwarded-for": "203.0.113.7", "x-forwarded-proto": "https" }, "http://stream.example.com/ws");
    expect(clients.origin(proto.req, proto.url, proto.source)).toBe("https://stream.example.com");
    const forwarded = from("192.0.2.10", { forwarded: 'for=203.0.113.7;proto=https;host="s.example.com:8443"' });
    expect(clients.origin(forwarded.req, forwarded.url, forwarded.source)).toBe("https://s.example.com:8443");
    const untrusted = from("198.51.100.1", tls);
    expect(clients.origin(untrusted.req, untrusted.url, untrusted.source)).toBe("http://stream.internal:8000");
    expect(clientsTrusting().origin(trusted.req, trusted.url, trusted.source)).toBe("http://stream.internal:8000");
  });
});
