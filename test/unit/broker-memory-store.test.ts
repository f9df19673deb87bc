import { describe, expect, test } from "bun:test";
import { createMemoryBroker } from "../../src/hub/broker-memory.ts";
import { clockNow, eventDraft } from "../../src/hub/envelope.ts";
import { createMemoryStore, type HistoryStore } from "../../src/hub/history-store.ts";
import { BrokerUnavailableError } from "../../src/hub/unavailable.ts";

describe("memory broker over a history store that fails", () => {
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
    const broker = createMemoryBroker({ store: flaky, deliver: (_c, entries) => delivered.push(...entries.map((e) => e.seq)) });
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
