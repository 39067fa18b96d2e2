"""Faults: Rasa killed mid-conversation, the action server down, the gateway killed during a
CSV import. Each runs its own stack (bench/faults.py, whose figures `make bench` reports)."""
import pytest

from bench import faults


def test_rasa_killed_mid_conversation(tmp_path):
    f = faults.rasa_killed_and_restarted(tmp_path)
    assert f["before"]
    down = f["while_down"]
    assert down["status"] == 200 and down["busy_notice"] and down["phones"] and down["seconds"] < 5
    assert f["slots_survived"]  # the SQLite tracker store kept the procedure being discussed
    assert f["recorded"] == [("延续注册怎么办理", "ok"), ("那要带什么材料", "undelivered"), ("那要带什么材料", "ok")]


def test_action_server_down_and_back(tmp_path):
    f = faults.action_server_down(tmp_path)
    down = f["while_down"]
    assert down["status"] == 200 and down["notice"] and down["phones"] and down["seconds"] < 5
    assert f["recovered"]


def test_gateway_killed_during_import_leaves_old_or_new_never_half(tmp_path):
    f = faults.gateway_killed_during_import(tmp_path, rows=6000, attempts=5)
    assert f["outcomes"]["half"] == 0
    assert sum(f["outcomes"].values()) == 5


def _crash_stack(running_bot, tmp_path):
    from bot import services
    from gateway_helpers import SwitchableProxy, gateway_beside
    proxy = SwitchableProxy(running_bot.settings.rasa_url, services.free_port())
    proxy.up()
    # the Rasa behind the proxy checks its own token
    gw, settings = gateway_beside(running_bot, tmp_path, rasa_port=proxy.port, RASA_API_TOKEN=running_bot.settings.api_token())
    return proxy, gw, settings


def _tracker_user_events(running_bot, sender, client_id):
    import json
    import urllib.parse
    import urllib.request
    url = (f"{running_bot.settings.rasa_url}/conversations/{urllib.parse.quote(sender, safe='')}/tracker?"
           + urllib.parse.urlencode({"token": running_bot.settings.api_token(), "include_events": "ALL"}))
    with urllib.request.urlopen(url, timeout=10) as r:
        events = json.loads(r.read())["events"]
    return [e for e in events if e.get("event") == "user" and (e.get("metadata") or {}).get("client_id") == client_id]


@pytest.mark.parametrize("rasa_had_it", [True, False])
def test_an_answer_survives_the_gateway_killed_while_rasa_has_the_message(running_bot, tmp_path, rasa_had_it):
    """Fault: kill -9 of the gateway while a message is with Rasa left it recorded with no
    reply, and the widget's resend got an empty reply: never answered, never marked. Now the
    resend is answered exactly once, from Rasa's tracker when Rasa had already answered."""
    import threading
    import time
    from bot.gateway.store import ConversationStore
    from gateway_helpers import post_json
    proxy, gw, settings = _crash_stack(running_bot, tmp_path)
    sender, client_id = f"crash-{rasa_had_it}-{time.time()}", "msg-0001"
    body = {"sender": sender, "message": "监理锁怎么申请", "id": client_id}
    try:
        gw.start().wait_ready()
        if rasa_had_it:
            proxy.delay_after = 4.0  # Rasa answers, the answer is on its way back
        else:
            proxy.delay = 4.0  # the message has not reached Rasa yet
        threading.Thread(target=lambda: _ignore(lambda: post_json(settings.gateway_url + "/api/messages", body, timeout=10)),
                         daemon=True).start()
        time.sleep(1.5)
        gw.kill()
        proxy.delay = proxy.delay_after = 0.0
        gw.start().wait_ready()
        status, answer, _ = post_json(settings.gateway_url + "/api/messages", body)
        assert status == 200 and "88381756" in str(answer)
        status, again, _ = post_json(settings.gateway_url + "/api/messages", body)  # and again: the same answer
        assert again == answer
        store = ConversationStore(f"sqlite:///{tmp_path / 'conversations.db'}")
        conv = store.conversation("api", sender, create=False)
        directions = [m["direction"] for m in store.history(conv.id)]
        assert directions.count("in") == 1 and "out" in directions
        time.sleep(4.5 if not rasa_had_it else 0)  # a message the dead gateway had left in the proxy arrives late
        assert len(_tracker_user_events(running_bot, f"api-{sender}", client_id)) in ((1,) if rasa_had_it else (1, 2))
    finally:
        gw.stop()
        proxy.close()


def _ignore(call):
    try:
        call()
    except OSError:
        pass
