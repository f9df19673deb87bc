import { expect, test } from "bun:test";
import type { Published } from "../../src/hub/broker.ts";
import type { Channel } from "../../src/hub/channels.ts";
import { clockNow, eventDraft, sequence, type Draft } from "../../src/hub/envelope.ts";
import { groupAppends } from "../../src/hub/redis/append-group.ts";

const draft = (type: string) => eventDraft({ type }, clockNow());

/** An append that numbers drafts from 1 on, and records each call's drafts. */
function recording() {
  const calls: Array<{ channel: Channel; types: string[] }> = [];
  let seq = 0;
  const append = async (channel: Channel, drafts: Draft[]): Promise<Published[]> => {
    calls.push({ channel, types: drafts.map((d) => d.key) });
    return drafts.map((d) => sequence(d, ++seq));
  };
  return { calls, append };
}

test("a publish goes at once when its channel has no append in flight; the ones behind it go together; each caller gets its own outcomes", async () => {
  const { calls, append } = recording();
  const grouped = groupAppends(append, 1000);
  const answers = await Promise.all([
    grouped("events", [draft("a")]),
    grouped("logs", [draft("x")]),
    grouped("events", [draft("b"), draft("c")]),
    grouped("events", []),
    grouped("events", [draft("d")]),
  ]);
  expect(calls).toEqual([{ channel: "events", types: ["a"] }, { channel: "logs", types: ["x"] }, { channel: "events", types: ["b", "c", "d"] }]);
  expect(answers.map((a) => a.map((e) => e.seq))).toEqual([[1], [2], [3, 4], [], [5]]);
  expect(answers[2]!.map((e) => e.key)).toEqual(["b", "c"]);
});

test("a group never holds more than maxDrafts, and one call's drafts are never split", async () => {
  const { calls, append } = recording();
  const grouped = groupAppends(append, 3);
  const d = (t: string) => draft(t);
  await Promise.all([grouped("events", [d("a"), d("b")]), grouped("events", [d("c"), d("d")]), grouped("events", [d("e")]), grouped("events", [d("f")])]);
  expect(calls.map((c) => c.types)).toEqual([["a", "b"], ["c", "d", "e"], ["f"]]);
  await Promise.all([grouped("events", [d("g")]), grouped("events", [d("h"), d("i"), d("j"), d("k")])]);
  expect(calls.slice(3).map((c) => c.types)).toEqual([["g"], ["h", "i", "j", "k"]]);
});

test("a failed append fails its callers; the group behind it is still sent, and a later publish goes at once", async () => {
  let fail = true;
  const grouped = groupAppends(async (_channel, drafts) => {
    if (fail) throw new Error("Redis is down");
    return drafts.map((d, i) => sequence(d, i + 1));
  }, 1000);
  const results = await Promise.allSettled([grouped("events", [draft("a")]), grouped("events", [draft("b")])]);
  expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
  fail = false;
  expect((await grouped("events", [draft("c")])).map((e) => e.seq)).toEqual([1]);
});
