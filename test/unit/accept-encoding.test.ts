import { describe, expect, test } from "bun:test";
import { chooseCoding } from "../../src/http/accept-encoding.ts";

/** Which encoding a static asset is sent in, for a request's Accept-Encoding. */
describe("Accept-Encoding", () => {
  test.each([
    [undefined, "identity"],
    ["", "identity"],
    ["identity", "identity"],
    ["gzip", "gzip"],
    ["gzip, deflate, br, zstd", "br"], // what browsers send: brotli, the smaller, when both are equally liked
    ["GZIP", "gzip"],
    ["br;q=0.5, gzip", "gzip"],
    ["br;q=0, gzip;q=0.1", "gzip"],
    ["*", "br"],
    ["*;q=0.5, br;q=0", "gzip"],
    ["gzip;q=0, br;q=0", "identity"],
    ["*;q=0", "identity"], // nothing acceptable: still identity, never a 406
    ["deflate, zstd", "identity"],
    ["identity;q=1, gzip;q=0.5", "identity"],
    ["gzip;q=nonsense, br", "br"],
  ])("%p → %s", (header, coding) => {
    expect(chooseCoding(header)).toBe(coding as ReturnType<typeof chooseCoding>);
  });
});
