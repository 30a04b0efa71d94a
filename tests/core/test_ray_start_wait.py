"""The local Ray instance's start: ``ray.init`` asks the GCS for its raylet every RAYLET_POLL_S, not
once a second, and falls back to Ray's own wait when that cannot be done. (A sweep that starts its
own instance end to end: test_sweeps_ray_own_instance.py.)"""

from __future__ import annotations

import pytest

pytest.importorskip("ray", reason='Ray is not installed: pip install -e ".[test]" installs rnn-lab[ray]')

from ray._private import services, state  # noqa: E402

from core.sweeps import ray_engine  # noqa: E402

NODE = "a1" * 28


class FakeGlobalState:
    """The GCS's node table as a list of answers, one per call (the last one repeats)."""

    answers: list[list[dict]] = []
    instances: list[FakeGlobalState] = []

    def __init__(self) -> None:
        self.options = None
        self.calls = 0
        self.disconnected = False
        FakeGlobalState.instances.append(self)

    def _initialize_global_state(self, options) -> None:
        self.options = options

    def node_table(self) -> list[dict]:
        answer = self.answers[min(self.calls, len(self.answers) - 1)]
        self.calls += 1
        return answer

    def disconnect(self) -> None:
        self.disconnected = True


def test_the_wait_asks_until_the_node_is_alive_at_short_intervals():
    FakeGlobalState.answers = [[], [], [{"NodeID": NODE, "Alive": False}], [{"NodeID": "other", "Alive": True}],
                               [{"NodeID": "other", "Alive": True}, {"NodeID": NODE, "Alive": True}]]
    FakeGlobalState.instances = []

    sleeps: list[float] = []
    ray_engine._wait_for_node(FakeGlobalState, "options", NODE, sleep=sleeps.append)

    (asked,) = FakeGlobalState.instances
    assert asked.calls == 5 and asked.options == "options" and asked.disconnected
    assert sleeps == [ray_engine.RAYLET_POLL_S] * 4
    assert ray_engine.RAYLET_POLL_S <= 0.05  # Ray's own wait sleeps a whole second between tries


def test_ray_init_s_node_lookup_waits_finely_then_asks_ray_and_is_restored(monkeypatch):
    asked = []

    def ray_get_node(gcs_address, node_id):
        asked.append((gcs_address, node_id))
        return {"node_manager_port": 1234}

    monkeypatch.setattr(services, "get_node", ray_get_node)
    monkeypatch.setattr(services, "_get_gcs_client_options", lambda address: f"options of {address}")
    monkeypatch.setattr(state, "GlobalState", FakeGlobalState)
    FakeGlobalState.answers = [[], [{"NodeID": NODE, "Alive": True}]]
    FakeGlobalState.instances = []

    with pytest.raises(RuntimeError, match="init failed"), ray_engine._raylet_wait_polled_finely():
        assert services.get_node is not ray_get_node
        assert services.get_node("127.0.0.1:6379", NODE) == {"node_manager_port": 1234}
        raise RuntimeError("init failed")

    assert services.get_node is ray_get_node  # restored, also when ray.init raised
    assert asked == [("127.0.0.1:6379", NODE)]
    (waited,) = FakeGlobalState.instances
    assert waited.options == "options of 127.0.0.1:6379" and waited.calls == 2 and waited.disconnected


def test_when_the_gcs_cannot_be_asked_ray_s_own_wait_runs(monkeypatch):
    def ray_get_node(gcs_address, node_id):
        return {"found by": "Ray"}

    class Unreachable(FakeGlobalState):
        def node_table(self):
            raise ConnectionError("GCS unavailable")

    monkeypatch.setattr(services, "get_node", ray_get_node)
    monkeypatch.setattr(services, "_get_gcs_client_options", lambda address: address)
    monkeypatch.setattr(state, "GlobalState", Unreachable)

    with ray_engine._raylet_wait_polled_finely():
        assert services.get_node("127.0.0.1:6379", NODE) == {"found by": "Ray"}
    assert services.get_node is ray_get_node
