"""Random streams: one SeedSequence per run, one stream per (site, purpose).

A site's draws depend only on the run seed, the site id and the purpose of the stream, never on the order in which
sites are processed or on the strategy: this gives common random numbers across strategies.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=1 << 18)  # a county's site ids recur in every run a process makes (~50 MB at its full size)
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


# ---------------------------------------------------------------------------------------------------------------
# The first draws of many site streams at once (the same numbers as ``site_rng(...).random(n)``, site by site)
#
# Source: NumPy's own definitions, reproduced step for step and checked against NumPy draw for draw
# (tests/test_rng.py): ``SeedSequence`` (numpy/random/bit_generator.pyx: its entropy words, ``mix_entropy`` with
# ``hashmix``/``mix`` into a pool of 4 words, ``generate_state``), the seeding of ``PCG64`` from 4 of those words
# (numpy/random/src/pcg64: ``pcg64_set_seed``, ``pcg_setseq_128_srandom_r``), its step (128-bit LCG with
# ``PCG_DEFAULT_MULTIPLIER_128``), its output (XSL-RR 128/64) and ``Generator.random`` (the top 53 bits / 2^53).

_INIT_A, _MULT_A, _INIT_B, _MULT_B = 0x43B0D7E5, 0x931E8875, 0x8B51F9DD, 0x58F38DED
_MIX_MULT_L, _MIX_MULT_R = 0xCA01F9DD, 0x4973F715
_POOL_SIZE = 4
_PCG_MULT_HI, _PCG_MULT_LO = 2549297995355413924, 4865540595714422341
_M32 = np.uint64(0xFFFFFFFF)


def _words(n: int) -> list[int]:
    """The 32-bit words of a non-negative integer, least significant first (0: one word), as SeedSequence reads
    an integer's entropy (and, like it, ``ValueError`` for a negative one)."""
    if n < 0:
        raise ValueError("expected non-negative integer")
    out = [n & 0xFFFFFFFF]
    n >>= 32
    while n:
        out.append(n & 0xFFFFFFFF)
        n >>= 32
    return out


def _mixed_pools(entropy: np.ndarray) -> np.ndarray:
    """``SeedSequence``'s pool (rows, 4) uint32 of each row of entropy words (rows, words) uint32."""
    u32 = np.uint32
    hash_const = u32(_INIT_A)

    def hashmix(value: np.ndarray) -> np.ndarray:
        nonlocal hash_const
        value = value ^ hash_const
        hash_const = u32(hash_const * u32(_MULT_A))
        value = value * hash_const
        return value ^ (value >> u32(16))

    def mix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        result: np.ndarray = np.subtract(np.multiply(x, u32(_MIX_MULT_L)), np.multiply(y, u32(_MIX_MULT_R)))
        return result ^ (result >> u32(16))

    n_words = entropy.shape[1]
    with np.errstate(over="ignore"):
        zeros = np.zeros(len(entropy), dtype=u32)
        pool = [hashmix(entropy[:, i] if i < n_words else zeros) for i in range(_POOL_SIZE)]
        for src in range(_POOL_SIZE):
            for dst in range(_POOL_SIZE):
                if src != dst:
                    pool[dst] = mix(pool[dst], hashmix(pool[src]))
        for src in range(_POOL_SIZE, n_words):
            for dst in range(_POOL_SIZE):
                pool[dst] = mix(pool[dst], hashmix(entropy[:, src]))
    return np.stack(pool, axis=1)


def _seed_words(pool: np.ndarray) -> np.ndarray:
    """``SeedSequence.generate_state(4, np.uint64)`` of each pool, (rows, 4) uint64."""
    u32 = np.uint32
    out = np.empty((len(pool), 8), dtype=u32)
    hash_const = u32(_INIT_B)
    with np.errstate(over="ignore"):
        for i in range(8):
            value = pool[:, i % _POOL_SIZE] ^ hash_const
            hash_const = u32(hash_const * u32(_MULT_B))
            value = value * hash_const
            out[:, i] = value ^ (value >> u32(16))
    return out.astype("<u4").view("<u8").astype(np.uint64)


def _mul_hi(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The high 64 bits of the 128-bit products ``a * b`` (uint64)."""
    a0, a1, b0, b1 = a & _M32, a >> np.uint64(32), b & _M32, b >> np.uint64(32)
    p00, p01, p10 = a0 * b0, a0 * b1, a1 * b0
    mid = (p00 >> np.uint64(32)) + (p01 & _M32) + (p10 & _M32)
    return a1 * b1 + (p01 >> np.uint64(32)) + (p10 >> np.uint64(32)) + (mid >> np.uint64(32))


def _add128(a_hi, a_lo, b_hi, b_lo):
    lo = a_lo + b_lo
    return a_hi + b_hi + (lo < a_lo).astype(np.uint64), lo


def _mul128(hi: np.ndarray, lo: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(hi, lo) * PCG_DEFAULT_MULTIPLIER_128`` modulo 2^128."""
    m_hi, m_lo = np.uint64(_PCG_MULT_HI), np.uint64(_PCG_MULT_LO)
    return hi * m_lo + lo * m_hi + _mul_hi(lo, np.full_like(lo, m_lo)), lo * m_lo


def _pcg64_uniforms(words: np.ndarray, n: int) -> np.ndarray:
    """``Generator(PCG64(seed sequence)).random(n)`` for each row of ``generate_state(4, np.uint64)`` words."""
    out = np.empty((len(words), n))
    with np.errstate(over="ignore"):
        inc_hi = (words[:, 2] << np.uint64(1)) | (words[:, 3] >> np.uint64(63))
        inc_lo = (words[:, 3] << np.uint64(1)) | np.uint64(1)
        # srandom: state = 0; step (state = inc); state += initstate; step
        hi, lo = _mul128(*_add128(inc_hi, inc_lo, words[:, 0], words[:, 1]))
        hi, lo = _add128(hi, lo, inc_hi, inc_lo)
        for k in range(n):
            hi, lo = _add128(*_mul128(hi, lo), inc_hi, inc_lo)
            rot = hi >> np.uint64(58)
            x = hi ^ lo
            x = (x >> rot) | (x << ((np.uint64(64) - rot) & np.uint64(63)))
            out[:, k] = (x >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)
    return out


def site_uniforms(seed: int, site_ids, purpose: str, n: int) -> np.ndarray:
    """The first ``n`` uniforms of the stream of each site for one purpose, (sites, n): for each site exactly
    ``site_rng(seed, site_id, purpose).random(n)``, computed for all sites at once."""
    run = _words(int(seed))
    head = run + [0] * (_POOL_SIZE - len(run)) + _words(_key("site"))
    tail = _words(_key(purpose))
    keys = np.array([_key(str(s)) for s in site_ids], dtype=np.uint64)
    out = np.empty((len(keys), n))
    wide = keys > _M32  # a key of two words (almost all), else one
    for rows, middle in (
        (np.flatnonzero(wide), [keys[wide] & _M32, keys[wide] >> np.uint64(32)]),
        (np.flatnonzero(~wide), [keys[~wide]]),
    ):
        if len(rows):
            entropy = np.empty((len(rows), len(head) + len(middle) + len(tail)), dtype=np.uint32)
            entropy[:, : len(head)] = head
            for j, word in enumerate(middle):
                entropy[:, len(head) + j] = word
            entropy[:, len(head) + len(middle) :] = tail
            out[rows] = _pcg64_uniforms(_seed_words(_mixed_pools(entropy)), n)
    return out


class Draws:
    """One site's stream for one purpose, ``site_rng(seed, site_id, purpose).random()`` one draw at a time: the
    first ``len(first)`` draws given (computed for many sites at once by :func:`site_uniforms`), the later ones
    drawn from the stream itself, advanced past them (PCG64 gives one 64-bit output per draw). The same numbers as
    the stream, draw for draw, at a fraction of the cost of seeding one stream per site."""

    __slots__ = ("_first", "_next", "_purpose", "_rest", "_seed", "_site_id")

    def __init__(self, first, seed: int, site_id: str, purpose: str):
        self._first = [float(u) for u in first]
        self._next = 0
        self._seed, self._site_id, self._purpose = seed, site_id, purpose
        self._rest: np.random.Generator | None = None

    def random(self) -> float:
        if self._next < len(self._first):
            self._next += 1
            return self._first[self._next - 1]
        if self._rest is None:
            self._rest = site_rng(self._seed, self._site_id, self._purpose)
            bits = self._rest.bit_generator
            assert isinstance(bits, np.random.PCG64)
            bits.advance(len(self._first))
        return float(self._rest.random())
