import type { Socket } from "bun";
import { constants, deflateRawSync, inflateRawSync } from "node:zlib";

/** One frame as it came off the wire. */
export interface RawFrame {
  opcode: number;
  payload: Buffer;
  /** RSV1: the payload is compressed (permessage-deflate); see `createInflater`. */
  compressed: boolean;
  /** For close frames: the code and reason. */
  code?: number;
  reason?: string;
}

/**
 * A WebSocket client written against raw TCP, for what a well-behaved client cannot do: stop reading,
 * ignore pings, send invalid UTF-8 or oversize frames, and read the HTTP answer to a refused upgrade.
 */
export interface RawSocket {
  /** HTTP status of the handshake answer (101 when upgraded). */
  status: number;
  /** Body of a refused handshake, parsed as JSON. */
  body: any;
  headers: Record<string, string>;
  /** The next frame not taken yet. */
  next(): Promise<RawFrame>;
  /** Takes frames until a close frame, which it returns. */
  untilClose(): Promise<RawFrame>;
  /** Sends one masked frame. */
  send(opcode: number, payload: Uint8Array | string): void;
  /** Stops reading from the kernel, so the server's buffer for us fills up. */
  pause(): void;
  resume(): void;
  /** Resolves when the TCP connection ends. */
  ended: Promise<void>;
  end(): void;
}

export const OP = { text: 1, binary: 2, close: 8, ping: 9, pong: 10 } as const;

/** Or-ed into an opcode for `send`: RSV1, the frame's payload is compressed (`deflateMessage`). */
export const COMPRESSED = 0x40;

/** Opens a TCP connection to 127.0.0.1:`port` and sends a WebSocket handshake for `path`. */
export async function rawConnect(port: number, path: string, headers: Record<string, string> = {}): Promise<RawSocket> {
  let buf = Buffer.alloc(0);
  let wake: (() => void) | undefined;
  let endedResolve!: () => void;
  let isEnded = false;
  const ended = new Promise<void>((resolve) => (endedResolve = resolve));
  const poke = () => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const socket: Socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data(_s, chunk) {
        buf = Buffer.concat([buf, chunk]);
        poke();
      },
      close() {
        isEnded = true;
        endedResolve();
        poke();
      },
      error() {},
    },
  });
  const extra = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("");
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
  );

  const waitFor = async (ready: () => boolean, what: string) => {
    while (!ready()) {
      if (isEnded) throw new Error(`connection ended while waiting for ${what}`);
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };

  await waitFor(() => buf.includes("\r\n\r\n"), "the handshake answer");
  const headEnd = buf.indexOf("\r\n\r\n");
  const head = buf.subarray(0, headEnd).toString("latin1").split("\r\n");
  buf = buf.subarray(headEnd + 4);
  const status = Number(head[0]!.split(" ")[1]);
  const responseHeaders = Object.fromEntries(
    head.slice(1).map((line) => [line.slice(0, line.indexOf(":")).toLowerCase(), line.slice(line.indexOf(":") + 1).trim()]),
  );
  let body: any;
  if (status !== 101) {
    const length = Number(responseHeaders["content-length"] ?? 0);
    await waitFor(() => buf.length >= length, "the refusal body");
    body = JSON.parse(buf.subarray(0, length).toString("utf8"));
    socket.end();
  }

  /** Parses one frame off the front of the buffer, if a whole one is there. */
  const parse = (): RawFrame | undefined => {
    if (buf.length < 2) return undefined;
    const opcode = buf[0]! & 0x0f;
    let length = buf[1]! & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (buf.length < 4) return undefined;
      length = buf.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (buf.length < 10) return undefined;
      length = Number(buf.readBigUInt64BE(2));
      offset = 10;
    }
    if (buf.length < offset + length) return undefined;
    const compressed = (buf[0]! & 0x40) !== 0;
    const payload = Buffer.from(buf.subarray(offset, offset + length));
    buf = buf.subarray(offset + length);
    const frame: RawFrame = { opcode, payload, compressed };
    if (opcode === OP.close && payload.length >= 2) {
      frame.code = payload.readUInt16BE(0);
      frame.reason = payload.subarray(2).toString("utf8");
    }
    return frame;
  };

  const next = async (): Promise<RawFrame> => {
    for (;;) {
      const frame = parse();
      if (frame) return frame;
      if (isEnded) throw new Error("connection ended before the next frame");
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };

  return {
    status,
    body,
    headers: responseHeaders,
    next,
    async untilClose() {
      for (;;) {
        const frame = await next();
        if (frame.opcode === OP.close) return frame;
      }
    },
    send(opcode, payload) {
      const data = typeof payload === "string" ? Buffer.from(payload) : Buffer.from(payload);
      const mask = Buffer.from([0x12, 0x34, 0x56, 0x78]);
      const len = data.length;
      const header =
        len < 126 ? Buffer.from([0x80 | opcode, 0x80 | len])
        : len < 65536 ? Buffer.from([0x80 | opcode, 0x80 | 126, len >> 8, len & 0xff])
        : Buffer.concat([Buffer.from([0x80 | opcode, 0x80 | 127]), (() => { const b = Buffer.alloc(8); b.writeBigUInt64BE(BigInt(len)); return b; })()]);
      const masked = Buffer.alloc(len);
      for (let i = 0; i < len; i++) masked[i] = data[i]! ^ mask[i & 3]!;
      socket.write(Buffer.concat([header, mask, masked]));
    },
    pause: () => void socket.pause(),
    resume: () => void socket.resume(),
    ended,
    end: () => socket.end(),
  };
}

/** The bytes permessage-deflate strips from the end of every compressed message (RFC 7692, 7.2.1). */
const DEFLATE_TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/**
 * Inflates a connection's compressed messages in order. The server may keep its compression window
 * across messages (context takeover), so each message is inflated with the text before it as the dictionary.
 * Also the bench's (bench/lib/raw-ws.ts).
 */
export function createPayloadInflater(): (payload: Uint8Array) => Buffer {
  let window = Buffer.alloc(0);
  return (payload) => {
    const options = { finishFlush: constants.Z_SYNC_FLUSH, ...(window.length > 0 ? { dictionary: window } : {}) };
    const out = inflateRawSync(Buffer.concat([payload, DEFLATE_TAIL]), options);
    window = Buffer.concat([window, out]).subarray(-32 * 1024);
    return out;
  };
}

/** A connection's frames as text, inflated when compressed (see `createPayloadInflater`). */
export function createInflater(): (frame: RawFrame) => string {
  const inflate = createPayloadInflater();
  return (frame) => (frame.compressed ? inflate(frame.payload) : frame.payload).toString("utf8");
}

/** Compresses one client message on its own (no context kept), as a client offering client_no_context_takeover does. */
export function deflateMessage(text: string | Buffer): Buffer {
  const out = deflateRawSync(text, { finishFlush: constants.Z_SYNC_FLUSH });
  return out.subarray(0, out.length - DEFLATE_TAIL.length);
}
