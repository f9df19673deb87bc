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

test("publishes in one turn go in one append per channel; each caller gets its own drafts' outcomes, in order", async () => {
  const { calls, append } = recording();
  const grouped = groupAppends(append, 1000);
  const answers = await Promise.all([
    grouped("events", [draft("a")]),
    grouped("logs", [draft("x")]),
    grouped("events", [draft("b"), draft("c")]),
    grouped("events", []),
    grouped("events", [draft("d")]),
  ]);
  expect(calls).toEqual([{ channel: "events", types: ["a", "b", "c", "d"] }, { channel: "logs", types: ["x"] }]);
  expect(answers.map((a) => a.map((e) => e.seq))).toEqual([[1], [5], [2, 3], [], [4]]);
  expect(answers[2]!.map((e) => e.key)).toEqual(["b", "c"]);
});

test("a group never holds more than maxDrafts, and one call's drafts are never split", async () => {
  const { calls, append } = recording();
  const grouped = groupAppends(append, 3);
  await Promise.all([grouped("events", [draft("a"), draft("b")]), grouped("events", [draft("c"), draft("d")]), grouped("events", [draft("e")])]);
  expect(calls.map((c) => c.types)).toEqual([["a", "b"], ["c", "d", "e"]]);
  await grouped("events", [draft("f"), draft("g"), draft("h"), draft("i")]);
  expect(calls.at(-1)!.types).toEqual(["f", "g", "h", "i"]);
});

test("a failed append fails every caller of its group, and the next turn starts a new group", async () => {
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
