import { describe, expect, test } from "bun:test";
import { refusalOf } from "../../src/hub/redis/refusal.ts";

/** Which of Redis's error answers to the handshake end a start-up, and which are waited out. */
describe("Redis refusals", () => {
  const asked = { where: "redis://:***@db.example:6379/3", password: true, db: 3 };

  test.each([
    ["WRONGPASS invalid username-password pair or user is disabled.", /password is wrong; correct them in the --redis URL/],
    ["NOAUTH Authentication required.", /requires a password; check the password in the --redis URL/],
    ["ERR DB index is out of range", /has no database 3/],
    ["NOPERM User bob has no permissions to run the 'select' command", /lacks a permission; grant it with ACL SETUSER/],
    ["DENIED Redis is running in protected mode because protected mode is enabled", /refuses clients from this address/],
  ])("%s: a refusal naming the URL (password hidden) and the fix", (reply, fix) => {
    const refusal = refusalOf(reply, asked);
    expect(refusal?.message).toMatch(fix);
    expect(refusal?.message).toStartWith(`Redis at redis://:***@db.example:6379/3 answered "${reply}": `);
  });

  test.each(["LOADING Redis is loading the dataset in memory", "BUSY Redis is busy running a script", "ERR max number of clients reached"])(
    "%s: passes with time, so it is waited out",
    (reply) => expect(refusalOf(reply, asked)).toBeUndefined(),
  );
});
