import { expect, test } from "bun:test";
import { createLocalBroker } from "../../src/hub/broker-local.ts";
import type { Broker } from "../../src/hub/broker.ts";
import type { Channel } from "../../src/hub/channels.ts";
import { clockNow, eventDraft, type Entry } from "../../src/hub/envelope.ts";
import { createFanout } from "../../src/hub/fanout.ts";
import { everything } from "../../src/hub/filter.ts";
import { createHub } from "../../src/hub/hub.ts";
import type { Resumed } from "../../src/hub/resume.ts";

/**
 * One instance of several on a shared broker (Redis): entries are stored at once but reach this
 * instance's fan-out later, when its stream reader gets them. `flush(n)` delivers the next n.
 */
function laggingInstance() {
  const fanout = createFanout();
  const pending: Array<[Channel, Entry]> = [];
  const store = createLocalBroker({ historySize: 1000, deliver: (channel, entries) => entries.forEach((e) => pending.push([channel, e])) });
  const broker: Broker = { ...store, position: (channel) => ({ epoch: store.position(channel).epoch, seq: fanout.delivered(channel) ?? 0 }) };
  const hub = createHub(broker, fanout);
  const publish = (n: number) => store.publish("events", Array.from({ length: n }, () => eventDraft({ type: "tick" }, clockNow())));
  const flush = (n: number) => pending.splice(0, n).forEach(([channel, entry]) => fanout.deliver(channel, [entry]));
  return { hub, store, publish, flush };
}

const resumeFrom = (hub: ReturnType<typeof laggingInstance>["hub"], since: number, epoch: string) =>
  new Promise<{ seq: number; resumed: Resumed }>((resolve, reject) => {
    hub.subscribe({ channel: "events", filter: everything("events"), resume: { since, epoch } }, {
      start: (position, resumed) => resolve({ seq: position.seq, resumed: resumed! }),
      fail: reject,
    });
  });

test("a client ahead of this instance (it came from a faster one) waits for our delivery instead of getting a reset", async () => {
  const { hub, store, publish, flush } = laggingInstance();
  await publish(5);
  flush(3);
  const epoch = store.position("events").epoch;
  const started = resumeFrom(hub, 5, epoch);
  await Bun.sleep(0); // let it read the stream's position and start waiting
  flush(2);
  const { seq, resumed } = await started;
  expect(resumed.complete).toBe(true);
  expect(resumed.items).toEqual([]);
  expect(seq).toBe(5); // live delivery carries on after 5: nothing twice
});

test("a since beyond what the stream itself holds is still reported as ahead, without waiting", async () => {
  const { hub, store, publish, flush } = laggingInstance();
  await publish(3);
  flush(3);
  const { resumed } = await resumeFrom(hub, 9, store.position("events").epoch);
  expect(resumed.complete).toBe(false);
  expect(resumed.items[0]).toMatchObject({ gap: { reason: "since_ahead", next: 1 } });
});
