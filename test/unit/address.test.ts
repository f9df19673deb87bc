import { describe, expect, test } from "bun:test";
import { formatAddress, inRange, parseAddress, parseAddressRange } from "../../src/protocol/address.ts";

const within = (range: string, address: string) => inRange(parseAddressRange(range)!, parseAddress(address)!);

describe("addresses", () => {
  test("IPv4 and IPv6 in their usual spellings read to one canonical text", () => {
    const cases: Array<[string, string]> = [
      ["10.0.0.1", "10.0.0.1"],
      ["::ffff:10.0.0.1", "10.0.0.1"], // a dual-stack listener's view of an IPv4 client
      ["::FFFF:a00:1", "10.0.0.1"],
      ["2001:DB8:0:0:0:0:0:7", "2001:db8::7"],
      ["2001:db8::7", "2001:db8::7"],
      ["::1", "::1"],
      ["::", "::"],
      ["fe80::1%eth0", "fe80::1"],
      ["1:0:0:2:0:0:0:3", "1:0:0:2::3"], // the longer run of zeros is the one compressed
      ["64:ff9b::192.0.2.33", "64:ff9b::c000:221"],
    ];
    for (const [text, canonical] of cases) expect(formatAddress(parseAddress(text)!)).toBe(canonical);
  });

  test("anything else is not an address", () => {
    for (const bad of ["", "unknown", "_hidden", "10.0.0", "10.0.0.256", "010.0.0.1", "10.0.0.1.2", "1.2.3.-4", " 10.0.0.1",
      "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", ":1", "g::1", "::1.2.3", "example.com", "[::1]"]) {
      expect(parseAddress(bad)).toBeUndefined();
    }
  });
});

describe("address ranges", () => {
  test("a single address, an IPv4 CIDR and an IPv6 CIDR", () => {
    expect(within("10.0.0.5", "10.0.0.5")).toBe(true);
    expect(within("10.0.0.5", "10.0.0.6")).toBe(false);
    expect(within("10.0.0.0/8", "10.255.1.2")).toBe(true);
    expect(within("10.0.0.0/8", "11.0.0.1")).toBe(false);
    expect(within("172.16.0.0/12", "172.31.255.255")).toBe(true);
    expect(within("172.16.0.0/12", "172.32.0.0")).toBe(false);
    expect(within("fd00::/8", "fd12:3456::1")).toBe(true);
    expect(within("fd00::/8", "fe80::1")).toBe(false);
    expect(within("::1", "::1")).toBe(true);
  });

  test("IPv4 ranges hold the IPv4-mapped IPv6 spelling of their addresses, and only IPv4 addresses", () => {
    expect(within("10.0.0.0/8", "::ffff:10.1.2.3")).toBe(true);
    expect(within("0.0.0.0/0", "203.0.113.9")).toBe(true);
    expect(within("0.0.0.0/0", "2001:db8::1")).toBe(false);
    expect(within("::/0", "2001:db8::1")).toBe(true);
    expect(within("::/0", "203.0.113.9")).toBe(true);
  });

  test("host bits after the network are dropped, as most tools read them", () => {
    expect(parseAddressRange("10.1.2.3/8")).toMatchObject({ network: parseAddress("10.0.0.0"), bits: 104 });
    expect(within("10.1.2.3/8", "10.9.9.9")).toBe(true);
  });

  test("bad ranges are refused", () => {
    for (const bad of ["", "/8", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "10.0.0.0/8/8", "10.0.0.0/1000", "10.0.0.0/a",
      "::/129", "fe80::1%eth0/64", "10.0.0.300", "localhost", "10.0.0.0 /8x"]) {
      expect(parseAddressRange(bad)).toBeUndefined();
    }
  });
});
