import { describe, expect, test } from "bun:test";
import { eventJson } from "../../bench/lib/publisher.ts";
import { leadingSeq, trailingCounter, trailingSendTime } from "../../bench/lib/raw-ws.ts";

// The benchmark's subscribers read seq, counter and send time straight from frame bytes; a wrong read
// would stall the fan-out window or skew every latency figure, so pin the format down here.
const frameOf = (seq: number, eventText: string) => {
  const { type, data } = JSON.parse(eventText) as { type: string; data: unknown };
  // The field order every server under test uses: kind and seq first, data last.
  return new TextEncoder().encode(JSON.stringify({ kind: "event", seq, id: "x", type, time: "2026-11-27T00:00:00Z", data }));
};

describe("bench frame readers", () => {
  test("seq, counter and send time of a paced publisher's event", () => {
    const f = frameOf(42, eventJson(7, "", 1_795_750_403_793_147));
    expect(leadingSeq(f, 0, f.length)).toBe(42);
    expect(trailingCounter(f, 0, f.length)).toBe(7);
    expect(trailingSendTime(f, 0, f.length)).toBe(1_795_750_403_793.147);
  });

  test("events without a send time, with padding, and frames that are not events", () => {
    const plain = frameOf(1, eventJson(12, "pad"));
    expect(trailingCounter(plain, 0, plain.length)).toBe(12);
    expect(trailingSendTime(plain, 0, plain.length)).toBeNaN();
    const padded = frameOf(2, eventJson(3, "xyz", 5));
    expect(trailingSendTime(padded, 0, padded.length)).toBe(0.005);
    const hello = new TextEncoder().encode('{"kind":"hello","seq":3}');
    expect([leadingSeq(hello, 0, hello.length), trailingCounter(hello, 0, hello.length)]).toEqual([-1, -1]);
    expect(trailingSendTime(hello, 0, hello.length)).toBeNaN();
  });
});
