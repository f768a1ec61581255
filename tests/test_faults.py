"""The fault campaign, small: the real daemon killed with SIGKILL in the middle of a
poll, a triage, a drafting run and a post (after X took it, before the daemon heard),
while mentions arrive and an agent approves. Nothing lost, doubled or stuck.
bench/bench_faults.py runs the same campaign 200 times over and prints the figures."""

from __future__ import annotations

from bench.bench_faults import KILL_POINTS, campaign


def test_sigkill_at_every_stage_loses_and_doubles_nothing(tmp_path):
    figures = campaign(kills=len(KILL_POINTS), work=tmp_path, seed=3, max_up=1.0, gap=0.2,
                       settle_timeout=240, log=lambda _: None)
    assert figures.settled, figures.lines()
    assert sorted(figures.stages) == sorted(KILL_POINTS), figures.lines()
    assert figures.sent > 0 and figures.posted > 0
    assert (figures.lost, figures.duplicated, figures.posted_twice,
            figures.approved_never_posted, figures.stuck) == (0, 0, 0, 0, 0), figures.lines()
    assert figures.integrity == "ok"
