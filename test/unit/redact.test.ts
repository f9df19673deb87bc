import { describe, expect, test } from "bun:test";
import { redactToken, redactTokenField } from "../../src/log/redact.ts";

describe("redactToken", () => {
  test("hides every token parameter, in a query string, a path or a URL, and keeps the rest as sent", () => {
    expect(redactToken("?token=abc&types=bad%20type")).toBe("?token=***&types=bad%20type");
    expect(redactToken("?types=a,b&token=abc&token=def")).toBe("?types=a,b&token=***&token=***");
    expect(redactToken("/ws?since=4&token=abc")).toBe("/ws?since=4&token=***");
    expect(redactToken("ws://h:1/ws?token=abc#x")).toBe("ws://h:1/ws?token=***");
    expect(redactToken("token=abc&since=1")).toBe("token=***&since=1");
  });

  test("a name the server decodes to `token` is a token too; look-alikes are not", () => {
    expect(redactToken("?%74oken=abc")).toBe("?token=***");
    expect(redactToken("?token")).toBe("?token=***");
    expect(redactToken("?tokens=abc&my_token=def&types=token%3Dx")).toBe("?tokens=abc&my_token=def&types=token%3Dx");
  });

  test("no query, nothing to hide", () => {
    expect(redactToken("")).toBe("");
    expect(redactToken("?")).toBe("?");
    expect(redactToken("/ws/logs")).toBe("/ws/logs");
  });
});

test("a refresh frame's token is hidden in the logged frame text, whatever its spelling", () => {
  expect(redactTokenField('{"kind":"refresh","token":"abc.def.ghi"}')).toBe('{"kind":"refresh","token":"***"}');
  expect(redactTokenField('{"token" : "a\\"b", "kind":"refresh","x":1}')).toBe('{"token" : "***", "kind":"refresh","x":1}');
  expect(redactTokenField('{"kind":"ping"}')).toBe('{"kind":"ping"}');
});
