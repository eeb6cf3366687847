"""Tests of the named random streams (sim.rng): a stream depends only on the seed and its names."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import sim.rng
from sim.rng import _key, site_rng, site_uniforms, stream


def test_same_seed_and_names_give_the_same_stream():
    assert np.array_equal(stream(3, "rollout", "weather").random(20), stream(3, "rollout", "weather").random(20))
    assert np.array_equal(site_rng(3, "S001", "stages").random(14), site_rng(3, "S001", "stages").random(14))


def test_different_seeds_names_sites_and_purposes_give_different_streams():
    base = stream(3, "site", "S001", "stages").random(8)
    others = [
        stream(4, "site", "S001", "stages"),  # seed
        stream(3, "site", "S002", "stages"),  # site
        stream(3, "site", "S001", "operation"),  # purpose
        stream(3, "site", "stages", "S001"),  # the order of the names counts
        stream(3, "site", "S001"),  # fewer names
    ]
    for rng in others:
        assert not np.array_equal(base, rng.random(8))


def test_site_rng_is_the_site_stream():
    assert np.array_equal(site_rng(5, "S9", "stages").random(6), stream(5, "site", "S9", "stages").random(6))
    # a site id is used as text: 17 and "17" are the same site
    assert np.array_equal(site_rng(5, 17, "operation").random(6), site_rng(5, "17", "operation").random(6))


def test_draws_do_not_depend_on_the_order_of_use():
    sites = [f"S{i:03d}" for i in range(50)]
    forward = {s: site_rng(1, s, "stages").random(14) for s in sites}
    # other streams created and drawn from in between, and the sites taken in reverse
    backward = {}
    for s in reversed(sites):
        stream(1, "rollout", "release").random(100)
        site_rng(1, s, "operation").random(3)
        backward[s] = site_rng(1, s, "stages").random(14)
    for s in sites:
        assert np.array_equal(forward[s], backward[s])


def test_stream_keys_are_stable_across_processes():
    # Python's hash() is salted per process; the stream keys must not be
    code = "from sim.rng import _key; print(_key('site'), _key('S001'))"
    repo = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONHASHSEED": "12345",
           "PYTHONPATH": os.pathsep.join(p for p in (repo, os.environ.get("PYTHONPATH")) if p)}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=repo, capture_output=True, text=True,
                         check=True).stdout
    assert out.split() == [str(_key("site")), str(_key("S001"))]
    assert _key("site") != _key("S001")


def test_site_uniforms_are_the_first_draws_of_each_site_stream():
    """Computed together, the same numbers as each site's own stream, draw for draw, at seeds of one, two and three
    32-bit words (a seed of up to 4 words is padded with zeros before the spawn key, one of more is not)."""
    ids = [f"S{i:04d}" for i in range(300)] + ["", "17", "站点-3"]
    for seed in (0, 1, 2**32 + 7, 2**70 + 3, 2**160 + 1):
        want = np.array([site_rng(seed, s, "stages").random(18) for s in ids])
        assert np.array_equal(site_uniforms(seed, ids, "stages", 18), want)
    assert np.array_equal(site_uniforms(3, ["S1", "S2"], "operation", 1)[:, 0],
                          [site_rng(3, "S1", "operation").random(), site_rng(3, "S2", "operation").random()])
    assert site_uniforms(3, [], "stages", 4).shape == (0, 4)
    with pytest.raises(ValueError, match="non-negative"):  # as site_rng(-1, ...) does
        site_uniforms(-1, ["S1"], "stages", 2)
    with pytest.raises(ValueError, match="non-negative"):
        site_rng(-1, "S1", "stages")


def test_site_uniforms_with_site_keys_of_one_word(monkeypatch):
    """A site key below 2^32 is one entropy word, not two (about one site in 4 billion): keys forced small for some
    sites (also 0), the draws are still those of their streams."""
    real = sim.rng._key
    small = {"A": 0, "B": 5, "C": 2**32 - 1, "D": 2**32}
    monkeypatch.setattr(sim.rng, "_key", lambda text: small.get(text, real(text)))
    ids = ["A", "S1", "B", "C", "D", "S2"]
    want = np.array([site_rng(11, s, "stages").random(6) for s in ids])
    assert np.array_equal(site_uniforms(11, ids, "stages", 6), want)


def test_draws_are_the_site_stream_draw_for_draw_past_the_given_ones():
    """Three draws given (by site_uniforms), then the stream itself, advanced past them: twelve draws, each the
    stream's own; with none given the stream from its start."""
    from sim.rng import Draws, site_rng, site_uniforms

    for given in (0, 3):
        first = site_uniforms(11, ["S-7"], "operation", given)[0] if given else []
        draws = Draws(first, 11, "S-7", "operation")
        got = [draws.random() for _ in range(12)]
        assert got == site_rng(11, "S-7", "operation").random(12).tolist()
        assert all(isinstance(u, float) for u in got)
