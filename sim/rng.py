"""Random streams: one SeedSequence per run, one stream per (site, purpose).

A site's draws depend only on the run seed, the site id and the purpose of the stream, never on the order in which
sites are processed or on the strategy: this gives common random numbers across strategies.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _key(text: str) -> int:
    """A stable 64-bit integer for ``text`` (Python's ``hash`` is salted per process, this is not)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "little")


def stream(seed: int, *names: str) -> np.random.Generator:
    """A generator for the stream named by ``names`` (e.g. ``stream(seed, "site", site_id, "consent")``)."""
    return np.random.Generator(
        np.random.PCG64(np.random.SeedSequence(int(seed), spawn_key=tuple(_key(n) for n in names)))
    )


def site_rng(seed: int, site_id: str, purpose: str) -> np.random.Generator:
    """The stream of one site for one purpose (``"stages"``, ``"operation"``...)."""
    return stream(seed, "site", str(site_id), purpose)
