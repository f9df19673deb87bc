"""publish() against the compiled server: a lost answer retried with the same id stores once; refusals are not retried."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import urllib.request

import pytest

from conftest import run
from stream_server_client import Backoff, PublishError, publish

FAST = Backoff(initial=0.01, maximum=0.05)


async def read_http_message(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0)
    return head + await reader.readexactly(length)


async def answer_dropping_proxy(target_port: int, drops: int):
    """A TCP proxy in front of the server that forwards each request but cuts the first `drops` answers: stored, never acknowledged."""
    seen = {"requests": 0}

    async def handle(client_reader, client_writer):
        upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", target_port)
        upstream_writer.write(await read_http_message(client_reader))
        answer = await read_http_message(upstream_reader)
        upstream_writer.close()
        seen["requests"] += 1
        if seen["requests"] > drops:
            client_writer.write(answer)
            await client_writer.drain()
        client_writer.close()

    proxy = await asyncio.start_server(handle, "127.0.0.1", 0)
    return proxy, proxy.sockets[0].getsockname()[1], seen


def history(url: str) -> list:
    with urllib.request.urlopen(f"{url}/api/events?since=0") as response:
        return json.loads(response.read())["items"]


def test_an_answer_lost_after_the_server_stored_the_event_is_retried_with_the_same_id_and_stored_once(start_server):
    async def scenario():
        server = start_server()
        proxy, port, seen = await answer_dropping_proxy(server.port, drops=1)
        async with proxy:
            items = await publish(f"http://127.0.0.1:{port}", {"type": "order.filled", "data": {"qty": 5}}, backoff=FAST)
        assert seen["requests"] == 2
        assert items == [{"seq": 1, "id": items[0]["id"], "duplicate": True}]
        stored = await asyncio.to_thread(history, server.url)
        assert [(e["seq"], e["id"], e["data"]) for e in stored] == [(1, items[0]["id"], {"qty": 5})]

    run(scenario())


def test_ids_are_kept_when_given_made_when_missing_and_a_large_list_goes_in_batches_in_order(start_server):
    async def scenario():
        server = start_server()
        given = [{"type": "t", "id": "fill-1"}, {"type": "t"}, {"type": "t"}, {"type": "t", "id": "fill-1"}, {"type": "t"}]
        items = await publish(server.url, given, max_batch=2)
        assert [i["seq"] for i in items] == [1, 2, 3, 1, 4]
        assert items[0]["id"] == "fill-1" and items[3] == {"seq": 1, "id": "fill-1", "duplicate": True}
        assert len({i["id"] for i in items}) == 4
        assert given[1] == {"type": "t"}  # the caller's events are not changed
        stored = await asyncio.to_thread(history, server.url)
        assert [e["id"] for e in stored] == [items[n]["id"] for n in (0, 1, 2, 4)]

    run(scenario())


def test_a_refusal_in_a_later_batch_says_which_events_were_already_stored_and_gives_their_items(start_server):
    async def scenario():
        server = start_server()
        events = [{"type": "t"}, {"type": "t"}, {"type": "t"}, {"data": 1}, {"type": "t"}]
        with pytest.raises(PublishError) as refused:
            await publish(server.url, events, max_batch=2, backoff=FAST)
        # Their ids were made here: without the items, sending the list again would store them twice.
        assert [i["seq"] for i in refused.value.published] == [1, 2]
        assert "events 0-1 were published" in str(refused.value) and "events 2-3" in str(refused.value)
        stored = await asyncio.to_thread(history, server.url)
        assert [e["id"] for e in stored] == [i["id"] for i in refused.value.published]

    run(scenario())


@pytest.mark.parametrize("token, event, status, code", [
    ("not-the-token", {"type": "t"}, 403, "forbidden"),
    (None, {"type": "t"}, 401, "unauthorized"),
    ("pub-token-1", {"data": 1}, 400, "invalid_body"),
])
def test_a_refused_publish_raises_the_servers_reason_without_retrying(start_server, caplog, token, event, status, code):
    async def scenario():
        server = start_server(["--publish-token", "pub-token-1"])
        with caplog.at_level(logging.INFO, logger="stream_server_client"), pytest.raises(PublishError) as refused:
            await publish(server.url, event, token=token, backoff=FAST)
        assert (refused.value.status, refused.value.code) == (status, code)
        assert f"{status} {code}" in str(refused.value) and refused.value.body["message"] in str(refused.value)
        assert [r for r in caplog.records if "retrying" in r.getMessage()] == []

    run(scenario())


def test_a_server_that_never_answers_is_retried_then_reported_with_what_to_do(caplog):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    async def scenario():
        with caplog.at_level(logging.INFO, logger="stream_server_client"), pytest.raises(PublishError) as gave_up:
            await publish(f"http://127.0.0.1:{port}", {"type": "t"}, retries=2, backoff=FAST)
        assert "after 3 attempts" in str(gave_up.value) and "same events again is safe" in str(gave_up.value)
        assert len([r for r in caplog.records if "retrying" in r.getMessage()]) == 2

    run(scenario())
