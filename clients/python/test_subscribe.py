"""subscribe() against the compiled server: restarts under a reading client, resets, saved positions, refusals."""

from __future__ import annotations

import asyncio
import json
import subprocess
import urllib.request
from typing import List

import pytest

from conftest import run
from stream_server_client import Backoff, Checkpoint, Position, Refused, Reset, publish, subscribe

FAST = Backoff(initial=0.05, maximum=0.5)


def events(items: list) -> List[int]:
    return [item["seq"] for item in items if isinstance(item, dict)]


class Reader:
    """Reads a subscription in a task; its handler waits at `gate` after each item, like a slow consumer."""

    def __init__(self, sub, until):
        self.sub, self.until, self.items, self.states = sub, until, [], []
        self.gate, self.got_one, self.live = asyncio.Event(), asyncio.Event(), asyncio.Event()
        self.gate.set()
        self.task = asyncio.create_task(self._read())

    def on_state(self, state: str) -> None:
        self.states.append(state)
        if state == "live":
            self.live.set()

    async def _read(self) -> None:
        async for item in self.sub:
            self.items.append(item)
            self.got_one.set()
            if self.until(self.items):
                break
            await self.gate.wait()
        await self.sub.close()


def reader(url: str, until, **options) -> Reader:
    holder: List[Reader] = []
    sub = subscribe(url, backoff=FAST, on_state=lambda s: holder[0].on_state(s), **options)
    holder.append(Reader(sub, until))
    return holder[0]


def test_with_data_a_restart_under_a_reading_client_delivers_every_seq_exactly_once(start_server, tmp_path):
    async def scenario():
        first = start_server(["--data", str(tmp_path)])
        total = 2100
        client = reader(first.url, lambda items: len(events(items)) >= total)
        await client.live.wait()
        client.gate.clear()  # the handler stalls after its first event: the rest waits in buffers and on the server
        blob = "x" * 2000
        await publish(first.url, [{"type": "fill", "data": {"n": n, "pad": blob}} for n in range(2000)], max_batch=200)
        await client.got_one.wait()

        first.kill()
        second = start_server(["--data", str(tmp_path)], port=first.port)
        # Published while the client is away: it can only get these by resuming with since and epoch.
        await publish(second.url, [{"type": "fill", "data": {"n": n}} for n in range(2000, 2100)])
        client.gate.set()
        await client.task

        assert events(client.items) == list(range(1, total + 1))
        assert [i for i in client.items if isinstance(i, Reset)] == []
        assert [item["data"]["n"] for item in client.items] == list(range(total))
        assert any(s.startswith("reconnecting in") for s in client.states)
        assert client.sub.position.seq == total

    run(scenario())


def test_without_data_a_restart_yields_a_reset_with_the_new_epoch_then_the_new_history(start_server):
    async def scenario():
        first = start_server()
        client = reader(first.url, lambda items: any(isinstance(i, Reset) for i in items) and events(items)[-1:] == [5])
        await client.live.wait()
        client.gate.clear()
        await publish(first.url, [{"type": "before"} for _ in range(20)])
        await client.got_one.wait()
        old_epoch = client.sub.position.epoch

        first.kill()
        second = start_server(port=first.port)
        await publish(second.url, [{"type": "after"} for _ in range(5)])
        client.gate.set()
        await client.task

        resets = [i for i in client.items if isinstance(i, Reset)]
        assert len(resets) == 1
        reset = resets[0]
        assert (reset.reason, reset.next) == ("epoch_changed", 1)
        assert reset.epoch != old_epoch and reset.message
        cut = client.items.index(reset)
        assert events(client.items[:cut]) == list(range(1, 21))
        assert [(i["seq"], i["type"]) for i in client.items[cut + 1:]] == [(n, "after") for n in range(1, 6)]
        assert client.sub.position == Position(reset.epoch, 5)

    run(scenario())


def test_a_saved_position_resumes_where_the_caller_stopped_and_a_stale_epoch_is_a_reset_not_silence(start_server):
    async def scenario():
        server = start_server()
        client = reader(server.url, lambda items: len(items) == 3)
        await client.live.wait()
        await publish(server.url, [{"type": "t", "data": n} for n in range(3)])
        await client.task
        saved = client.sub.position
        assert saved.seq == 3 and saved.epoch

        await publish(server.url, [{"type": "t", "data": n} for n in range(3, 5)])
        resumed = reader(server.url, lambda items: len(items) == 2, since=saved.seq, epoch=saved.epoch)
        await resumed.task
        assert [(i["seq"], i["data"]) for i in resumed.items] == [(4, 3), (5, 4)]

        stale = reader(server.url, lambda items: len(items) == 6, since=5, epoch="0badc0de")
        await stale.task
        assert isinstance(stale.items[0], Reset) and stale.items[0].reason == "epoch_changed"
        assert events(stale.items[1:]) == [1, 2, 3, 4, 5]

        by_time = reader(server.url, lambda items: len(items) == 5, since_time="-1h")
        await by_time.task
        assert events(by_time.items) == [1, 2, 3, 4, 5]

    run(scenario())


def test_checkpoints_move_a_filtered_clients_position_and_are_items_only_when_asked(start_server):
    async def scenario():
        server = start_server(["--checkpoint-ms", "50"])
        client = reader(server.url, lambda items: len(items) == 2, types=["order.*"], checkpoints=True)
        await client.live.wait()
        await publish(server.url, [{"type": "tick"} for _ in range(3)])
        await client.got_one.wait()
        assert client.items == [Checkpoint(3)]
        assert client.sub.position.seq == 3
        await publish(server.url, {"type": "order.filled"})
        await client.task
        assert client.items[1]["seq"] == 4

    run(scenario())


@pytest.mark.parametrize("token, types, status, code, words", [
    (None, None, 401, "unauthorized", "subscribe token"),
    ("not-the-token", None, 403, "forbidden", ""),
    ("sub-token-1", "bad type", 400, "invalid_query", "types"),
])
def test_a_refused_handshake_raises_a_clear_error_instead_of_retrying(start_server, token, types, status, code, words):
    async def scenario():
        server = start_server(["--subscribe-token", "sub-token-1"])
        states: List[str] = []
        with pytest.raises(Refused) as refused:
            async for _ in subscribe(server.url, token=token, types=types, backoff=FAST, on_state=states.append):
                pass
        assert (refused.value.status, refused.value.code) == (status, code)
        assert words in refused.value.message and str(status) in str(refused.value)
        assert states == ["connecting", f"refused: {status} {code}: {refused.value.message}"]
        assert "sub-token-1" not in str(refused.value)

    run(scenario())


def test_a_token_in_the_url_never_shows_in_errors_or_logs(start_server, caplog):
    async def scenario():
        server = start_server(["--subscribe-token", "sub-token-1"])
        with caplog.at_level("INFO", logger="stream_server_client"), pytest.raises(Refused) as refused:
            async for _ in subscribe(f"{server.url}/ws?token=wrong-token-1", backoff=FAST):
                pass
        assert refused.value.status == 403
        assert "token=***" in str(refused.value)
        assert "wrong-token-1" not in str(refused.value) + caplog.text
        assert "token=***" in caplog.text

    run(scenario())


def test_the_right_token_subscribes(start_server):
    async def scenario():
        server = start_server(["--subscribe-token", "sub-token-1"])
        client = reader(server.url, lambda items: len(items) == 1, token="sub-token-1")
        await client.live.wait()
        await publish(server.url, {"type": "hello.python"})
        await client.task
        assert client.items[0]["type"] == "hello.python"

    run(scenario())


def test_the_log_stream_with_its_filters(start_server):
    async def scenario():
        server = start_server()
        client = reader(server.url, lambda items: len(items) == 1, logs=True, level="warn", source="risk-engine")
        await client.live.wait()
        for line in [{"level": "error", "message": "elsewhere", "source": "api"},
                     {"level": "info", "message": "fine", "source": "risk-engine"},
                     {"level": "warn", "message": "risk limit at 90%", "source": "risk-engine", "fields": {"used": 0.9}}]:
            await asyncio.to_thread(post_log, server.url, line)
        await client.task
        assert client.sub.url.endswith("/ws/logs")
        assert {k: client.items[0][k] for k in ("kind", "level", "message", "fields")} == {
            "kind": "log", "level": "warn", "message": "risk limit at 90%", "fields": {"used": 0.9}}

    run(scenario())


def post_log(url: str, line: dict) -> None:
    request = urllib.request.Request(f"{url}/api/logs", data=json.dumps(line).encode(), headers={"Content-Type": "application/json"})
    urllib.request.urlopen(request).close()


def test_a_busy_server_is_retried_after_its_retry_after_and_close_ends_the_wait(start_server):
    async def scenario():
        server = start_server(["--max-connections", "1"])
        holder = reader(server.url, lambda items: False)
        await holder.live.wait()
        waiting = asyncio.Event()
        states: List[str] = []

        def on_state(state: str) -> None:
            states.append(state)
            if state.startswith("reconnecting"):
                waiting.set()

        second = subscribe(server.url, backoff=FAST, on_state=on_state)
        task = asyncio.create_task(anext_or_none(second))
        await waiting.wait()
        assert states[-1].startswith("reconnecting in 5.0 s (503 too_many_connections: the server holds its maximum of 1")
        await second.close()
        assert await task is None  # the iteration ended without waiting out the 5 s
        assert states[-1] == "closed"
        await holder.sub.close()

    run(scenario())


async def anext_or_none(sub):
    async for item in sub:
        return item
    return None


def test_a_token_function_keeps_one_connection_past_each_tokens_expiry(start_server, binary):
    secret = "python-jwt-secret-0123456789abcdef"

    def mint(ttl: str, sub: str = "quant") -> str:
        return subprocess.run([binary, "token", "--secret", secret, "--sub", sub, "--subscribe", "order.*", "--publish", "order.*", "--ttl", ttl],
                              check=True, capture_output=True, text=True).stdout.strip()

    async def fresh() -> str:  # an async function, as one fetching from a login service would be
        return await asyncio.to_thread(mint, "2s")

    async def scenario():
        server = start_server(["--jwt-secret", secret])
        client = reader(server.url, lambda items: len(items) == 1, token=fresh)
        await client.live.wait()
        # Two refreshes, each at 80 % of a token's life of at most two seconds: by the second, the first token has expired.
        while sum("client refreshed its token" in line for line in server.lines) < 2:
            await asyncio.sleep(0.05)
        await publish(server.url, {"type": "order.placed", "id": "after-expiry"}, token=mint("1h"))
        await client.task
        assert client.items[0]["id"] == "after-expiry"
        assert [s for s in client.states if s != "closed"] == ["connecting", "live"]
        assert sum("client connected" in line for line in server.lines) == 1

    run(scenario())
