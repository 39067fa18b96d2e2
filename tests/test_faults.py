"""Faults: Rasa killed mid-conversation, the action server down, the gateway killed during a
CSV import. Each runs its own stack (bench/faults.py, whose figures `make bench` reports)."""
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
