import { expect, test } from "bun:test";
import { createOutbox } from "../../src/hub/outbox.ts";

test("sends the replay while there is room, the rest on the next flush, then the live frames queued behind it", () => {
  const box = createOutbox(["a", "b", "c", "d"], (f) => f.length);
  const sent: string[] = [];
  let room = 2;
  const send = (f: string) => {
    sent.push(f);
    return --room > 0;
  };
  expect(box.flush(send)).toBe(false);
  expect(sent).toEqual(["a", "b"]);
  expect(box.push(["live1", "live22"])).toBe(11);
  room = 3;
  expect(box.flush(send)).toBe(false);
  expect(sent).toEqual(["a", "b", "c", "d", "live1"]);
  expect(box.push(["x"])).toBe(7); // live22 and x still wait: only live frames count
  room = 10;
  expect(box.flush(send)).toBe(true);
  expect(sent).toEqual(["a", "b", "c", "d", "live1", "live22", "x"]);
});

test("a send that fills the socket with the last frame still finishes the outbox", () => {
  const box = createOutbox(["only"], (f) => f.length);
  expect(box.flush(() => false)).toBe(true);
  expect(box.flush(() => true)).toBe(true);
});
