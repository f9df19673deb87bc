import { expect, test } from "bun:test";
import { checkpointCursor, checkpointDue } from "../../src/hub/checkpoint-cursor.ts";

test("nothing is due while the channel stays where the subscriber started", () => {
  const cursor = checkpointCursor(10);
  expect(checkpointDue(cursor, 10, 0)).toBeUndefined();
});

test("the channel's head is due once it moved past the start without a match, then not again until it moves", () => {
  const cursor = checkpointCursor(10);
  expect(checkpointDue(cursor, 15, 0)).toBe(15);
  expect(checkpointDue(cursor, 15, 0)).toBeUndefined();
  expect(checkpointDue(cursor, 16, 0)).toBe(16);
});

test("a match in the last interval puts it off by one tick; a match at the head needs none", () => {
  const cursor = checkpointCursor(10, 4);
  expect(checkpointDue(cursor, 20, 12)).toBeUndefined();
  expect(checkpointDue(cursor, 20, 12)).toBe(20);
  expect(checkpointDue(cursor, 25, 25)).toBeUndefined();
  expect(checkpointDue(cursor, 25, 25)).toBeUndefined();
});
