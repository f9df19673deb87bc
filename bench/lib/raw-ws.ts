import type { Socket } from "bun";
import { createPayloadInflater } from "../../test/helpers/raw-socket.ts";
import { sharedNow } from "./clock.ts";

/**
 * A minimal WebSocket client on raw TCP (`Bun.connect`): it parses the server's unmasked frames itself
 * and hands each payload over as a byte range, with no decoding and no per-frame allocation.
 * Bun's own WebSocket client tops out well below what the server can send; this one does not.
 */

/**
 * Called once per text frame with the payload at `buf[start, end)`. `arrivedMs` is when the TCP read
 * holding the frame's last byte was handed to the client, on the shared clock (`sharedNow`), taken once
 * per read before any parsing: the frames of one read all arrived by then.
 */
export type OnFrame = (buf: Uint8Array, start: number, end: number, arrivedMs: number, compressed: boolean) => void;

export interface RawWs {
  /** Sends a prebuilt client frame (see `clientFrame`). */
  send(frame: Uint8Array): void;
  close(): void;
  closed: Promise<void>;
  /** Bytes received after the handshake: what came over the wire, frame headers included. */
  bytes(): number;
  /** The server's Sec-WebSocket-Extensions answer ("" when none). */
  extensions: string;
}

export interface RawWsOptions {
  host: string;
  port: number;
  path: string;
  onFrame: OnFrame;
  /** Called when the server closes the connection or it fails. */
  onClose?: (reason: string) => void;
  /**
   * Offer permessage-deflate, as browsers do. Compressed frames reach `onFrame` as they came (flagged
   * `compressed`), unless `inflate` is set: then inflated, at a cost of several µs per frame, so only
   * a client that must read every frame (the sentinel) sets it.
   */
  deflate?: boolean;
  inflate?: boolean;
}

const encoder = new TextEncoder();
const HEADER_END = encoder.encode("\r\n\r\n");

/** Builds a masked client text frame. The mask key is zero, so the payload goes out unchanged and frames can be prebuilt. */
export function clientFrame(text: string | Uint8Array): Uint8Array {
  const payload = typeof text === "string" ? encoder.encode(text) : text;
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const out = new Uint8Array(head + 4 + n);
  out[0] = 0x81;
  if (n < 126) out[1] = 0x80 | n;
  else if (n < 65536) {
    out[1] = 0x80 | 126;
    out[2] = n >> 8;
    out[3] = n & 0xff;
  } else {
    out[1] = 0x80 | 127;
    new DataView(out.buffer).setBigUint64(2, BigInt(n));
  }
  out.set(payload, head + 4);
  return out;
}

/** Opens a WebSocket; resolves once the server answered 101. */
export function openRawWs({ host, port, path, onFrame, onClose, deflate, inflate }: RawWsOptions): Promise<RawWs> {
  return new Promise((resolve, reject) => {
    let upgraded = false;
    let received = 0;
    const inflateNext = inflate ? createPayloadInflater() : undefined;
    let pending: Uint8Array | undefined; // bytes of an incomplete frame (or of the handshake answer)
    const out: Uint8Array[] = [];
    let sock: Socket<undefined> | undefined;
    let resolveClosed!: () => void;
    const closed = new Promise<void>((r) => (resolveClosed = r));

    const flush = (s: Socket<undefined>) => {
      while (out.length > 0) {
        const first = out[0]!;
        const n = s.write(first);
        if (n < first.length) {
          if (n > 0) out[0] = first.subarray(n);
          return;
        }
        out.shift();
      }
    };

    const ws: RawWs = {
      send(frame) {
        if (!sock) return;
        if (out.length === 0) {
          const n = sock.write(frame);
          if (n === frame.length) return;
          frame = frame.subarray(Math.max(n, 0));
        }
        out.push(frame);
      },
      close() {
        sock?.end();
      },
      closed,
      bytes: () => received,
      extensions: "",
    };

    const parse = (s: Socket<undefined>, buf: Uint8Array, arrivedMs: number) => {
      let i = 0;
      const len = buf.length;
      while (len - i >= 2) {
        const b0 = buf[i]!;
        let n = buf[i + 1]! & 0x7f;
        let p = i + 2;
        if (n === 126) {
          if (len - i < 4) break;
          n = (buf[i + 2]! << 8) | buf[i + 3]!;
          p = i + 4;
        } else if (n === 127) {
          if (len - i < 10) break;
          n = Number(new DataView(buf.buffer, buf.byteOffset + i + 2, 8).getBigUint64(0));
          p = i + 10;
        }
        if (len - p < n) break;
        const opcode = b0 & 0x0f;
        if (opcode === 0x1) {
          if ((b0 & 0x80) === 0) throw new Error("fragmented frames are not expected from the server under test");
          const compressed = (b0 & 0x40) !== 0;
          if (compressed && inflateNext) {
            const text = inflateNext(buf.subarray(p, p + n));
            onFrame(text, 0, text.length, arrivedMs, false);
          } else onFrame(buf, p, p + n, arrivedMs, compressed);
        } else if (opcode === 0x9) {
          const pong = new Uint8Array(6 + n);
          pong[0] = 0x8a;
          pong[1] = 0x80 | n;
          pong.set(buf.subarray(p, p + n), 6);
          ws.send(pong);
        } else if (opcode === 0x8) {
          s.end();
        }
        i = p + n;
      }
      pending = i < len ? buf.slice(i) : undefined;
    };

    Bun.connect({
      hostname: host,
      port,
      socket: {
        open(s) {
          sock = s;
          s.setNoDelay(true); // a publisher's small frames must not wait for Nagle's algorithm
          s.write(
            `GET ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
              `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n` +
              (deflate ? "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n" : "") + "\r\n",
          );
        },
        data(s, chunk) {
          const arrivedMs = sharedNow();
          if (upgraded) received += chunk.length;
          let buf: Uint8Array = chunk;
          if (pending) {
            const joined = new Uint8Array(pending.length + chunk.length);
            joined.set(pending);
            joined.set(chunk, pending.length);
            buf = joined;
            pending = undefined;
          }
          if (!upgraded) {
            const end = indexOf(buf, HEADER_END);
            if (end < 0) {
              pending = buf.slice();
              return;
            }
            const head = new TextDecoder().decode(buf.subarray(0, end));
            if (!head.startsWith("HTTP/1.1 101")) {
              reject(new Error(`upgrade to ws://${host}:${port}${path} refused: ${head.split("\r\n")[0]}`));
              s.end();
              return;
            }
            upgraded = true;
            ws.extensions = /\r\nsec-websocket-extensions: *([^\r]*)/i.exec(head)?.[1] ?? "";
            resolve(ws);
            buf = buf.subarray(end + 4);
            received += buf.length;
          }
          parse(s, buf, arrivedMs);
        },
        drain(s) {
          flush(s);
        },
        close() {
          if (!upgraded) reject(new Error(`connection to ${host}:${port} closed before the upgrade`));
          onClose?.("closed");
          resolveClosed();
        },
        error(_s, err) {
          if (!upgraded) reject(err);
          onClose?.(String(err));
        },
      },
    }).catch(reject);
  });
}

function indexOf(buf: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= buf.length; i++) {
    for (let j = 0; j < needle.length; j++) if (buf[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/** Where the key of the last number `numberBefore` read begins (its opening quote). */
let keyAt = -1;

/**
 * Reads the whole number whose last digit is `buf[i - 1]` (scanning back, not past `start`) and checks
 * that `"<key>":` precedes it; sets `keyAt`. Returns -1 when there is no such number. Allocates nothing:
 * it runs for every frame received.
 */
function numberBefore(buf: Uint8Array, start: number, i: number, key: number): number {
  let n = 0;
  let mul = 1;
  for (i--; i >= start; i--) {
    const c = buf[i]!;
    if (c < 0x30 || c > 0x39) break;
    n += (c - 0x30) * mul;
    mul *= 10;
  }
  if (mul === 1 || i - 3 < start || buf[i] !== 0x3a /* : */ || buf[i - 1] !== 0x22 /* " */ || buf[i - 2] !== key || buf[i - 3] !== 0x22) return -1;
  keyAt = i - 3;
  return n;
}

/** Whether the frame ends with `}}`: an event whose data object closes it, as every server under test sends. */
const endsWithData = (buf: Uint8Array, start: number, end: number) => end - 3 >= start && buf[end - 1] === 0x7d && buf[end - 2] === 0x7d;

/**
 * Reads the generator's counter from an event frame. Every server under test ends its frame with the
 * event's `data`, and the generator's data ends with `"n":N}`: so the frame ends with `N}}`.
 * Returns -1 when the frame is not one of ours (hello, ack, log).
 */
export function trailingCounter(buf: Uint8Array, start: number, end: number): number {
  return endsWithData(buf, start, end) ? numberBefore(buf, start, end - 2, 0x6e /* n */) : -1;
}

/**
 * Reads the send time a paced publisher wrote into the event (`eventJson`'s `sentUs`): its data ends
 * with `"t":MICROS,"n":N}`. Returns the time in ms on the shared clock (`sharedNow`), or NaN when the
 * frame carries none.
 */
export function trailingSendTime(buf: Uint8Array, start: number, end: number): number {
  if (trailingCounter(buf, start, end) < 0 || buf[keyAt - 1] !== 0x2c /* , */) return NaN;
  const us = numberBefore(buf, start, keyAt - 1, 0x74 /* t */);
  return us < 0 ? NaN : us / 1000;
}

const SEQ_PREFIX = new TextEncoder().encode('{"kind":"event","seq":');
const LOG_SEQ_PREFIX = new TextEncoder().encode('{"kind":"log","seq":');

/**
 * Reads the server's `seq` from an event or log frame: every server under test starts its event frames with
 * `{"kind":"event","seq":N` (log frames: `{"kind":"log","seq":N`). Returns -1 for any other frame.
 */
export function leadingSeq(buf: Uint8Array, start: number, end: number): number {
  const p = buf[start + 9] === 0x6c /* l of "log" */ ? LOG_SEQ_PREFIX : SEQ_PREFIX;
  if (end - start <= p.length) return -1;
  for (let j = 0; j < p.length; j++) if (buf[start + j] !== p[j]) return -1;
  let n = 0;
  let i = start + p.length;
  const first = i;
  for (; i < end; i++) {
    const c = buf[i]!;
    if (c < 0x30 || c > 0x39) break;
    n = n * 10 + (c - 0x30);
  }
  return i > first ? n : -1;
}
