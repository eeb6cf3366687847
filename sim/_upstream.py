"""Known, harmless warnings of upstream libraries, silenced at their source so that users (notebooks, scripts)
see no warnings and need no filters of their own. Each filter names the library module it applies to.

- pvlib (0.16) calls ``DatetimeIndex.dayofyear``, deprecated in pandas 3 (``Pandas4Warning``); the values are
  unchanged. Remove when pvlib uses ``day_of_year``.
"""

from __future__ import annotations

import warnings


def silence_known_upstream_warnings() -> None:
    warnings.filterwarnings("ignore", message=r"DatetimeIndex\.dayofyear is deprecated", module=r"pvlib(\..*)?$")


silence_known_upstream_warnings()
