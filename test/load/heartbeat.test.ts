import { expect, test } from "bun:test";
import { OP, rawConnect, type RawSocket } from "../helpers/raw-socket.ts";
import { health, useServer } from "../helpers/server.ts";

const start = useServer();

const hello = async (socket: RawSocket) => expect(JSON.parse((await socket.next()).payload.toString()).kind).toBe("hello");

test(
  "idle clients are pinged: one that never answers is closed and freed, one that answers stays open",
  async () => {
    // 8 s is the shortest idle timeout Bun has; the test takes about two of them.
    const s = start(["--idle-timeout", "8"]);
    const mute = await rawConnect(s.server.port, "/ws");
    const alive = await rawConnect(s.server.port, "/ws");
    await hello(mute);
    await hello(alive);

    // The other one answers each ping with a pong, survives the timeout, and is pinged again.
    const answering = (async () => {
      for (let i = 0; i < 2; i++) {
        const ping = await alive.next();
        expect(ping.opcode).toBe(OP.ping);
        alive.send(OP.pong, ping.payload);
      }
    })();

    // The mute client reads the ping but never answers, nor sends anything else: the server drops it.
    expect((await mute.next()).opcode).toBe(OP.ping);
    await mute.ended;
    await s.waitForLog((l) => l.msg === "client disconnected" && l.connections === 1);
    await answering;
    expect((await health(s)).connections["/ws"]).toBe(1);
    alive.end();
  },
  90_000,
);
