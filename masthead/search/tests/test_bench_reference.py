"""The search benchmark reports the machine's speed beside its figures (`machine_reference_ms`)."""

from masthead.search import bench


def test_the_machine_reference_times_a_fixed_loop_and_grows_with_it(monkeypatch):
    monkeypatch.setattr(bench, "REFERENCE_LOOP", 10_000)
    short = bench.machine_reference_ms()
    monkeypatch.setattr(bench, "REFERENCE_LOOP", 400_000)
    long = bench.machine_reference_ms()
    assert 0 < short < long
