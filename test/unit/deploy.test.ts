import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig, SETTINGS } from "../../src/config.ts";
import { CHANNELS } from "../../src/hub/channels.ts";
import { inRange, parseAddress, parseAddressRange } from "../../src/protocol/address.ts";
import { WS_PATHS } from "../../src/protocol/endpoints.ts";

/**
 * deploy/ is copied by users as it is, and no Docker engine runs in CI: these checks read the nginx
 * file and the compose file against the code, so a renamed flag, path, port or image shows up here.
 * What they do when they run is test/e2e/nginx.test.ts's job.
 */
const ROOT = join(import.meta.dir, "..", "..");
const DEPLOY = join(ROOT, "deploy");
const nginx = readFileSync(join(DEPLOY, "nginx", "stream-server.conf"), "utf8").replace(/#.*$/gm, "");
const compose = Bun.YAML.parse(readFileSync(join(DEPLOY, "docker-compose.yml"), "utf8")) as any;
const dockerfile = readFileSync(join(ROOT, "Dockerfile"), "utf8");

/** The block after `head {` up to its closing brace (no nested blocks in the ones read here). */
const block = (head: RegExp) => {
  const at = nginx.search(head);
  expect(at).toBeGreaterThanOrEqual(0);
  return nginx.slice(at, nginx.indexOf("}", at));
};
const seconds = (value: string) => Number(/^(\d+)s?$/.exec(value)![1]);
const defaultOf = (key: keyof typeof SETTINGS) => Number(SETTINGS[key].default);

describe("deploy/nginx/stream-server.conf", () => {
  const streamLocation = block(/location ~ \S+ \{/);
  const streamPaths = new RegExp(/location ~ (\S+) \{/.exec(nginx)![1]!);

  test("its streaming location covers every WebSocket path and both Server-Sent Events routes, and no REST route", () => {
    for (const path of [...WS_PATHS, ...CHANNELS.map((c) => `/api/${c}/stream`)]) expect(streamPaths.test(path)).toBe(true);
    for (const path of ["/", "/api/events", "/api/logs", "/api/health", "/docs", "/metrics", "/wsx", "/api/streams"]) expect(streamPaths.test(path)).toBe(false);
  });

  test("streams are unbuffered, with timeouts above the server's heartbeats (WebSocket ping, SSE comment)", () => {
    expect(streamLocation).toMatch(/proxy_buffering off;/);
    for (const directive of ["proxy_read_timeout", "proxy_send_timeout"]) {
      const value = seconds(new RegExp(`${directive} (\\S+);`).exec(streamLocation)![1]!);
      expect(value).toBeGreaterThan(2 * defaultOf("idleTimeout"));
      expect(value * 1000).toBeGreaterThan(2 * defaultOf("sseHeartbeatMs"));
    }
  });

  test("upgrades WebSockets, forwards the client's address, scheme and host, and admits the server's largest body", () => {
    for (const header of [/Upgrade \$http_upgrade/, /Connection \$stream_server_connection/, /X-Forwarded-For \$proxy_add_x_forwarded_for/,
      /X-Forwarded-Proto \$scheme/, /X-Forwarded-Host \$http_host/, /Host \$http_host/]) {
      expect(nginx).toMatch(new RegExp(`proxy_set_header ${header.source};`));
    }
    // No location sets headers of its own: it would inherit none of the server's.
    expect([...nginx.matchAll(/location[^{]*\{[^}]*proxy_set_header/g)]).toEqual([]);
    const [, size, unit] = /client_max_body_size (\d+)([km]?);/.exec(nginx)!;
    expect(Number(size) * ({ "": 1, k: 1024, m: 1024 * 1024 }[unit!] ?? 0)).toBeGreaterThanOrEqual(defaultOf("maxBodyBytes"));
  });
});

describe("deploy/docker-compose.yml", () => {
  const services = compose.services as Record<string, any>;
  const instances = Object.entries(services).filter(([, s]) => s.image === "stream-server");
  const proxy = services.nginx;
  const redisUrl = (s: any) => loadConfig(s.command, s.environment).redis;
  const port = Number(/^ENV\s.*\bPORT=(\d+)/m.exec(dockerfile)?.[1]);

  test("builds stream-server from the repository's Dockerfile and runs two or more instances", () => {
    expect(instances.length).toBeGreaterThanOrEqual(2);
    for (const [, s] of instances) expect(existsSync(join(DEPLOY, s.build.context, s.build.dockerfile))).toBe(true);
  });

  test("every instance's flags and environment are settings the server accepts, sharing one Redis", () => {
    const variables = Object.values(SETTINGS).map((setting) => setting.env);
    for (const [, s] of instances) {
      const config = loadConfig(s.command, s.environment); // throws on an unknown flag or a bad value
      expect(config.redis).toBeDefined();
      for (const name of Object.keys(s.environment ?? {})) expect(variables).toContain(name);
    }
    expect(new Set(instances.map(([, s]) => redisUrl(s))).size).toBe(1);
    const url = new URL(redisUrl(instances[0]![1])!);
    expect(services[url.hostname]?.command).toEqual(expect.arrayContaining(["--appendonly", "yes"]));
    expect(url.port).toBe("6379");
  });

  test("health checks run the executable at the path the Dockerfile installs it, and the proxy waits for them", () => {
    const entrypoint = /^ENTRYPOINT\s+\["([^"]+)"\]/m.exec(dockerfile)![1];
    for (const [name, s] of instances) {
      expect(s.healthcheck.test).toEqual(["CMD", entrypoint, "healthcheck"]);
      expect(proxy.depends_on[name]).toEqual({ condition: "service_healthy" });
      expect(services.redis.healthcheck).toBeDefined();
      expect(s.depends_on.redis).toEqual({ condition: "service_healthy" });
      // Longer than a graceful shutdown may take, or Docker cuts clients off before they are told to resume.
      expect(seconds(s.stop_grace_period)).toBeGreaterThan(loadConfig(s.command, s.environment).shutdownTimeout);
    }
  });

  test("nginx runs the tested server block, in front of exactly these instances on the port they listen on", () => {
    const [source, target] = proxy.volumes[0].split(":");
    expect(join(DEPLOY, source)).toBe(join(DEPLOY, "nginx", "stream-server.conf"));
    expect(target).toMatch(/^\/etc\/nginx\/conf\.d\/[\w-]+\.conf$/);
    expect(port).toBe(Number(/^EXPOSE\s+(\d+)/m.exec(dockerfile)![1]));
    const upstreams = [...block(/upstream stream_server \{/).matchAll(/server\s+(\S+);/g)].map((m) => m[1]).sort();
    expect(upstreams).toEqual(instances.map(([name]) => `${name}:${port}`).sort());
    const listen = /listen (\d+);/.exec(nginx)![1];
    expect(proxy.ports.map((p: string) => p.split(":").at(-1))).toEqual([listen]);
  });

  test("the instances trust nginx's fixed address as their proxy, and only addresses of their own network", () => {
    const address = parseAddress(proxy.networks.backend.ipv4_address)!;
    const subnet = parseAddressRange(compose.networks.backend.ipam.config[0].subnet)!;
    expect(inRange(subnet, address)).toBe(true);
    for (const [, s] of instances) {
      const trusted = loadConfig(s.command, s.environment).trustedProxy;
      expect(trusted.some((r) => inRange(r, address))).toBe(true);
      expect(trusted.every((r) => r.bits >= subnet.bits && inRange(subnet, r.network))).toBe(true);
    }
  });
});
