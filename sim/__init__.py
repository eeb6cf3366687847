"""pvsim: simulate a county's distributed-PV rollout (siting, SimPy rollout, pvlib yield, carbon and money)."""

__version__ = "0.1.0"
