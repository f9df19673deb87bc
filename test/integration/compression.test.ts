import { describe, expect, test } from "bun:test";
import WsClient from "ws";
import { connect } from "../helpers/client.ts";
import { COMPRESSED, createInflater, deflateMessage, OP, rawConnect } from "../helpers/raw-socket.ts";
import { health, postJson, useServer } from "../helpers/server.ts";

const start = useServer();

/** What browsers (and Bun's and the ws package's clients) offer by default. */
const OFFER = { "Sec-WebSocket-Extensions": "permessage-deflate; client_max_window_bits" };
const tick = (i: number) => ({ type: "order.filled", source: "strategy/alpha", data: { symbol: "ETH-USD", side: "buy", price: 3521.17, qty: 0.25, i } });

/** Opens a `ws` package client (offering permessage-deflate, and compressing even small frames, or not) and collects its frames. */
async function wsPackageClient(url: string, deflate: boolean) {
  const ws = new WsClient(url, { perMessageDeflate: deflate ? { threshold: 0 } : false });
  const frames: any[] = [];
  let wake: (() => void) | undefined;
  ws.on("message", (data) => {
    frames.push(JSON.parse(String(data)));
    wake?.();
  });
  await new Promise((resolve, reject) => ws.once("open", resolve).once("error", reject));
  const next = async () => {
    while (frames.length === 0) await new Promise<void>((r) => (wake = r));
    return frames.shift();
  };
  return { ws, next };
}

describe("--compression on", () => {
  test("a client that offers permessage-deflate gets compressed frames that decode to the same JSON", async () => {
    const s = start(["--compression", "on"]);
    const raw = await rawConnect(s.server.port, "/ws", OFFER);
    expect(raw.headers["sec-websocket-extensions"]).toStartWith("permessage-deflate");
    const inflate = createInflater();
    const hello = await raw.next();
    expect(hello.compressed).toBe(true);
    expect(JSON.parse(inflate(hello)).kind).toBe("hello");

    const plain = await rawConnect(s.server.port, "/ws"); // offers nothing
    expect(plain.headers["sec-websocket-extensions"]).toBeUndefined();
    const plainHello = await plain.next();
    expect(plainHello.compressed).toBe(false);
    expect(JSON.parse(plainHello.payload.toString()).kind).toBe("hello");

    for (let i = 0; i < 5; i++) expect((await postJson(`${s.url}/api/events`, tick(i))).status).toBe(200);
    let wire = 0;
    let text = 0;
    for (let i = 0; i < 5; i++) {
      const compressed = await raw.next();
      const uncompressed = await plain.next();
      expect(compressed.compressed).toBe(true);
      expect(uncompressed.compressed).toBe(false);
      const decoded = inflate(compressed);
      expect(decoded).toBe(uncompressed.payload.toString()); // the same frame, byte for byte
      expect(JSON.parse(decoded)).toMatchObject({ kind: "event", seq: i + 1, data: { i } });
      wire += compressed.payload.length;
      text += uncompressed.payload.length;
    }
    // Repeated keys compress (the factor is measured in bench/, this only guards against "not at all").
    expect(wire).toBeLessThan(text / 2);
    raw.end();
    plain.end();
  });

  test("Bun's WebSocket and the ws package negotiate it when they offer it and get plain frames when they do not", async () => {
    const s = start(["--compression", "on"]);
    const bunOn = await connect(s.ws("/ws"));
    const bunOff = await connect(s.ws("/ws"), { perMessageDeflate: false } as any);
    const wsOn = await wsPackageClient(s.ws("/ws"), true);
    const wsOff = await wsPackageClient(s.ws("/ws"), false);
    expect(bunOn.ws.extensions).toStartWith("permessage-deflate");
    expect(bunOff.ws.extensions).toBe("");
    expect(wsOn.ws.extensions).toStartWith("permessage-deflate");
    expect(wsOff.ws.extensions).toBe("");
    for (const c of [bunOn, bunOff, wsOn, wsOff]) expect((await c.next()).kind).toBe("hello");

    // A compressed publish frame from the ws package is read like any other.
    wsOn.ws.send(JSON.stringify({ kind: "publish", event: tick(7), ack: "a1" }));
    const own = [await wsOn.next(), await wsOn.next()];
    expect(own.find((f) => f.kind === "ack")).toMatchObject({ id: "a1" });
    expect(own.find((f) => f.kind === "event")).toMatchObject({ seq: 1, data: { i: 7 } });
    for (const c of [bunOn, bunOff, wsOff]) expect(await c.next()).toMatchObject({ kind: "event", seq: 1, data: { i: 7 } });
    bunOn.close();
    bunOff.close();
    wsOn.ws.close();
    wsOff.ws.close();
  });

  test("a resuming client gets its replay compressed too", async () => {
    const s = start(["--compression", "on"]);
    for (let i = 0; i < 3; i++) await postJson(`${s.url}/api/events`, tick(i));
    const raw = await rawConnect(s.server.port, "/ws?since=0", OFFER);
    const inflate = createInflater();
    const frames = [];
    for (let i = 0; i < 4; i++) {
      const f = await raw.next();
      expect(f.compressed).toBe(true);
      frames.push(JSON.parse(inflate(f)));
    }
    expect(frames.map((f) => f.kind)).toEqual(["hello", "event", "event", "event"]);
    expect(frames.slice(1).map((f) => f.seq)).toEqual([1, 2, 3]);
    raw.end();
  });
});

describe("limits count inflated sizes", () => {
  test("a small compressed frame that inflates past --max-frame-bytes is closed with 1009; the server carries on", async () => {
    const s = start(["--compression", "on", "--max-frame-bytes", "4096"]);
    const bystander = await connect(s.ws("/ws"));
    await bystander.next();
    const raw = await rawConnect(s.server.port, "/ws", OFFER);
    await raw.next(); // hello
    const bomb = deflateMessage(Buffer.alloc(2 * 1024 * 1024, 0x20)); // 2 MB of spaces
    expect(bomb.length).toBeLessThan(4096); // under the limit as sent
    raw.send(OP.text | COMPRESSED, bomb);
    const close = await raw.untilClose();
    expect(close.code).toBe(1009);
    await s.waitForLog((l) => String(l.msg).includes("larger than --max-frame-bytes"));
    expect(s.server.refusals.oversizeFrames).toBe(1);
    bystander.send({ kind: "ping", id: 1 });
    expect(await bystander.next()).toEqual({ kind: "pong", id: 1 });
    expect((await health(s)).status).toBe("ok");
    bystander.close();
  });

  test("the inbound byte budget counts what a compressed frame inflates to", async () => {
    const s = start(["--compression", "on", "--max-inbound-bytes", "4096", "--max-frame-bytes", "4096", "--inbound-burst", "1"]);
    const raw = await rawConnect(s.server.port, "/ws", OFFER);
    const inflate = createInflater();
    await raw.next().then(inflate); // hello
    // ~3 KB each once inflated, a few dozen bytes on the wire: the second one overdraws 4 KB.
    const ping = deflateMessage(JSON.stringify({ kind: "ping", id: "x".repeat(3000) }));
    expect(ping.length).toBeLessThan(100);
    raw.send(OP.text | COMPRESSED, ping);
    expect(JSON.parse(inflate(await raw.next())).kind).toBe("pong");
    raw.send(OP.text | COMPRESSED, ping);
    const error = JSON.parse(inflate(await raw.next()));
    expect(error).toMatchObject({ kind: "error", code: "inbound_limit" });
    expect((await raw.untilClose()).code).toBe(1008);
  });
});

describe("--compression off (the default)", () => {
  test("a client that offers permessage-deflate gets plain frames", async () => {
    const s = start([]);
    const raw = await rawConnect(s.server.port, "/ws", OFFER);
    expect(raw.headers["sec-websocket-extensions"]).toBeUndefined();
    const hello = await raw.next();
    expect(hello.compressed).toBe(false);
    expect(JSON.parse(hello.payload.toString()).kind).toBe("hello");
    const bun = await connect(s.ws("/ws"));
    expect(bun.ws.extensions).toBe("");
    raw.end();
    bun.close();
  });
});
