"""pvsim: simulate a county's distributed-PV rollout (siting, SimPy rollout, pvlib yield, carbon and money).

The public API for notebooks and scripts::

    import sim
    scenario = sim.load_scenario("scenarios/demo_county.yaml")
    result = sim.run(scenario, strategy="grid_headroom", seed=1)
    result.summary, result.sites, result.annual, result.events
    result.write("runs/demo")
"""

__version__ = "0.1.0"

__all__ = ["__version__", "load_scenario", "run", "read_run", "compare", "sweep"]


def __getattr__(name: str):
    # imported lazily so that `pvsim --help` and `import sim` stay fast
    if name == "load_scenario":
        from .scenario import load_scenario

        return load_scenario
    if name == "run":
        from .pipeline import run

        return run
    if name == "compare":
        from .experiment import compare

        return compare
    if name == "sweep":
        from .sweeps import sweep

        return sweep
    if name == "read_run":
        from .results import read_run

        return read_run
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
