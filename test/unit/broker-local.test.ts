import { describe, expect, test } from "bun:test";
import { createLocalBroker } from "../../src/hub/broker-local.ts";
import { clockNow, eventDraft } from "../../src/hub/envelope.ts";
import { createMemoryStore } from "../../src/hub/history/memory.ts";
import type { HistoryStore } from "../../src/hub/history/store.ts";
import { BrokerUnavailableError } from "../../src/hub/unavailable.ts";

describe("single-process broker over a history store that fails", () => {
  test("a failed write: publish rejects as unavailable, nothing is delivered, the seq is not used up, health says why", async () => {
    const store = createMemoryStore({ historySize: 100 });
    let failing = false;
    const flaky: HistoryStore = {
      ...store,
      append(channel, entries) {
        if (failing) throw new Error("disk full");
        store.append(channel, entries);
      },
    };
    const delivered: number[] = [];
    const broker = createLocalBroker({ store: flaky, deliver: (_c, entries) => delivered.push(...entries.map((e) => e.seq)) });
    const draft = () => eventDraft({ type: "t" }, clockNow());

    await broker.publish("events", [draft()]);
    failing = true;
    const refused = broker.publish("events", [draft(), draft()]);
    await expect(refused).rejects.toBeInstanceOf(BrokerUnavailableError);
    await expect(broker.publish("events", [draft()])).rejects.toThrow(/could not store history: disk full; nothing was published/);
    expect(broker.health()).toEqual({ ok: false, reason: "could not store history: disk full" });
    expect(broker.position("events").seq).toBe(1);

    failing = false;
    const ok = await broker.publish("events", [draft()]);
    expect(ok.map((e) => e.seq)).toEqual([2]);
    expect(delivered).toEqual([1, 2]);
    expect(broker.health()).toEqual({ ok: true });
  });
});

describe("single-process broker with group commit", () => {
  const setup = () => {
    const store = createMemoryStore({ historySize: 100 });
    const appends: number[][] = [];
    let failing = false;
    const counted: HistoryStore = {
      ...store,
      append(channel, entries) {
        if (failing) throw new Error("disk full");
        appends.push(entries.map((e) => e.seq));
        store.append(channel, entries);
      },
    };
    const delivered: number[] = [];
    const broker = createLocalBroker({ store: counted, groupCommit: true, deliver: (_c, entries) => delivered.push(...entries.map((e) => e.seq)) });
    const drafts = (n: number) => Array.from({ length: n }, () => eventDraft({ type: "t" }, clockNow()));
    return { broker, appends, delivered, drafts, fail: (on: boolean) => (failing = on) };
  };

  test("publishes of one turn share one store write; each is answered with its own seqs, after it is stored", async () => {
    const { broker, appends, delivered, drafts } = setup();
    const a = broker.publish("events", drafts(2));
    const b = broker.publish("events", drafts(1));
    const c = broker.publish("events", drafts(3));
    expect(delivered).toEqual([]); // nothing delivered before it is stored
    expect(broker.position("events").seq).toBe(0);
    expect((await a).map((e) => e.seq)).toEqual([1, 2]);
    expect((await b).map((e) => e.seq)).toEqual([3]);
    expect((await c).map((e) => e.seq)).toEqual([4, 5, 6]);
    expect(appends).toEqual([[1, 2, 3, 4, 5, 6]]);
    expect(delivered).toEqual([1, 2, 3, 4, 5, 6]);
    expect(broker.position("events").seq).toBe(6);
    await broker.publish("events", drafts(1));
    expect(appends).toEqual([[1, 2, 3, 4, 5, 6], [7]]);
  });

  test("a failed group write rejects every publish in it; the seqs are handed out again", async () => {
    const { broker, delivered, drafts, fail } = setup();
    fail(true);
    const results = await Promise.allSettled([broker.publish("events", drafts(2)), broker.publish("events", drafts(1))]);
    for (const r of results) expect(r.status === "rejected" && r.reason instanceof BrokerUnavailableError).toBe(true);
    fail(false);
    expect((await broker.publish("events", drafts(1))).map((e) => e.seq)).toEqual([1]);
    expect(delivered).toEqual([1]);
  });

  test("close stores what is waiting", async () => {
    const { broker, appends, drafts } = setup();
    const pending = broker.publish("events", drafts(2));
    await broker.close();
    expect(appends).toEqual([[1, 2]]);
    expect((await pending).map((e) => e.seq)).toEqual([1, 2]);
  });
});

describe("single-process broker over a history store whose id lookup fails", () => {
  /** A store whose byId throws for the id "unreadable" (SQLite can fail a read: a damaged file, an I/O error). */
  const setup = (groupCommit: boolean) => {
    const store = createMemoryStore({ historySize: 100 });
    const failing: HistoryStore = {
      ...store,
      byId(channel, id, now) {
        if (id === "unreadable") throw new Error("database disk image is malformed");
        return store.byId(channel, id, now);
      },
    };
    const delivered: string[] = [];
    const broker = createLocalBroker({ store: failing, groupCommit, deliver: (_c, entries) => delivered.push(...entries.map((e) => `${e.seq}:${e.id ?? "-"}`)) });
    const draft = (id?: string) => eventDraft(id === undefined ? { type: "t" } : { type: "t", id }, clockNow());
    return { broker, delivered, draft };
  };

  test.each([
    ["without group commit", false],
    ["with group commit (--data)", true],
  ])("%s: a publish that failed leaves no id behind that a later publish would be told is a duplicate", async (_name, groupCommit) => {
    const { broker, delivered, draft } = setup(groupCommit);
    const failed = broker.publish("events", [draft("order-1"), draft("unreadable")]);
    // Sent again in the same turn of the event loop (as a group commit would gather it), with another event.
    const retried = broker.publish("events", [draft(), draft("order-1")]);
    // Unavailable, as a failed write is: the publisher gets 503 saying nothing was published, health says why.
    await expect(failed).rejects.toBeInstanceOf(BrokerUnavailableError);
    await expect(failed).rejects.toThrow(/could not read history to look up ids: database disk image is malformed; nothing was published/);
    const outcomes = await retried;
    expect(outcomes.map((o) => [o.seq, o.id ?? "-", o.duplicate ?? false])).toEqual([[1, "-", false], [2, "order-1", false]]);
    expect(delivered).toEqual(["1:-", "2:order-1"]);
    expect((await broker.byId("events", "order-1"))?.seq).toBe(2);
  });

  test("health says why until a publish is stored again", async () => {
    const { broker, draft } = setup(false);
    await expect(broker.publish("events", [draft("unreadable")])).rejects.toBeInstanceOf(BrokerUnavailableError);
    expect(broker.health()).toEqual({ ok: false, reason: "could not read history to look up ids: database disk image is malformed" });
    expect((await broker.publish("events", [draft("fine")])).map((o) => o.seq)).toEqual([1]);
    expect(broker.health()).toEqual({ ok: true });
  });
});
