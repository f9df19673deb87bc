import { describe, expect, test } from "bun:test";
import { ConfigError, helpText, loadConfig, SETTINGS } from "../../src/config.ts";

describe("config", () => {
  test("defaults: port 8000 on every interface, any origin, info, pretty", () => {
    expect(loadConfig([], {})).toMatchObject({ port: 8000, host: "0.0.0.0", corsOrigin: ["*"], logLevel: "info", logFormat: "pretty" });
  });

  test("--checkpoint-ms: 5 s by default, 0 turns checkpoints off, a negative or fractional value is refused", () => {
    expect(loadConfig([], {}).checkpointMs).toBe(5000);
    expect(loadConfig(["--checkpoint-ms", "0"], {}).checkpointMs).toBe(0);
    expect(loadConfig([], { STREAM_CHECKPOINT_MS: "250" }).checkpointMs).toBe(250);
    expect(() => loadConfig(["--checkpoint-ms", "-1"], {})).toThrow(ConfigError);
    expect(() => loadConfig(["--checkpoint-ms", "1.5"], {})).toThrow("--checkpoint-ms expects milliseconds from 0 to 3600000 (0 = off)");
  });

  test("--compression: off by default, on from the flag or STREAM_COMPRESSION, anything else refused; listed in --help", () => {
    expect(loadConfig([], {}).compression).toBe("off");
    expect(loadConfig(["--compression", "on"], {}).compression).toBe("on");
    expect(loadConfig([], { STREAM_COMPRESSION: "on" }).compression).toBe("on");
    expect(() => loadConfig(["--compression", "yes"], {})).toThrow('--compression expects off or on, got "yes"');
    expect(helpText()).toContain("--compression");
  });

  test("flags override the environment, which overrides defaults", () => {
    const env = { PORT: "9000", HOST: "127.0.0.1", STREAM_LOG_LEVEL: "warn" };
    expect(loadConfig([], env)).toMatchObject({ port: 9000, host: "127.0.0.1", logLevel: "warn" });
    expect(loadConfig(["--port", "9100", "--log-level=debug"], env)).toMatchObject({ port: 9100, logLevel: "debug" });
  });

  test("--cors-origin repeats; STREAM_CORS_ORIGIN is comma-separated", () => {
    expect(loadConfig(["--cors-origin", "https://a.io", "--cors-origin", "http://b.io:3000"], {}).corsOrigin).toEqual(["https://a.io", "http://b.io:3000"]);
    expect(loadConfig([], { STREAM_CORS_ORIGIN: "https://a.io, https://b.io" }).corsOrigin).toEqual(["https://a.io", "https://b.io"]);
  });

  test("--trusted-proxy repeats (addresses and CIDR ranges, IPv4 and IPv6); STREAM_TRUSTED_PROXY is comma-separated; none by default", () => {
    expect(loadConfig([], {}).trustedProxy).toEqual([]);
    const texts = (argv: string[], env: Record<string, string> = {}) => loadConfig(argv, env).trustedProxy.map((r) => r.text);
    expect(texts(["--trusted-proxy", "10.0.0.5", "--trusted-proxy", "10.0.0.0/8", "--trusted-proxy=fd00::/8"])).toEqual(["10.0.0.5", "10.0.0.0/8", "fd00::/8"]);
    expect(texts([], { STREAM_TRUSTED_PROXY: "127.0.0.1, ::1" })).toEqual(["127.0.0.1", "::1"]);
  });

  test("a bad --trusted-proxy value stops the start with a message naming that value, not the whole list", () => {
    const message = (argv: string[], env: Record<string, string> = {}) => {
      try {
        loadConfig(argv, env);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as Error).message;
      }
      throw new Error("accepted");
    };
    expect(message(["--trusted-proxy", "10.0.0.0/8", "--trusted-proxy", "10.0.0.300"])).toBe(
      '--trusted-proxy expects an IP address or CIDR range such as 10.0.0.5, 10.0.0.0/8 or fd00::/8, got "10.0.0.300"',
    );
    expect(message([], { STREAM_TRUSTED_PROXY: "::1,fd00::/129" })).toContain('STREAM_TRUSTED_PROXY (environment) expects an IP address or CIDR range such as 10.0.0.5, 10.0.0.0/8 or fd00::/8, got "fd00::/129"');
    for (const bad of ["proxy.internal", "10.0.0.0/33", "10.0.0.0/8/8", "[::1]"]) expect(message(["--trusted-proxy", bad])).toEndWith(`got ${JSON.stringify(bad)}`);
  });

  test.each([
    [["--port", "-1"], "--port got a value starting with"],
    [["--port=-1"], "--port expects"],
    [["--port", "80.5"], "--port expects"],
    [["--port", ""], "--port expects"],
    [["--cors-origin", "not a url"], "--cors-origin expects"],
    [["--max-batch", "0"], "--max-batch expects"],
    [["extra"], "unexpected argument extra"],
  ])("%p is refused with a message naming the flag", (argv, message) => {
    expect(() => loadConfig(argv as string[], {})).toThrow(ConfigError);
    expect(() => loadConfig(argv as string[], {})).toThrow(message);
  });

  test("a bad token is refused without echoing it or the good ones beside it: the message goes to stderr and on to log collectors", () => {
    for (const [argv, env] of [
      [["--publish-token", "good-token-1", "--publish-token", "bad"], {}],
      [[], { STREAM_SUBSCRIBE_TOKEN: "good-token-1, has space" }],
      [["--metrics-token", "good-token-1 x"], {}],
    ] as const) {
      let message = "";
      try {
        loadConfig([...argv], env);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toContain("expects a token");
      expect(message).not.toContain("good-token-1");
    }
  });

  test("a setting from the environment is named by its variable, not by a flag the user never typed", () => {
    expect(loadConfig([], { STREAM_DATA: "/var/lib/stream" }).names.data).toBe("STREAM_DATA");
    expect(loadConfig(["--data", "/var/lib/stream"], { STREAM_DATA: "/elsewhere" }).names.data).toBe("--data");
    expect(loadConfig([], {}).names.data).toBe("--data");
    for (const [argv, env, message] of [
      [[], { STREAM_DATA: "/d", STREAM_REDIS_URL: "redis://h:6379" }, "STREAM_DATA and STREAM_REDIS_URL cannot be combined"],
      [["--data", "/d"], { STREAM_REDIS_URL: "redis://h:6379" }, "--data and STREAM_REDIS_URL cannot be combined"],
      [["--redis", "redis://h:6379"], { STREAM_DATA: "/d" }, "STREAM_DATA and --redis cannot be combined"],
    ] as const) {
      expect(() => loadConfig([...argv], env)).toThrow(message);
    }
  });

  test("--help states the token rules before a start fails on them, and that SSE streams count as connections", () => {
    const help = helpText();
    const entry = (flag: string) => help.slice(help.indexOf(`--${flag} `), help.indexOf("\n  --", help.indexOf(`--${flag} `)));
    for (const flag of ["publish-token", "subscribe-token"]) {
      expect(entry(flag)).toContain("8 to 512 printable ASCII characters, no spaces or commas");
    }
    for (const flag of ["max-connections", "max-connections-per-address"]) {
      expect(entry(flag)).toContain("WebSocket and Server-Sent Events");
    }
  });

  test("--help lists every setting with its environment variable", () => {
    const help = helpText();
    for (const s of Object.values(SETTINGS)) {
      expect(help).toContain(`--${s.flag}`);
      expect(help).toContain(s.env);
    }
  });
});
