// stream-server console: live events and logs over WebSocket, with resume, filters, health and publishing.
// Plain browser JavaScript (an ES module); its streams are the server's own client (/client.js), which
// reconnects and resumes. Served by the executable itself. Server text is only ever put into the page
// with textContent, never as HTML.
import { subscribe } from "/client.js";

/** Rows kept in the DOM per pane: enough to read, few enough to stay smooth at 1,000 events/s. */
const ROW_CAP = 400;
/**
 * Rows added per redraw at most. When more arrive between two redraws (a burst, or a busy machine),
 * the older ones are skipped in the live view — a separator says how many — so each redraw's work stays
 * bounded; they stay in memory, and Pause shows them.
 */
const FRAME_MAX = 50;
/**
 * The view is redrawn at most this often. Nobody reads rows that change 60 times a second, and each
 * redraw repaints the list: at 1,000 events/s, 10 redraws a second cost far less than 60.
 */
const RENDER_EVERY_MS = 100;
/** Items kept in memory per stream, so that changing a filter (or pausing) can show earlier ones. */
const KEEP = 5000;
const HEALTH_EVERY_MS = 2000;
/** Reconnect waits: short, since a person is watching. */
const BACKOFF = { initialMs: 500, maxMs: 5000 };
const LEVELS = ["debug", "info", "warn", "error"];

/** `/?token=…` is passed on to the WebSocket paths, for a server that runs with --subscribe-token. */
const SUBSCRIBE_TOKEN = new URLSearchParams(location.search).get("token");

const $ = (id) => document.getElementById(id);

/** One live stream (events or logs): its socket, position, buffer and pane. */
function createStream(name, path, render, matches) {
  return {
    name, path, render, matches,
    rows: $(`${name}-rows`), state: $(`${name}-state`), count: $(`${name}-count`),
    /** The data rows in the pane (a live collection: no query per update). */
    shown: $(`${name}-rows`).getElementsByClassName(name === "events" ? "ev" : "log"),
    items: [], pending: [], received: 0, waiting: 0,
    lastSeq: undefined, sub: undefined,
  };
}

const streams = {
  events: createStream("events", "/ws", eventRow, eventMatches),
  logs: createStream("logs", "/ws/logs", logRow, logMatches),
};
globalThis.streams = streams; // for the devtools console (and the e2e tests): streams.events.sub.reconnect()
const view = { paused: false, types: [], level: 0, text: "" };
let frameRequested = false;
let lastFlush = 0;

// ---------------------------------------------------------------- connection, resume and gaps

/**
 * Subscribes to the stream through the client, which reconnects with backoff and resumes from the last
 * frame, so the page shows every seq once; what the server could not replay arrives as a `reset`.
 */
function connect(stream) {
  stream.sub = subscribe(location.origin, {
    channel: stream.name,
    token: SUBSCRIBE_TOKEN ?? undefined,
    backoff: BACKOFF,
    onState: (state) => onState(stream, state),
    onItem: (item) => onItem(stream, item),
    onPosition: (position) => (stream.lastSeq = position.seq), // checkpoints move it too: no row, no gap
    onError: (frame) => addNote(stream, `Server: ${frame.message ?? frame.code}`),
  });
}

function onState(stream, state) {
  switch (state.status) {
    case "connecting":
      return setState(stream, stream.lastSeq === undefined ? "connecting" : "reconnecting", stream.lastSeq === undefined ? "connecting" : "resuming");
    case "live": {
      const { hello } = state;
      if (stream.lastSeq === undefined) stream.lastSeq = hello.seq;
      setState(stream, "live", "live", `${hello.path ?? stream.path} · server ${hello.version ?? "?"} · epoch ${hello.epoch}`);
      return refreshEmptyHint(stream);
    }
    case "reconnecting":
      return setState(stream, "reconnecting", `${state.reason}; retrying in ${(state.delayMs / 1000).toFixed(1)} s`);
    case "refused": {
      // The server said no (a token, usually); browsers hide why, the client asked and stopped retrying.
      const hint = SUBSCRIBE_TOKEN
        ? "the server refused the connection: is ?token= the subscribe token?"
        : "the server refused the connection: if it runs with --subscribe-token, open this page as /?token=<token>";
      setState(stream, "refused", "refused", state.text);
      return addNote(stream, `${hint} (server: ${state.error.message}). Reload the page to try again.`, "reset");
    }
    default:
      return setState(stream, "closed", state.text);
  }
}

function onItem(stream, item) {
  if (item.kind === "reset") return addNote(stream, `Gap: ${item.message || `the server could not replay everything after seq ${item.since}`}`, "reset");
  stream.received++;
  addItem(stream, item);
}

function setState(stream, state, text, detail = text) {
  stream.state.dataset.state = state;
  stream.state.textContent = text;
  stream.state.title = detail;
}

// ---------------------------------------------------------------- buffering and batched rendering

function addItem(stream, item) {
  stream.items.push(item);
  if (stream.items.length > KEEP * 1.25) stream.items.splice(0, stream.items.length - KEEP);
  if (stream.matches(item)) {
    stream.pending.push(item);
    if (stream.pending.length > ROW_CAP * 2) stream.pending.splice(0, stream.pending.length - ROW_CAP);
    if (view.paused) stream.waiting++;
  }
  scheduleRender();
}

/** A marker row: a reset, a gap or a server message. Markers are kept and shown whatever the filters. */
function addNote(stream, text, kind = "info") {
  const note = { kind: "note", note: kind, text, time: new Date().toISOString() };
  stream.items.push(note);
  stream.pending.push(note);
  scheduleRender();
}

/** Asks for one animation frame; everything that arrives before it is rendered (or counted) together. */
function scheduleRender() {
  if (frameRequested) return;
  frameRequested = true;
  const wait = lastFlush + RENDER_EVERY_MS - performance.now();
  if (wait <= 0) requestAnimationFrame(flush);
  else setTimeout(() => requestAnimationFrame(flush), wait);
}

/** Renders everything that arrived since the last animation frame, newest on top, in one DOM insert per pane. */
function flush() {
  frameRequested = false;
  lastFlush = performance.now();
  if (view.paused) {
    for (const stream of Object.values(streams)) updateCount(stream);
    return showWaiting();
  }
  for (const stream of Object.values(streams)) {
    const batch = stream.pending;
    if (batch.length === 0) continue;
    stream.pending = [];
    const fragment = document.createDocumentFragment();
    const first = Math.max(0, batch.length - FRAME_MAX);
    for (let i = batch.length - 1; i >= first; i--) fragment.append(row(stream, batch[i]));
    if (first > 0) fragment.append(skipped(batch.slice(0, first)));
    stream.rows.querySelector(".empty")?.remove();
    stream.rows.prepend(fragment);
    while (stream.rows.childElementCount > ROW_CAP) stream.rows.lastElementChild.remove();
    updateCount(stream);
  }
}

/** The separator for rows the live view skipped; notes among them are kept. */
function skipped(items) {
  const fragment = document.createDocumentFragment();
  const notes = items.filter((item) => item.kind === "note");
  const div = el("div", "row skipped", `⋯ ${items.length - notes.length} more arrived meanwhile (Pause shows every one)`);
  fragment.append(div);
  for (let i = notes.length - 1; i >= 0; i--) fragment.append(row(undefined, notes[i]));
  return fragment;
}

/** Rebuilds a pane from the buffer, after a filter change, clear or resume. */
function rerender(stream) {
  const shown = [];
  for (let i = stream.items.length - 1; i >= 0 && shown.length < ROW_CAP; i--) {
    const item = stream.items[i];
    if (item.kind === "note" || stream.matches(item)) shown.push(item);
  }
  stream.pending = [];
  stream.rows.replaceChildren(...shown.map((item) => row(stream, item)));
  if (shown.length === 0) stream.rows.append(emptyHint(stream));
  updateCount(stream);
}

/**
 * What an empty pane says. The page shows only what arrives after it connects (its first socket asks for
 * no replay), so "nothing yet" is true only while the channel's seq is 0; past that, it says where the
 * earlier ones are. Addresses are this page's own, so they work on any host and port.
 */
function emptyHint(stream) {
  const events = stream.name === "events";
  const noun = events ? "events" : "log lines";
  const held = stream.items.some((item) => item.kind !== "note");
  const seq = stream.lastSeq;
  const how = events
    ? `Publish one with “Publish an event” above, or: curl -X POST ${location.origin}/api/events -H 'content-type: application/json' -d '{"type":"hello.world"}'`
    : "The server's own activity (connects, refused requests) appears here.";
  let text;
  if (held) text = `No ${noun} match the filters.`;
  else if (seq === undefined) text = `Waiting for the server's ${noun}…`;
  else if (seq === 0) text = `No ${noun} yet. ${how}`;
  else text = `No new ${noun}: this page shows ${noun} as they arrive. Earlier ones (up to seq ${seq}) are in the server's history: ${location.origin}/api/${stream.name}. ${how}`;
  return el("div", "empty", text);
}

/** Rewords an empty pane's hint once the server has said where its channel stands. */
function refreshEmptyHint(stream) {
  stream.rows.querySelector(".empty")?.replaceWith(emptyHint(stream));
}

function updateCount(stream) {
  const shown = stream.shown.length;
  stream.count.textContent = `${shown} shown · ${stream.received} received${stream.lastSeq !== undefined ? ` · seq ${stream.lastSeq}` : ""}`;
}

function showWaiting() {
  const waiting = streams.events.waiting + streams.logs.waiting;
  const box = $("waiting");
  box.hidden = !view.paused;
  box.textContent = `paused · ${waiting} new waiting`;
}

// ---------------------------------------------------------------- rows

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function row(stream, item) {
  if (item.kind === "note") {
    const div = el("div", `row marker ${item.note}`, `${clock(item.time)}  ${item.text}`);
    div.dataset.kind = item.note;
    return div;
  }
  return stream.render(item);
}

function eventRow(ev) {
  const div = el("div", "row ev");
  div.dataset.seq = ev.seq;
  div.dataset.type = ev.type;
  div.title = "click to expand";
  div.append(el("span", "t", clock(ev.time)), el("span", "seq", `#${ev.seq}`), el("span", "type", ev.type), el("span", "src", ev.source), el("span", "data", compact(ev.data)));
  EVENT_OF_ROW.set(div, ev);
  return div;
}

function logRow(line) {
  const div = el("div", `row log lvl-${line.level}`);
  div.dataset.seq = line.seq;
  div.dataset.level = line.level;
  const message = el("span", "msg", line.message);
  if (line.fields && Object.keys(line.fields).length) message.append(el("span", "fields", compact(line.fields)));
  div.append(el("span", "t", clock(line.time)), el("span", "lvl", line.level), el("span", "src", line.source), message);
  return div;
}

/** The event each row shows, for the one click handler on the list (no listener per row). */
const EVENT_OF_ROW = new WeakMap();

function toggleDetail(target) {
  const div = target.closest(".row.ev");
  const ev = div && EVENT_OF_ROW.get(div);
  if (!ev) return;
  const open = div.querySelector("pre");
  if (open) return open.remove();
  const { kind, ...rest } = ev;
  div.append(el("pre", "", JSON.stringify(rest, null, 2)));
}

function compact(value) {
  if (value === undefined || value === null) return "";
  const text = JSON.stringify(value);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

/** HH:MM:SS.mmm in local time. */
function clock(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso).slice(0, 12);
  const p = (n, w = 2) => String(n).padStart(w, "0");
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

// ---------------------------------------------------------------- filters

/** Same rules as the WebSocket `types` filter: exact names, or a prefix ending in `.*`; `*` is everything. */
function parseTypes(text) {
  return text.split(",").map((t) => t.trim()).filter(Boolean);
}

function typeMatches(type, patterns) {
  if (patterns.length === 0) return true;
  return patterns.some((p) => p === "*" || p === type || (p.endsWith(".*") && type.startsWith(p.slice(0, -1))));
}

function textOf(item) {
  item.search ??= [item.type, item.source, item.message, item.level, JSON.stringify(item.data ?? item.fields ?? "")].join(" ").toLowerCase();
  return item.search;
}

function eventMatches(ev) {
  return typeMatches(ev.type, view.types) && (!view.text || textOf(ev).includes(view.text));
}

function logMatches(line) {
  return LEVELS.indexOf(line.level) >= view.level && (!view.text || textOf(line).includes(view.text));
}

function onFiltersChanged() {
  view.types = parseTypes($("f-types").value);
  view.level = LEVELS.indexOf($("f-level").value);
  view.text = $("f-text").value.trim().toLowerCase();
  for (const stream of Object.values(streams)) rerender(stream);
}

function setPaused(paused) {
  view.paused = paused;
  const button = $("pause");
  button.textContent = paused ? "Resume" : "Pause";
  button.setAttribute("aria-pressed", String(paused));
  // Pausing freezes a complete view (every recent row, none skipped); resuming brings in what waited.
  for (const stream of Object.values(streams)) {
    stream.waiting = 0;
    rerender(stream);
  }
  showWaiting();
}

function clearAll() {
  for (const stream of Object.values(streams)) {
    stream.items = [];
    stream.pending = [];
    stream.waiting = 0;
    stream.received = 0;
    rerender(stream);
  }
  showWaiting();
}

// ---------------------------------------------------------------- health

let lastHealth;

async function pollHealth() {
  try {
    const res = await fetch("/api/health", { cache: "no-store" });
    const h = await res.json();
    const now = performance.now();
    const status = $("h-status");
    status.textContent = h.status === "ok" ? "ok" : `${h.status}${h.reason ? `: ${h.reason}` : ""}`;
    status.className = h.status === "ok" ? "ok" : "bad";
    $("h-version").textContent = h.version;
    $("h-uptime").textContent = duration(h.uptime);
    $("h-conns").textContent = Object.entries(h.connections).map(([path, n]) => `${path} ${n}`).join(" · ");
    if (lastHealth) {
      const seconds = (now - lastHealth.at) / 1000;
      $("h-eps").textContent = rate(h.channels.events.seq - lastHealth.events, seconds);
      $("h-lps").textContent = rate(h.channels.logs.seq - lastHealth.logs, seconds);
    }
    lastHealth = { at: now, events: h.channels.events.seq, logs: h.channels.logs.seq };
  } catch {
    $("h-status").textContent = "unreachable";
    $("h-status").className = "bad";
    lastHealth = undefined;
  }
  setTimeout(pollHealth, HEALTH_EVERY_MS);
}

/** Per-second rate; a negative delta means the server restarted with a fresh sequence. */
function rate(delta, seconds) {
  return delta < 0 || seconds <= 0 ? "–" : (delta / seconds).toFixed(delta / seconds < 10 ? 1 : 0);
}

function duration(seconds) {
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h ? `${h}h ${String(m).padStart(2, "0")}m` : m ? `${m}m ${String(s % 60).padStart(2, "0")}s` : `${s}s`;
}

// ---------------------------------------------------------------- publishing

/**
 * Sends the form as typed: the data box goes into the body as raw JSON text, so the server, not this
 * page, judges it, and its error message and issues are shown word for word.
 */
async function publish(event) {
  event.preventDefault();
  const type = $("p-type").value;
  const source = $("p-source").value;
  const data = $("p-data").value.trim();
  const token = $("p-token").value.trim();
  const parts = [];
  if (type !== "") parts.push(`"type":${JSON.stringify(type)}`);
  if (source !== "") parts.push(`"source":${JSON.stringify(source)}`);
  if (data !== "") parts.push(`"data":${data}`);
  const body = `{${parts.join(",")}}`;
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const out = $("publish-result");
  out.className = "result";
  out.textContent = "sending…";
  try {
    const res = await fetch("/api/events", { method: "POST", headers, body });
    const text = await res.text();
    let answer;
    try {
      answer = JSON.parse(text);
    } catch {
      answer = { message: text };
    }
    if (res.ok) {
      out.className = "result ok";
      out.textContent = `${res.status}: accepted, seq ${answer.items?.map((i) => i.seq).join(", ")}`;
      return;
    }
    out.className = "result error";
    out.textContent = `${res.status} ${answer.error ?? ""}: ${answer.message ?? text}`;
    if (Array.isArray(answer.issues) && answer.issues.length) {
      const list = el("ul");
      for (const issue of answer.issues) list.append(el("li", "", `${issue.path}: ${issue.message}`));
      out.append(list);
    }
  } catch (err) {
    out.className = "result error";
    out.textContent = `could not reach the server: ${err.message}`;
  }
}

// ---------------------------------------------------------------- start

function selectTab(name) {
  document.querySelector(".panes").dataset.tab = name;
  for (const b of document.querySelectorAll(".tabs button")) b.setAttribute("aria-selected", String(b.dataset.tab === name));
}

function start() {
  for (const id of ["f-types", "f-level", "f-text"]) $(id).addEventListener("input", onFiltersChanged);
  $("pause").addEventListener("click", () => setPaused(!view.paused));
  $("clear").addEventListener("click", clearAll);
  $("publish").addEventListener("submit", publish);
  streams.events.rows.addEventListener("click", (e) => toggleDetail(e.target));
  for (const b of document.querySelectorAll(".tabs button")) b.addEventListener("click", () => selectTab(b.dataset.tab));
  for (const stream of Object.values(streams)) {
    rerender(stream);
    connect(stream);
  }
  pollHealth();
}

start();
