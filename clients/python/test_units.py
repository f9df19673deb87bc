"""The client's pure parts: URLs, backoff, and how each frame moves the position."""

from __future__ import annotations

import base64
import json

import pytest

from stream_server_client import Backoff, Checkpoint, Position, Reset, events_url, refresh_delay, stream_url, subscribe, token_expiry


@pytest.mark.parametrize("given, logs, expected", [
    ("http://localhost:8000", False, "ws://localhost:8000/ws"),
    ("http://localhost:8000/", True, "ws://localhost:8000/ws/logs"),
    ("https://stream.example/api/stream", False, "wss://stream.example/api/stream"),
    ("ws://10.0.0.1:9000/ws/logs", True, "ws://10.0.0.1:9000/ws/logs"),
])
def test_stream_url_picks_the_websocket_path(given, logs, expected):
    assert stream_url(given, logs) == expected


def test_events_url_is_the_publish_endpoint():
    assert events_url("http://localhost:8000") == "http://localhost:8000/api/events"
    assert events_url("wss://stream.example/") == "https://stream.example/api/events"


def test_a_url_that_is_not_http_or_websocket_is_refused_by_name():
    with pytest.raises(ValueError, match="ftp://x"):
        stream_url("ftp://x")
    with pytest.raises(ValueError, match="localhost:8000"):
        events_url("localhost:8000")


def test_conflicting_start_points_are_refused_before_connecting():
    with pytest.raises(ValueError, match="not both"):
        subscribe("http://x", since=3, since_time="-1h")
    with pytest.raises(ValueError, match="epoch goes with since"):
        subscribe("http://x", epoch="3f9c2a1b")


def test_the_query_carries_filters_and_the_position_readably():
    sub = subscribe("http://x:1", types=["order.*", "risk.alert"], since=41, epoch="3f9c2a1b")
    assert sub._url_with_position() == "ws://x:1/ws?types=order.*,risk.alert&since=41&epoch=3f9c2a1b"
    logs = subscribe("http://x:1", logs=True, level="warn", source=["risk-engine", "api"], since_time="-15m")
    assert logs._url_with_position() == "ws://x:1/ws/logs?level=warn&source=risk-engine,api&since_time=-15m"
    logs._take({"kind": "hello", "epoch": "e1", "seq": 90, "resume": {"since": 57, "complete": True}})
    assert logs._url_with_position() == "ws://x:1/ws/logs?level=warn&source=risk-engine,api&since=57&epoch=e1"


def test_backoff_grows_by_its_factor_up_to_its_cap_with_jitter_below_each_step():
    backoff = Backoff(initial=0.5, maximum=4.0, factor=2.0, jitter=0.5)
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (10, 4.0), (10_000, 4.0)]:
        delays = [backoff.delay(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays)
        assert len(set(delays)) > 1  # jittered: clients restarted together do not reconnect together


def test_a_live_start_takes_its_position_from_hello_then_from_each_frame():
    sub = subscribe("http://x")
    assert sub.position is None
    assert sub._take({"kind": "hello", "epoch": "e1", "seq": 41}) is None
    assert sub.position == Position("e1", 41)
    event = {"kind": "event", "seq": 42, "type": "t"}
    assert sub._take(event) is event
    assert sub.position == Position("e1", 42)
    assert sub._take({"kind": "event", "seq": 42, "type": "t"}) is None  # never handed out twice
    assert sub._take({"kind": "pong"}) is None and sub.position == Position("e1", 42)


def test_a_checkpoint_moves_the_position_and_is_an_item_only_when_asked():
    quiet = subscribe("http://x", types="order.*", since=10, epoch="e1")
    assert quiet._take({"kind": "checkpoint", "seq": 250}) is None
    assert quiet.position == Position("e1", 250)
    assert quiet._take({"kind": "checkpoint", "seq": 200}) is None and quiet.position.seq == 250
    asked = subscribe("http://x", types="order.*", since=10, epoch="e1", checkpoints=True)
    assert asked._take({"kind": "checkpoint", "seq": 250}) == Checkpoint(250)


def test_a_reset_is_an_item_and_moves_the_position_to_just_before_next_in_the_new_epoch():
    sub = subscribe("http://x", since=500, epoch="old")
    item = sub._take({"kind": "reset", "reason": "epoch_changed", "message": "the stream was recreated", "epoch": "new",
                      "since": 500, "next": 1})
    assert item == Reset("epoch_changed", "the stream was recreated", "new", 500, 1, None)
    assert sub.position == Position("new", 0)
    gap = sub._take({"kind": "reset", "reason": "history_exceeded", "message": "m", "epoch": "new", "since": 0, "next": 201,
                     "lost": {"from": 1, "to": 200}})
    assert gap.lost == (1, 200) and sub.position == Position("new", 200)


def test_a_hello_in_another_epoch_leaves_the_position_in_its_own_until_a_reset_moves_it():
    # The reset follows the hello; a drop between them must resume with the old epoch (the server then
    # says what was lost), never with the old seq under the new epoch, which would skip the new history.
    sub = subscribe("http://x", since=41, epoch="old")
    assert sub._take({"kind": "hello", "epoch": "new", "seq": 50, "resume": {"since": 41, "complete": False}}) is None
    assert sub.position == Position("old", 41)
    assert "epoch=old" in sub._url_with_position()
    sub._take({"kind": "reset", "reason": "epoch_changed", "message": "m", "epoch": "new", "since": 41, "next": 1})
    first = {"kind": "event", "seq": 1, "type": "t"}
    assert sub._take(first) is first and sub.position == Position("new", 1)


def test_token_expiry_reads_a_jwts_exp_and_nothing_else():
    payload = base64.urlsafe_b64encode(json.dumps({"exp": 1900000000, "sub": "a"}).encode()).decode().rstrip("=")
    assert token_expiry(f"eyJhbGciOiJIUzI1NiJ9.{payload}.sig") == 1900000000
    assert token_expiry("a-static-token-1") is None
    assert token_expiry("a.b.c") is None
    no_exp = base64.urlsafe_b64encode(b'{"sub":"a"}').decode().rstrip("=")
    assert token_expiry(f"h.{no_exp}.s") is None


def test_refresh_delay_is_a_minute_before_expiry_or_at_80_percent_of_a_short_life():
    assert refresh_delay(1000 + 3600, 1000) == 3540
    assert refresh_delay(1000 + 10, 1000) == 8
    assert refresh_delay(1000 - 5, 1000) == 0
