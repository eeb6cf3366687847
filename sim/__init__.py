"""pvsim: simulate a county's distributed-PV rollout (siting, SimPy rollout, pvlib yield, carbon and money).

The public API for notebooks and scripts::

    import sim
    scenario = sim.load_scenario("scenarios/demo_county.yaml")
    result = sim.run(scenario, strategy="grid_headroom", seed=1)
    result                        # a short summary with units (a table in a notebook)
    result.summary, result.sites, result.annual, result.events
    result.write("runs/demo")
    sim.write_report("runs/demo", lang="zh")
    comparison = sim.compare(scenario, ["max_yield", "grid_headroom"], 3, out_dir="runs/cmp")
    sim.write_report("runs/cmp")  # a comparison folder gets a comparison report

The public API is what ``dir(sim)`` lists, the figures of :mod:`sim.plotting` and the physics of
:mod:`sim.energy`, :mod:`sim.agrivoltaics` and :mod:`sim.weather`; other modules are internal.
"""

# ``__version__`` (looked up lazily, see __getattr__): the package metadata's version (pyproject.toml), with
# ``+g<commit>`` when run from a git checkout (:func:`sim.provenance.version`)

#: name -> (module, attribute): imported lazily, so that ``pvsim --help`` and ``import sim`` stay fast.
_LAZY = {
    "load_scenario": ("scenario", "load_scenario"),
    "Scenario": ("scenario", "Scenario"),
    "run": ("pipeline", "run"),
    "prepare": ("pipeline", "prepare"),
    "run_prepared": ("pipeline", "run_prepared"),
    "validate": ("pipeline", "validate"),
    "load_weather": ("pipeline", "load_weather"),
    "default_cache_dir": ("pipeline", "default_cache_dir"),
    "Prepared": ("pipeline", "Prepared"),
    "RunResult": ("results", "RunResult"),
    "read_run": ("results", "read_run"),
    "compare": ("experiment", "compare"),
    "sweep": ("sweeps", "sweep"),
    "read_comparison": ("experiment", "read_comparison"),
    "Comparison": ("experiment", "Comparison"),
    "METRICS": ("metrics", "METRICS"),
    "site_type_table": ("sites", "site_type_table"),
    "map_layers": ("sites", "map_layers"),
    "write_report": ("report", "write_any_report"),
    "InputError": ("errors", "InputError"),
    "InputWarning": ("errors", "InputWarning"),
}

__all__ = [
    "METRICS",
    "Comparison",
    "InputError",
    "InputWarning",
    "Prepared",
    "RunResult",
    "Scenario",
    "__version__",
    "compare",
    "default_cache_dir",
    "load_scenario",
    "load_weather",
    "map_layers",
    "prepare",
    "read_comparison",
    "read_run",
    "run",
    "run_prepared",
    "site_type_table",
    "sweep",
    "validate",
    "write_report",
]


def __getattr__(name: str):
    if name == "__version__":
        from .provenance import version

        globals()[name] = value = version()
        return value
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(f".{module}", __name__), attribute)
        globals()[name] = value  # later look-ups skip __getattr__
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(__all__) | {"__version__"})
