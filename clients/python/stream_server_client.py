"""A Python client for stream-server that keeps the server's promise: nothing is lost silently.

    async for frame in subscribe("http://localhost:8000", types="order.*"):
        if isinstance(frame, Reset):
            print("lost", frame.lost, "continuing at", frame.next)
        else:
            print(frame["seq"], frame["type"], frame["data"])

    await publish("http://localhost:8000", [{"type": "order.filled", "data": {"qty": 5}}])

Standard library plus `websockets` (10.4, Debian 12's, and later). Only the public protocol is used
(docs/protocol.md, docs/resume.md). Details: clients/python/README.md.
"""

from __future__ import annotations

import asyncio
import base64
import http.client
import inspect
import json
import logging
import os
import random
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any, AsyncIterator, Awaitable, Callable, Iterable, Mapping, Optional, Sequence, Union

import websockets
import websockets.exceptions

__all__ = [
    "subscribe", "publish", "Subscription", "Position", "Reset", "Checkpoint", "Backoff", "TokenSource",
    "StreamError", "Refused", "PublishError",
]

log = logging.getLogger("stream_server_client")

#: Handshake answers that no retry can fix: a bad query, a missing or refused token, no such path.
REFUSED_STATUSES = frozenset({400, 401, 403, 404})
#: HTTP answers to a publish that a retry may fix (the event ids make the retry safe).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

# websockets 14+ names the handshake headers argument `additional_headers`; 10.4 to 13 `extra_headers`.
_HEADERS_ARG = "additional_headers" if "additional_headers" in inspect.signature(websockets.connect).parameters else "extra_headers"


class StreamError(Exception):
    """Base class of this client's errors."""


class Refused(StreamError):
    """The server refused the WebSocket handshake with a status no retry can fix (400, 401, 403, 404)."""

    def __init__(self, url: str, status: int, code: Optional[str], message: str):
        self.url, self.status, self.code, self.message = url, status, code, message
        self.answer = _answer_text(status, code, message)
        super().__init__(f"{url} refused the subscription: {self.answer}")


class PublishError(StreamError):
    """A publish the server refused (status and its JSON error), or that could not be delivered after every retry."""

    def __init__(self, message: str, status: Optional[int] = None, body: Optional[dict] = None):
        self.status, self.body = status, body or {}
        self.code = self.body.get("error")
        self.published: list = []  # with several requests (max_batch): the items of the events stored before this one failed
        super().__init__(message)


@dataclass(frozen=True)
class Position:
    """Where a subscriber is: the channel's epoch and the seq of the last frame handed out. Save it; start from it."""

    epoch: Optional[str]
    seq: int


@dataclass(frozen=True)
class Reset:
    """The server could not give everything after the position: `lost` seqs are gone, the stream goes on at `next`."""

    reason: str
    message: str
    epoch: str
    since: int
    next: int
    lost: Optional[tuple]  # (from, to), both included; None when not known
    kind: str = "reset"


@dataclass(frozen=True)
class Checkpoint:
    """A filtered subscriber's position moved to `seq` without a matching event (yielded only with checkpoints=True)."""

    seq: int
    kind: str = "checkpoint"


@dataclass(frozen=True)
class Backoff:
    """Capped exponential backoff with jitter: attempt n waits a random time in [(1 - jitter) * d, d], d = min(maximum, initial * factor ** n)."""

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    jitter: float = 0.5

    def delay(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (0 = the first retry)."""
        ceiling = min(self.maximum, self.initial * self.factor ** min(attempt, 64))
        return ceiling * (1 - self.jitter * random.random())


Item = Union[dict, Reset, Checkpoint]

#: A token, or a function (plain or async) that returns a fresh one: asked before every connection and,
#: for a JSON Web Token, again before it expires, so the connection is not closed at expiry (4001).
TokenSource = Union[str, Callable[[], Union[str, Awaitable[str]]], None]


def token_expiry(token: Optional[str]) -> Optional[float]:
    """When a JSON Web Token expires (seconds since 1970), read from its payload; None for other tokens."""
    parts = (token or "").split(".")
    if len(parts) != 3:
        return None
    try:
        # Read, not verified: only to plan when to ask for a fresh token; the server verifies.
        exp = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))).get("exp")
    except (ValueError, AttributeError):
        return None
    return float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else None


def refresh_delay(expires_at: float, now: float) -> float:
    """Seconds to wait before refreshing: a minute before expiry, or at 80 % of what is left for a short-lived token."""
    left = expires_at - now
    return max(0.0, left - 60, left * 0.8)


def subscribe(url: str, *, logs: bool = False, types: Union[str, Sequence[str], None] = None, level: Optional[str] = None,
              source: Union[str, Sequence[str], None] = None, since: Optional[int] = None, epoch: Optional[str] = None,
              since_time: Optional[str] = None, token: TokenSource = None, backoff: Backoff = Backoff(),
              checkpoints: bool = False, on_state: Optional[Callable[[str], None]] = None,
              open_timeout: float = 10.0) -> "Subscription":
    """Subscribes to the event stream (or, with logs=True, the log stream); iterate the result with `async for`."""
    if since is not None and since_time is not None:
        raise ValueError("give since (a seq) or since_time (a time), not both")
    if epoch is not None and since is None:
        raise ValueError("epoch goes with since: pass both from a saved Position")
    query = {"types": _csv(types), "level": level, "source": _csv(source), "since_time": since_time}
    return Subscription(stream_url(url, logs), query, Position(epoch, since) if since is not None else None,
                        token=token, backoff=backoff, checkpoints=checkpoints, on_state=on_state, open_timeout=open_timeout)


class Subscription:
    """One subscription kept alive across drops: `async for` yields event/log frames (dicts), `Reset`s and, if asked, `Checkpoint`s."""

    def __init__(self, url: str, query: Mapping[str, Optional[str]], start: Optional[Position], *, token: TokenSource,
                 backoff: Backoff, checkpoints: bool, on_state: Optional[Callable[[str], None]], open_timeout: float):
        self.url, self._query, self._token = url, {k: v for k, v in query.items() if v is not None}, token
        self._backoff, self._checkpoints, self._on_state, self._open_timeout = backoff, checkpoints, on_state, open_timeout
        self._epoch: Optional[str] = start.epoch if start else None
        self._seq: Optional[int] = start.seq if start else None
        self._stream_epoch: Optional[str] = self._epoch  # the epoch of the connection's frames, from its hello or a reset
        self._ws: Any = None
        self._used_token: Optional[str] = None
        self._closed = False
        self._stop: Optional[asyncio.Event] = None  # made in the loop that iterates (Python 3.9 binds it at creation)
        self.state = "idle"

    @property
    def position(self) -> Optional[Position]:
        """The position after the last item handed out (None before the first hello of a live-only start)."""
        return None if self._seq is None else Position(self._epoch, self._seq)

    def __aiter__(self) -> AsyncIterator[Item]:
        return self._items()

    async def __aenter__(self) -> "Subscription":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Stops the subscription; a running `async for` ends."""
        self._closed = True
        if self._stop is not None:
            self._stop.set()
        if self._ws is not None:
            await self._ws.close()
        self._set_state("closed")

    async def _items(self) -> AsyncIterator[Item]:
        self._stop = asyncio.Event()
        attempt = 0
        try:
            while not self._closed:
                try:
                    self._set_state("connecting")
                    self._ws = await self._open()
                except Refused as refused:
                    self._set_state(f"refused: {refused.answer}")
                    raise
                except _RetryLater as later:
                    attempt = await self._wait(attempt, later.reason, later.retry_after)
                    continue
                opened, delivered, why = time.monotonic(), False, "closed"
                refresher = asyncio.ensure_future(self._refresh(self._ws, self._used_token)) if callable(self._token) else None
                try:
                    while True:
                        frame = json.loads(await self._ws.recv())
                        item = self._take(frame)
                        if frame.get("kind") == "hello":
                            self._set_state("live")
                        if item is not None:
                            delivered = True
                            yield item
                except websockets.exceptions.ConnectionClosed as closed:
                    why = _close_reason(closed)
                except (OSError, asyncio.TimeoutError, ValueError) as broken:  # a reset socket, or a frame that is not JSON
                    why = f"connection broke: {broken!r}"
                finally:
                    if refresher is not None:
                        refresher.cancel()
                    ws, self._ws = self._ws, None
                    if ws is not None:
                        await ws.close()
                if self._closed:
                    break
                # A connection that delivered something, or stayed up a while, starts the backoff over:
                # one that the server closes right after hello (a limit, an unreadable history) does not.
                if delivered or time.monotonic() - opened >= 5:
                    attempt = 0
                attempt = await self._wait(attempt, why, 0)
        finally:
            if self._ws is not None:
                await self._ws.close()
                self._ws = None
            if not self.state.startswith("refused"):
                self._set_state("closed")

    async def _token_now(self) -> Optional[str]:
        """The token to use now: the fixed one, or a fresh one from the caller's function."""
        if not callable(self._token):
            return self._token
        try:
            got = self._token()
            return await got if inspect.isawaitable(got) else got
        except Exception as failed:  # the caller's function: say why, and try again later
            raise _RetryLater(f"getting a token failed: {failed!r}", 0) from None

    async def _refresh(self, ws: Any, token: Optional[str]) -> None:
        """Before `token` expires, sends the next one in a refresh frame; if that fails, the server closes at expiry and the reconnect gets a fresh one."""
        while True:
            expires_at = token_expiry(token)
            if expires_at is None:
                return
            await asyncio.sleep(refresh_delay(expires_at, time.time()))
            try:
                token = await self._token_now()
                await ws.send(json.dumps({"kind": "refresh", "token": token}))
            except (_RetryLater, websockets.exceptions.ConnectionClosed) as failed:
                log.warning("token refresh failed (%s): the server closes at expiry and the client reconnects", getattr(failed, "reason", failed))
                return

    async def _open(self) -> Any:
        url = self._url_with_position()
        self._used_token = token = await self._token_now()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        try:
            return await websockets.connect(url, **{_HEADERS_ARG: headers}, open_timeout=self._open_timeout, max_size=None)
        except (OSError, asyncio.TimeoutError, EOFError) as unreachable:
            raise _RetryLater(f"cannot connect: {unreachable!r}", 0) from None
        except websockets.exceptions.WebSocketException as failed:
            status, response_headers, body = _handshake_answer(failed)
            if status is None:
                raise _RetryLater(f"handshake failed: {failed!r}", 0) from None
            retry_after = _retry_after(response_headers)
            if body is None:
                body = await asyncio.to_thread(_refusal_body, url, headers, self._open_timeout)
            code, message = _problem(body, status)
            if status in REFUSED_STATUSES:
                raise Refused(_without_token(self.url), status, code, message) from None
            raise _RetryLater(_answer_text(status, code, message), retry_after) from None

    def _url_with_position(self) -> str:
        query = dict(self._query)
        if self._seq is not None:
            query.pop("since_time", None)  # once a hello gave a position, seqs say where to resume
            query["since"] = str(self._seq)
            if self._epoch is not None:
                query["epoch"] = self._epoch
        return _with_query(self.url, query)

    def _take(self, frame: dict) -> Optional[Item]:
        """Moves the position by one frame; returns what the caller gets of it, if anything."""
        kind = frame.get("kind")
        if kind == "hello":
            self._stream_epoch = frame.get("epoch", self._epoch)
            if self._seq is None or self._epoch is None:  # a live or a by-time start, or a bare since: from here on, resume by seq
                self._epoch = self._stream_epoch
            if self._seq is None:
                self._seq = (frame.get("resume") or {}).get("since", frame.get("seq", 0))
            # Else the position keeps its own epoch until a frame moves it: a drop between a hello in a new
            # epoch and its reset resumes with the old one (and gets the reset again), not the old seq in the new.
        elif kind in ("event", "log"):
            if self._seq is not None and self._epoch == self._stream_epoch and frame["seq"] <= self._seq:
                return None  # already handed out (a resume never repeats; this is a guard, not a path)
            self._epoch, self._seq = self._stream_epoch, frame["seq"]
            return frame
        elif kind == "reset":
            self._epoch = self._stream_epoch = frame["epoch"]
            self._seq = frame["next"] - 1
            lost = frame.get("lost")
            log.warning("stream reset (%s): %s", frame.get("reason"), frame.get("message"))
            return Reset(frame.get("reason", ""), frame.get("message", ""), frame["epoch"], frame.get("since", 0), frame["next"],
                         (lost["from"], lost["to"]) if lost else None)
        elif kind == "checkpoint":
            if self._seq is None or self._epoch != self._stream_epoch or frame["seq"] > self._seq:
                self._epoch, self._seq = self._stream_epoch, frame["seq"]
                if self._checkpoints:
                    return Checkpoint(frame["seq"])
        elif kind == "error":
            log.warning("server error frame %s: %s", frame.get("code"), frame.get("message"))
        return None

    async def _wait(self, attempt: int, why: str, at_least: float) -> int:
        delay = max(self._backoff.delay(attempt), at_least)
        self._set_state(f"reconnecting in {delay:.1f} s ({why})")
        try:
            await asyncio.wait_for(self._stop.wait(), delay)  # close() ends the wait
        except asyncio.TimeoutError:
            pass
        return attempt + 1

    def _set_state(self, state: str) -> None:
        if state == self.state:
            return
        self.state = state
        log.info("%s: %s", _without_token(self.url), state)
        if self._on_state is not None:
            self._on_state(state)


class _RetryLater(Exception):
    def __init__(self, reason: str, retry_after: float):
        self.reason, self.retry_after = reason, retry_after


async def publish(url: str, events: Union[Mapping[str, Any], Iterable[Mapping[str, Any]]], *, token: Optional[str] = None,
                  retries: int = 6, backoff: Backoff = Backoff(initial=0.25, maximum=10.0), timeout: float = 10.0,
                  max_batch: int = 1000) -> list:
    """Publishes one event or many over HTTP; returns the server's item per event ({seq, id, duplicate?}), in order.

    Every event without an `id` gets a UUID first, so a retry after a timeout, a drop or a 5xx is stored once.
    """
    batch = [events] if isinstance(events, Mapping) else list(events)
    prepared = [_with_id(event) for event in batch]
    endpoint = events_url(url)
    items: list = []
    for start in range(0, len(prepared), max_batch):
        chunk = prepared[start:start + max_batch]
        try:
            answer = await _post_with_retries(endpoint, chunk, token, retries, backoff, timeout)
        except PublishError as failed:
            if start > 0:  # the ids of the stored ones were made here: the caller needs their items to not send them again
                failed.published = items
                failed.args = (f"{failed} (events 0-{start - 1} were published, see .published; this request held events "
                               f"{start}-{start + len(chunk) - 1}, which its issue paths number from 0)",)
            raise
        items.extend(answer["items"])
    return items


def _with_id(event: Mapping[str, Any]) -> dict:
    if not isinstance(event, Mapping):
        raise TypeError(f"an event is a dict like {{'type': 'order.filled'}}, not {type(event).__name__}")
    return dict(event) if event.get("id") else {**event, "id": str(uuid.uuid4())}


async def _post_with_retries(endpoint: str, body: list, token: Optional[str], retries: int, backoff: Backoff, timeout: float) -> dict:
    attempt = 0
    while True:
        try:
            return await asyncio.to_thread(_post, endpoint, body, token, timeout)
        except _RetryLater as later:
            if attempt >= retries:
                raise PublishError(f"publishing to {_without_token(endpoint)} failed after {attempt + 1} attempts ({later.reason}); "
                                   f"sending the same events again is safe, their ids make it idempotent") from None
            delay = max(backoff.delay(attempt), later.retry_after)
            log.info("publish to %s: %s; retrying in %.1f s with the same ids", _without_token(endpoint), later.reason, delay)
            await asyncio.sleep(delay)
            attempt += 1


def _post(endpoint: str, body: list, token: Optional[str], timeout: float) -> dict:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    request = urllib.request.Request(endpoint, data=json.dumps(body).encode(), headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return json.loads(response.read())
    except urllib.error.HTTPError as refused:
        try:
            answer = _json_or_none(refused.read())
        except (OSError, http.client.HTTPException):  # the status arrived, its body did not
            answer = None
        code, message = _problem(answer, refused.code)
        if refused.code in RETRY_STATUSES:
            raise _RetryLater(_answer_text(refused.code, code, message), _retry_after(refused.headers)) from None
        raise PublishError(f"{_without_token(endpoint)} refused the publish: {_answer_text(refused.code, code, message)}", refused.code, answer) from None
    except (OSError, http.client.HTTPException, ValueError) as lost:  # no answer, a cut answer, or one that is not JSON
        raise _RetryLater(f"no answer: {lost!r}", 0) from None


def stream_url(url: str, logs: bool = False) -> str:
    """The WebSocket URL to subscribe at: http(s) becomes ws(s); a bare host gets /ws (or /ws/logs)."""
    return _endpoint(url, {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"}, "/ws/logs" if logs else "/ws")


def events_url(url: str) -> str:
    """The URL to publish events at: ws(s) becomes http(s); a bare host gets /api/events."""
    return _endpoint(url, {"ws": "http", "wss": "https", "http": "http", "https": "https"}, "/api/events")


def _endpoint(url: str, schemes: Mapping[str, str], default_path: str) -> str:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in schemes or not parts.netloc:
        raise ValueError(f"{url!r} is not an http(s):// or ws(s):// URL, e.g. http://localhost:8000")
    path = parts.path if parts.path not in ("", "/") else default_path
    return urllib.parse.urlunsplit((schemes[parts.scheme], parts.netloc, path, parts.query, ""))


def _with_query(url: str, extra: Mapping[str, str]) -> str:
    parts = urllib.parse.urlsplit(url)
    query = dict(urllib.parse.parse_qsl(parts.query), **extra)
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query, safe="*,:")))


def _without_token(url: str) -> str:
    """The URL as logs and errors show it: a `token=` someone put in the query is masked, never printed."""
    parts = urllib.parse.urlsplit(url)
    query = [(k, "***" if k == "token" else v) for k, v in urllib.parse.parse_qsl(parts.query, keep_blank_values=True)]
    return urllib.parse.urlunsplit(parts._replace(query=urllib.parse.urlencode(query, safe="*,:")))


def _csv(value: Union[str, Sequence[str], None]) -> Optional[str]:
    return value if value is None or isinstance(value, str) else ",".join(value)


def _handshake_answer(failed: Exception) -> tuple:
    """(status, headers, body) of a refused handshake, from websockets 10.4 (InvalidStatusCode) or 11+ (InvalidStatus)."""
    response = getattr(failed, "response", None)
    status = getattr(failed, "status_code", None) or getattr(response, "status_code", None)
    headers = getattr(failed, "headers", None) or getattr(response, "headers", None)
    body = getattr(response, "body", None)
    return status, headers, _json_or_none(body) if body else None


def _refusal_body(url: str, headers: Mapping[str, str], timeout: float) -> Optional[dict]:
    """websockets 10.4 drops a refused handshake's body: ask once more over plain HTTP to read the server's reason."""
    parts = urllib.parse.urlsplit(url)
    connection_type = http.client.HTTPSConnection if parts.scheme == "wss" else http.client.HTTPConnection
    connection = connection_type(parts.hostname or "localhost", parts.port, timeout=timeout)
    try:
        connection.request("GET", f"{parts.path}?{parts.query}" if parts.query else parts.path, headers={
            **headers, "Connection": "Upgrade", "Upgrade": "websocket", "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode(),
        })
        response = connection.getresponse()
        return None if response.status == 101 else _json_or_none(response.read(65536))
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


def _problem(body: Optional[dict], status: int) -> tuple:
    """(code, message) of the server's JSON error body, or a stand-in naming the status."""
    if isinstance(body, dict) and body.get("message"):
        return body.get("error"), str(body["message"])
    return None, f"HTTP {status} (no error body)"


def _answer_text(status: int, code: Optional[str], message: str) -> str:
    """`401 unauthorized: <the server's message>`, the way errors and states name a refusal."""
    return f"{status}{f' {code}' if code else ''}: {message}"


def _json_or_none(raw: Optional[bytes]) -> Optional[dict]:
    try:
        value = json.loads(raw) if raw else None
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _retry_after(headers: Any) -> float:
    try:
        return float(headers.get("Retry-After")) if headers is not None and headers.get("Retry-After") else 0.0
    except ValueError:
        return 0.0


def _close_reason(closed: websockets.exceptions.ConnectionClosed) -> str:
    frame = getattr(closed, "rcvd", None)
    if frame is None:
        return "connection lost"
    return f"closed {frame.code}{f': {frame.reason}' if frame.reason else ''}"
