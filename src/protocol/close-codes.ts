/**
 * The WebSocket close codes the server sends (RFC 6455 §7.4.1 registry), each named once here so a
 * client author finds them all in one place; docs/protocol.md's close-code table is printed from `CLOSE_CODES`.
 */

/** The server shuts down: reconnect (to another instance, or this one restarted) and resume. */
export const GOING_AWAY = 1001;
/** The client sent more than its inbound budget (after an `inbound_limit` error frame). */
export const POLICY_VIOLATION = 1008;
/** The client sent a frame over --max-frame-bytes; Bun closes it before our code sees the frame. */
export const MESSAGE_TOO_BIG = 1009;
/** Something failed on the server's side (reading history, a handler); reconnecting retries. */
export const INTERNAL_ERROR = 1011;
/** The channel's stream was recreated (new epoch): reconnect and resume, and a `reset` says what is gone. */
export const SERVICE_RESTART = 1012;
/** Too slow a reader, or a connection limit reached: reconnect later and resume. */
export const TRY_AGAIN_LATER = 1013;

/**
 * The connection's JSON Web Token expired and no refresh frame replaced it: reconnect with a fresh token
 * and resume. Private use (4000–4999): the registry has no code for it, and it must differ from the others
 * so a client knows to get a new token rather than just retry.
 */
export const TOKEN_EXPIRED = 4001;

/** One close code as documented for clients. */
export interface CloseCodeInfo {
  code: number;
  /** The registry's name for it. */
  name: string;
  /** When the server sends it and what the client should do, in one line. */
  when: string;
}

/** Every close code the server sends, in order. */
export const CLOSE_CODES: readonly CloseCodeInfo[] = [
  { code: GOING_AWAY, name: "going away", when: "the server is shutting down; reconnect (another instance, or this one restarted) and resume from your last seq" },
  { code: POLICY_VIOLATION, name: "policy violation", when: "after an `inbound_limit` error frame: the client sent more frames or bytes a second than its budget" },
  { code: MESSAGE_TOO_BIG, name: "message too big", when: "the client sent a frame larger than `--max-frame-bytes`" },
  { code: INTERNAL_ERROR, name: "internal error", when: "the server could not read history for a resuming client, or a handler failed; reconnect to retry" },
  { code: SERVICE_RESTART, name: "service restart", when: "the channel's stream was recreated (with `--redis`: Redis lost its data); reconnect and resume, a `reset` says what is gone" },
  { code: TRY_AGAIN_LATER, name: "try again later", when: "the client read too slowly (`--max-buffered-bytes`), or a connection limit was reached as it opened; reconnect later and resume" },
  { code: TOKEN_EXPIRED, name: "token expired (private use)", when: "the connection's JSON Web Token expired and no `refresh` frame replaced it; get a fresh token, reconnect with it and resume" },
];
