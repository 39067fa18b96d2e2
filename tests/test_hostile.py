"""Hostile input, generated (hypothesis) and hand-written: clear errors, no crash, no data
lost, nothing executed."""
import asyncio
import csv
import io
import json

import aiohttp
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings, strategies as st

from bot.cases import COLUMNS, CaseStore, ImportFailed
from gateway_helpers import http, post_json

FIELD = st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)


@pytest.fixture(scope="module")
def case_store(tmp_path_factory):
    store = CaseStore(f"sqlite:///{tmp_path_factory.mktemp('hostile') / 'cases.db'}")
    store.import_csv(("\n".join([",".join(COLUMNS), "ZJ2026000101,王小明,1234,杭州,初始注册,已公告,2026-11-20,"]) + "\n").encode())
    return store


def _snapshot(store):
    with store.engine.connect() as conn:
        return conn.execute(sa.text("select * from cases order by case_no")).all(), \
            conn.execute(sa.text("select count(*) from case_history")).scalar()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(FIELD, min_size=0, max_size=10), max_size=6), header=st.booleans())
def test_generated_csv_is_imported_whole_or_not_at_all(case_store, rows, header):
    out = io.StringIO()
    writer = csv.writer(out)
    if header:
        writer.writerow(COLUMNS)
    writer.writerows(rows)
    before = _snapshot(case_store)
    try:
        case_store.import_csv(out.getvalue().encode("utf-8"))
    except ImportFailed as e:
        assert e.problems and _snapshot(case_store) == before


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
def test_random_bytes_are_refused_cleanly(case_store, data):
    before = _snapshot(case_store)
    try:
        case_store.import_csv(data)
    except ImportFailed:
        assert _snapshot(case_store) == before


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=1200))
def test_generated_api_messages_get_an_answer_or_a_clear_error(running_bot, text):
    status, body, _ = post_json(running_bot.gateway + "/api/messages", {"sender": "fuzz", "message": text})
    assert status in (200, 400), (status, body)
    if status == 400:
        assert body["error"]
    else:
        assert isinstance(body, list) and body


@pytest.mark.parametrize("body", [
    b"{" + b'"sender":"big","message":"' + b"x" * (1024 * 1024) + b'"}',   # 1 MB
    b'{"sender":"u","message":"\xc3\x28"}',                                 # invalid UTF-8
    b'{"sender":"u","message":"\\ud800"}',                                  # lone surrogate
    b"\x00" * 100,
    b'{"sender":"u","message":' + b"[" * 20000 + b"]" * 20000 + b"}",      # nested past the parser's depth, under the size limit
])
def test_hand_written_bodies(running_bot, body):
    status, data, _ = http("POST", running_bot.gateway + "/api/messages", body)
    assert status in (400, 413) and data["error"]
    assert http("GET", running_bot.gateway + "/healthz")[0] == 200


def test_a_false_content_encoding_is_a_clear_400(running_bot):
    """Attack: `Content-Encoding: gzip` on a body that is not gzip gave 500."""
    status, data, _ = http("POST", running_bot.gateway + "/api/messages", b'{"sender":"u","message":"hi"}',
                           headers={"Content-Type": "application/json", "Content-Encoding": "gzip"})
    assert status == 400 and data["error"]


def test_a_deeply_nested_websocket_frame_keeps_the_socket(running_bot):
    """Attack: a nested frame under the size limit closed the WebSocket with an error."""
    async def scenario():
        async with aiohttp.ClientSession() as s:
            async with s.ws_connect(running_bot.gateway.replace("http", "ws", 1) + "/ws") as ws:
                await ws.receive()
                await ws.send_str("[" * 20000 + "]" * 20000)
                first = json.loads((await asyncio.wait_for(ws.receive(), 10)).data)
                await ws.send_str(json.dumps({"type": "ping"}))
                second = json.loads((await asyncio.wait_for(ws.receive(), 10)).data)
                return first, second
    first, second = asyncio.run(scenario())
    assert first["type"] == "error" and second["type"] == "pong"


def test_control_characters_and_markup_are_stored_as_text(running_bot):
    hostile = "\u202e<svg onload=alert(1)>\u0007\u200b初始注册要带什么"
    status, body, _ = post_json(running_bot.gateway + "/api/messages", {"sender": "ctrl", "message": hostile})
    assert status == 200 and "一寸照" in body[0]["text"]


def test_hostile_websocket_frames_leave_the_server_running(running_bot):
    async def scenario():
        url = running_bot.gateway.replace("http", "ws", 1) + "/ws"
        async with aiohttp.ClientSession() as s:
            async with s.ws_connect(url) as ws:
                await ws.receive()
                await ws.send_bytes(b"\xff\xfe binary")
                await ws.send_str(json.dumps({"type": "message", "id": "x" * 65, "text": "hi"}))
                await ws.send_str(json.dumps({"type": "message", "id": "ok1", "text": "<b>初始注册</b>要带什么"}))
                while True:
                    event = json.loads((await asyncio.wait_for(ws.receive(), 15)).data)
                    if event["type"] == "bot":
                        return event
            return None
        
    event = asyncio.run(scenario())
    assert "一寸照" in event["messages"][0]["text"]
    try:
        async def too_big():
            async with aiohttp.ClientSession() as s:
                async with s.ws_connect(running_bot.gateway.replace("http", "ws", 1) + "/ws") as ws:
                    await ws.receive()
                    await ws.send_str("x" * (1024 * 1024))
                    return await asyncio.wait_for(ws.receive(), 10)
        closed = asyncio.run(too_big())
        assert closed.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.ERROR)
    finally:
        assert http("GET", running_bot.gateway + "/healthz")[0] == 200


def test_abandoned_requests_are_logged_briefly(running_bot):
    """Every aborted request logged a 1.5 KB traceback at ERROR; now one brief line a minute."""
    import socket
    import time
    log = running_bot.settings.var_dir / "logs" / "gateway.log"
    before = log.stat().st_size
    host, port = running_bot.gateway.rsplit("/", 1)[1].split(":")
    for _ in range(20):
        s = socket.create_connection((host, int(port)))
        s.sendall(b"POST /api/messages HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{\"sender\"")
        s.close()
    time.sleep(1.0)
    written = log.read_bytes()[before:].decode(errors="replace")
    assert "Traceback" not in written and len(written) < 1000, written[:500]
    assert http("GET", running_bot.gateway + "/healthz")[0] == 200
