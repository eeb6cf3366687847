"""Hosting capacity of low-voltage transformers and 10 kV feeders by AC power flow (``grid.hosting_method: power_flow``).

For each ``lv`` transformer a radial network: the 10 kV supply as the slack at 1.0 pu, the transformer, and its
low-voltage network. Where the user gives a line layer (``data.lines_layer`` / ``data.lines_file``, checked by
:func:`sim.grid.check_lines`), the network follows it (:func:`line_network`): each line's geometry and length, its
cable type (``sim/tables/lv_cables.csv``), the busbar at the line vertex nearest the transformer's point, each site
on the vertex nearest it by a straight service cable. Elsewhere a **synthetic radial network**
(:func:`synthetic_network`): a minimum spanning tree over the transformer and the sites connected to it, by
straight-line distance between their positions in the local projected CRS, each edge one cable of
:data:`CABLE_TYPE`. The assumptions (straight lines and one cable type for the synthetic networks; for all: balanced
three-phase positive-sequence flow, existing PV and the ledger's other customers at the transformer's busbar,
reactive power of the PV zero) are stated here and in the report (``transformers.csv`` ``lv_network`` says which).

Worst hour (:func:`worst_hour`): the hour of the first weather year in which the transformer's net export is largest,
the PV of all its eligible low-voltage sites at its hourly output (the yield profiles the curtailment engine uses,
:mod:`sim.accounting`) minus the local load of its customers at their hourly shapes (:mod:`sim.load`, the load the
curtailment engine nets the export with): high irradiance and low load.

Hosting limit (:func:`hosting_limits`): the largest new PV [kW AC] spread over the transformer's eligible sites in
proportion to their AC capacity that keeps, at the worst hour, every bus at or below ``voltage_max_pu``, every cable
at or below its ampacity and the transformer at or below its rating (100 %: under this method the thermal rating
replaces the share-of-rating rule for ``lv`` transformers); the binding one is the limiting **cause** (``voltage``,
``line``, ``transformer``). The limit is found by AC power flows (:func:`solve_many`: the backward/forward sweep
of radial networks, all transformers' networks stacked in one vectorised flow per step; it agrees with pandapower's
Newton-Raphson to 1e-7 pu, ``tests/data/powerflow_reference.json``), started from the linear estimate of
:class:`Screen` and refined until the margin is within :data:`TOLERANCE`. A network whose flow does not converge
even without new PV (voltage collapse under its load: a long cable to a large load) hosts nothing, cause
``voltage``, its voltage and loading reported empty.

Screening (:class:`Screen`): the rollout asks, for a site, whether the PV already reserved on the transformer plus the
site's PV at its bus keeps the limits. It answers from the cached power-flow solution at the hosting limit,
linearised around it (LinDistFlow: a bus voltage moves by ``sum_j R_ij dP_j / (V_n^2 v_i)`` with ``R_ij`` the
resistance the paths of buses i and j from the slack share and ``v_i`` the bus's cached voltage [pu], a cable's flow
by the injections downstream of it): exact at the cached solution, and within the two-bus test's tolerance near it.

Upgrades: a held site asks for the transformer's upgrade where the larger rating would let it pass
(:meth:`sim.rollout.setup.GridState.upgrade_helps`); else, where the site is held by a bus voltage or a cable, for a
**line reinforcement** where it would let it pass (:meth:`sim.rollout.setup.GridState.reinforcement_helps`): a second
cable of the same type laid in parallel on every section of the path from the busbar to the site's bus not yet
reinforced (:meth:`Screen.reinforced`: their resistance and reactance halve, their ampacity doubles), at
``rollout.line_reinforcement_cost_cny_per_km`` per km of section, with the lead time and yearly limit of the
transformer upgrades.

Voltage limit: GB/T 12325-2008 *Power quality - Deviation of supply voltage*: three-phase supply at 20 kV and below
within +-7 % of nominal, 220 V single-phase within +7 % / -10 %; the upper bound, 1.07 pu, is what PV's voltage rise
meets on a 380 V network (the default of ``grid.voltage_max_pu``) and on the 10 kV feeders (``grid.mv_voltage_max_pu``).

10 kV feeders (:func:`feeder_networks`, level :data:`MV`): per substation (its ``mv`` entry) its feeders, from the
feeder layer (``data.feeders_layer``, conductor types ``sim/tables/mv_conductors.csv``; parts that do not meet are
joined at the substation, :func:`with_bays`) or a minimum spanning tree over the substation and its distribution
transformers (the transformers of each ``feeder_id`` of the ledger on branches of their own: a substation's feeders
leave it from their own bays), each medium-voltage site tapping the nearest bus of that tree by a line of its own
(as it taps the nearest vertex of a feeder layer). The 10 kV busbar is the slack at 1.0 pu (the main transformers' on-load
tap changer holds it; their rating a thermal limit only). Each distribution transformer of the substation
(:func:`substation_of`) is a bus with its load less its existing PV; its sites' new PV reaches the feeders at that
bus, so the rollout screens every site twice: on its transformer's network and on its substation's feeders
(:meth:`sim.rollout.setup.GridState.network_fits`), and a site held by the feeders asks for their upgrade or a 10 kV
reinforcement. The ``mv`` entry's hosting limit is what its feeders host for its medium-voltage sites at the
feeders' worst hour. Each level is held to its own voltage band (the 10/0.4 kV transformers' taps set for their own).

The rollout keeps each network's linearised state up to date as PV is reserved (:class:`Loaded`: a check costs one
column of the screen); the optimising strategies hold their plans to the same linearisation at each network's bus
and cable nearest their limits (:func:`plan_rows`).
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse.csgraph import breadth_first_order, minimum_spanning_tree

#: pandapower's standard type "NAYY 4x150 SE" (pandapower ``std_types``, line library; aluminium 4x150 mm2 PVC LV
#: cable): r = 0.208 ohm/km, x = 0.08 ohm/km, c = 261 nF/km, ampacity 0.27 kA. The standard LV cable of
#: pandapower's examples and of SimBench's rural LV grids ("NAYY 4x150SE 0.6/1kV").
CABLE_TYPE = "NAYY 4x150 SE"
CABLE_R_OHM_PER_KM = 0.208
CABLE_X_OHM_PER_KM = 0.08
CABLE_C_NF_PER_KM = 261.0
CABLE_MAX_I_KA = 0.27
#: 10/0.4 kV distribution transformer: short-circuit voltage 4 % and its resistive part 1.2 % (pandapower standard
#: type "0.25 MVA 10/0.4 kV"; 0.4 and 0.63 MVA types: 4 % and 1.3 / 1.1 %); no-load losses neglected (assumption).
TRAFO_VK_PERCENT = 4.0
TRAFO_VKR_PERCENT = 1.2
MV_KV = 10.0
LV_KV = 0.4
#: What a synthetic network's tree adds to the length of an edge between sites of two labels [m]: more than any
#: county's cables together, so that no such edge is taken while the transformer can join them.
SEPARATE_M = 1e9
#: Shortest cable [km]: sites at the same point still get a cable between them (assumption, 1 m).
MIN_CABLE_KM = 0.001
#: Relative precision of the hosting limit found by power flow.
TOLERANCE = 0.005
#: What can set a network's hosting limit.
CAUSES = ("voltage", "line", "transformer")


@dataclass
class Network:
    """A transformer's radial LV network at its worst hour. Buses: 0 the LV busbar, then the sites (1..n in the
    order given, or ``site_bus``) and the junctions of a line layer. ``parent[b]`` is the bus feeding bus ``b`` (-1
    for the busbar), line ``b - 1`` feeds bus ``b``."""

    rating_kva: float
    length_km: np.ndarray  # (buses - 1,) cable feeding bus 1..n
    parent: np.ndarray  # (buses,)
    load_kw: np.ndarray  # (buses,) load at the worst hour
    existing_kw: float  # existing PV output at the worst hour, at the busbar
    output_per_kw_ac: np.ndarray  # (buses,) PV output at the worst hour per kW AC of a site at that bus [-]
    #: per cable (line l feeds bus l + 1): its type's series resistance and reactance [ohm/km], capacitance [nF/km]
    #: and ampacity [kA]; None: :data:`CABLE_TYPE` on every cable
    r_ohm_per_km: np.ndarray | None = None
    x_ohm_per_km: np.ndarray | None = None
    c_nf_per_km: np.ndarray | None = None
    max_i_ka: np.ndarray | None = None
    #: each site's bus (None: sites are buses 1..n, in order: the synthetic network)
    site_bus: np.ndarray | None = None
    #: nominal voltage of the network's buses [kV]: :data:`LV_KV` (a transformer's LV network) or :data:`MV_KV` (a
    #: substation's 10 kV feeders, :func:`feeder_network`)
    kv: float = LV_KV
    #: whether the slack feeds the busbar through the transformer's impedance (:func:`trafo_impedance_ohm`, the
    #: 10/0.4 kV transformer); False: the busbar is the slack (a substation's 10 kV busbar, held by the main
    #: transformers' on-load tap changer), the transformer's rating a thermal limit only
    trafo_impedance: bool = True

    def __post_init__(self) -> None:
        lines = len(self.length_km)
        for name, default in (
            ("r_ohm_per_km", CABLE_R_OHM_PER_KM),
            ("x_ohm_per_km", CABLE_X_OHM_PER_KM),
            ("c_nf_per_km", CABLE_C_NF_PER_KM),
            ("max_i_ka", CABLE_MAX_I_KA),
        ):
            given = getattr(self, name)
            setattr(self, name, np.full(lines, default) if given is None else np.asarray(given, float).reshape(lines))

    @property
    def r_line_ohm(self) -> np.ndarray:
        """Series resistance of each cable [ohm]."""
        return self.length_km * np.asarray(self.r_ohm_per_km)

    @property
    def z_trafo_ohm(self) -> complex:
        """The transformer's series impedance referred to the network's side [ohm] (0 without one)."""
        return complex(*trafo_impedance_ohm(self.rating_kva)) if self.trafo_impedance else 0j


@dataclass(frozen=True)
class Level:
    """A voltage level's networks: nominal voltage [kV], whether the slack feeds the busbar through the
    transformer's impedance (``Network.trafo_impedance``), and the type of the straight cables that join a site (or,
    at 10 kV, a distribution transformer) to the network: ``(r_ohm_per_km, x_ohm_per_km, c_nf_per_km, max_i_ka)``,
    also every cable of a synthetic network."""

    kv: float
    trafo_impedance: bool
    cable: tuple[float, float, float, float]
    cable_type: str


#: A 10/0.4 kV transformer's low-voltage network: :data:`CABLE_TYPE` for service cables and synthetic networks.
LV = Level(LV_KV, True, (CABLE_R_OHM_PER_KM, CABLE_X_OHM_PER_KM, CABLE_C_NF_PER_KM, CABLE_MAX_I_KA), CABLE_TYPE)
#: The feeders' default conductor (``sim/tables/mv_conductors.csv``, the source there): pandapower's "149-AL1/24-ST1A
#: 10.0", the cross-section of the 150/25 steel-cored aluminium conductor common on rural 10 kV trunk lines
#: (assumption).
MV_CONDUCTOR_TYPE = "149-AL1/24-ST1A 10.0"
#: A substation's 10 kV feeders: the busbar is the slack (held at 1.0 pu by the main transformers' on-load tap
#: changer, an assumption), taps and synthetic feeders of :data:`MV_CONDUCTOR_TYPE`.
MV = Level(MV_KV, False, (0.194, 0.315, 11.25, 0.47), MV_CONDUCTOR_TYPE)


def synthetic_network(
    transformer_xy_m: tuple[float, float],
    sites_xy_m: np.ndarray,
    *,
    rating_kva: float,
    load_kw: np.ndarray,
    busbar_load_kw: float = 0.0,
    existing_kw: float = 0.0,
    output_per_kw_ac: np.ndarray | None = None,
    level: Level = LV,
    groups: np.ndarray | None = None,
    taps: np.ndarray | None = None,
) -> Network:
    """The minimum spanning tree (straight-line distances [m] in a projected CRS) over the transformer (bus 0) and
    the sites (buses 1..n, in the order of ``sites_xy_m``), rooted at the transformer, every cable of the level's
    type. ``groups``: a label per site (a distribution transformer's ``feeder_id``); sites of two different
    labels are never joined directly, so that each label's sites form their own branches from the transformer
    (a substation's feeders leave it from their own bays); "" joins any. ``taps``: sites (True) that are not part
    of the tree but each hang by its own line on the nearest bus of it (a medium-voltage site tapping the feeders
    of its substation, as it taps the nearest vertex of a feeder layer)."""
    xy = np.vstack([np.asarray(transformer_xy_m, float)[None, :], np.asarray(sites_xy_m, float).reshape(-1, 2)])
    n = len(xy)
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    dist = np.maximum(dist, MIN_CABLE_KM * 1000.0)  # csgraph reads 0 as "no edge"
    np.fill_diagonal(dist, 0.0)
    choose = dist
    if groups is not None:
        label = np.concatenate([[""], np.asarray(groups, dtype=object).astype(str)])
        apart = (label[:, None] != label[None, :]) & (label[:, None] != "") & (label[None, :] != "")
        choose = dist + np.where(apart, SEPARATE_M, 0.0)  # the transformer (no label) always joins them
    tapped = np.r_[False, np.zeros(n - 1, bool) if taps is None else np.asarray(taps, bool)]
    tree_bus = np.flatnonzero(~tapped)
    tree = minimum_spanning_tree(choose[np.ix_(tree_bus, tree_bus)])
    tree = tree + tree.T
    order, pred = breadth_first_order(tree, 0, directed=False, return_predecessors=True)
    if len(order) != len(tree_bus):
        raise ValueError("the spanning tree does not reach every site")
    parent = np.full(n, -1, dtype=np.int64)
    parent[tree_bus[1:]] = tree_bus[pred[1:]]
    on_tree = dist[np.ix_(np.flatnonzero(tapped), tree_bus)]
    parent[tapped] = tree_bus[np.argmin(on_tree, axis=1)] if tapped.any() else parent[tapped]
    length_km = dist[parent[1:], np.arange(1, n)] / 1000.0
    loads = np.r_[busbar_load_kw, np.asarray(load_kw, float)]
    per_kw = np.r_[0.0, np.ones(n - 1) if output_per_kw_ac is None else np.asarray(output_per_kw_ac, float)]
    r, x, c, i_max = (np.full(n - 1, v) for v in level.cable)
    return Network(
        float(rating_kva),
        length_km,
        parent,
        loads,
        float(existing_kw),
        per_kw,
        r_ohm_per_km=r,
        x_ohm_per_km=x,
        c_nf_per_km=c,
        max_i_ka=i_max,
        kv=level.kv,
        trafo_impedance=level.trafo_impedance,
    )


#: Vertices of a line layer closer than this [m] are one vertex (lines meet where their ends or vertices touch).
SNAP_M = 1.0


@dataclass(frozen=True)
class LineGraph:
    """The graph of one transformer's line layer: merged vertices ``xy`` (vertices, 2) [m], segments ``edges``
    (segments, 2) between them, each segment's ``length_m`` and ``row`` (the line it belongs to), and the connected
    ``component`` of each vertex."""

    xy: np.ndarray
    edges: np.ndarray
    length_m: np.ndarray
    row: np.ndarray
    component: np.ndarray


def line_graph(coords: list[np.ndarray]) -> LineGraph:
    """The graph of polylines ``coords`` (each (points, 2) [m] in a projected CRS): vertices within :data:`SNAP_M`
    merged (transitively), consecutive points joined by a segment."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    points = np.vstack([np.asarray(c, float).reshape(-1, 2) for c in coords]) if coords else np.zeros((0, 2))
    n = len(points)
    pairs = cKDTree(points).query_pairs(SNAP_M, output_type="ndarray") if n else np.zeros((0, 2), np.int64)
    same = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(n, n))
    _, vertex = connected_components(same, directed=False)
    xy = np.zeros((vertex.max(initial=-1) + 1, 2))
    xy[vertex] = points  # a merged vertex at one of its points
    starts = np.cumsum([0] + [len(np.asarray(c).reshape(-1, 2)) for c in coords])
    seg = [(a, a + 1, k) for k in range(len(coords)) for a in range(starts[k], starts[k + 1] - 1)]
    a, b, row = (np.array(x, dtype=np.int64) for x in zip(*seg, strict=True)) if seg else (np.zeros(0, np.int64),) * 3
    keep = vertex[a] != vertex[b]
    edges = np.column_stack([vertex[a], vertex[b]])[keep]
    length = np.hypot(*(points[a] - points[b]).T)[keep]
    m = len(xy)
    graph = coo_matrix((np.ones(len(edges)), (edges[:, 0], edges[:, 1])), shape=(m, m))
    _, component = connected_components(graph, directed=False)
    return LineGraph(xy, edges, length, row[keep], component)


def line_network(
    transformer_xy_m: tuple[float, float],
    sites_xy_m: np.ndarray,
    coords: list[np.ndarray],
    cables: pd.DataFrame,
    *,
    rating_kva: float,
    load_kw: np.ndarray,
    busbar_load_kw: float = 0.0,
    existing_kw: float = 0.0,
    output_per_kw_ac: np.ndarray | None = None,
    level: Level = LV,
    groups: tuple[np.ndarray, np.ndarray] | None = None,
) -> Network:
    """A transformer's LV network (or, ``level`` :data:`MV`, a substation's 10 kV feeders) from its lines ``coords``
    (polylines [m], one connected graph, :func:`line_graph`) with the cable of each line (``cables``: a row per line
    with ``r_ohm_per_km, x_ohm_per_km, c_nf_per_km, max_i_ka``, :func:`sim.inputs.lv_cable_table`). The busbar
    (bus 0) is the vertex nearest the transformer's point; the other vertices are buses fed along the breadth-first
    tree from it (a meshed layer runs radially, opened where the search meets a vertex the second time); each site
    is a bus of its own, fed from the vertex nearest it by a straight cable of the level's type (at least
    :data:`MIN_CABLE_KM`). ``groups``, ``(group of each line, group of each site)``: a site whose group has lines
    takes the nearest vertex of those lines (a distribution transformer on its own feeder). ``Network.site_bus``
    gives each site's bus."""
    g = line_graph(coords)
    sites = np.asarray(sites_xy_m, float).reshape(-1, 2)
    root = int(np.argmin(np.hypot(*(g.xy - np.asarray(transformer_xy_m, float)).T)))
    m = len(g.xy)
    w = np.r_[g.length_m, g.length_m]
    graph = coo_matrix_from(g.edges, w, m)
    order, pred = breadth_first_order(graph, root, directed=False, return_predecessors=True)
    if len(order) != m:
        raise ValueError("the line layer of the transformer is not one connected network")
    bus_of = np.empty(m, dtype=np.int64)
    bus_of[order] = np.arange(m)
    # the segment of each tree edge (pred -> vertex): the shortest between the two vertices
    seg_of: dict[tuple[int, int], int] = {}
    for k, (u, v) in enumerate(g.edges.tolist()):
        for key in ((u, v), (v, u)):
            if key not in seg_of or g.length_m[k] < g.length_m[seg_of[key]]:
                seg_of[key] = k
    segs = np.array([seg_of[(int(pred[v]), int(v))] for v in order[1:]], dtype=np.int64)
    nearest = _nearest_vertex(g, sites, groups)
    service_km = np.maximum(np.hypot(*(sites - g.xy[nearest]).T) / 1000.0, MIN_CABLE_KM)
    parent = np.r_[-1, bus_of[pred[order[1:]]], bus_of[nearest]].astype(np.int64)
    rows = g.row[segs]
    n_sites = len(sites)
    site_bus = m + np.arange(n_sites)
    loads = np.zeros(m + n_sites)
    loads[0] += busbar_load_kw
    loads[site_bus] = np.asarray(load_kw, float)
    per_kw = np.zeros(m + n_sites)
    per_kw[site_bus] = 1.0 if output_per_kw_ac is None else np.asarray(output_per_kw_ac, float)

    def column(name: str, service: float) -> np.ndarray:
        return np.r_[cables[name].to_numpy(float)[rows], np.full(n_sites, service)]

    r, x, c, i_max = level.cable
    return Network(
        float(rating_kva),
        np.r_[g.length_m[segs] / 1000.0, service_km],
        parent,
        loads,
        float(existing_kw),
        per_kw,
        r_ohm_per_km=column("r_ohm_per_km", r),
        x_ohm_per_km=column("x_ohm_per_km", x),
        c_nf_per_km=column("c_nf_per_km", c),
        max_i_ka=column("max_i_ka", i_max),
        site_bus=site_bus,
        kv=level.kv,
        trafo_impedance=level.trafo_impedance,
    )


def _nearest_vertex(g: LineGraph, sites: np.ndarray, groups: tuple[np.ndarray, np.ndarray] | None) -> np.ndarray:
    """Each site's nearest vertex of the graph, or (``groups``) of its own group's lines where it has any."""
    dist = np.hypot(sites[:, None, 0] - g.xy[None, :, 0], sites[:, None, 1] - g.xy[None, :, 1])
    if groups is None or not len(sites) or not len(g.edges):
        return np.argmin(dist, axis=1) if len(sites) else np.zeros(0, np.int64)
    line_group, site_group = (np.asarray(x, dtype=object) for x in groups)
    seg_group = line_group[g.row]
    for label in np.unique(site_group.astype(str)):
        if not label:
            continue  # no group: the nearest vertex of all
        on = np.zeros(len(g.xy), bool)
        on[g.edges[seg_group.astype(str) == label].ravel()] = True
        if on.any():
            dist[np.ix_(site_group.astype(str) == label, ~on)] = np.inf
    return np.argmin(dist, axis=1)


def with_bays(substation_xy_m: tuple[float, float], coords: list[np.ndarray]) -> list[np.ndarray]:
    """``coords`` (a substation's feeders) and a straight line from the substation's point to the vertex nearest it
    of each connected part that does not reach the part nearest the substation (feeders drawn from separate bays,
    or whose first vertices stop short of each other): one connected network."""
    g = line_graph(coords)
    if not len(g.xy):
        return list(coords)
    at = np.asarray(substation_xy_m, float)
    d = np.hypot(*(g.xy - at).T)
    root = int(np.argmin(d))
    bays = []
    for part in np.unique(g.component):
        if part == g.component[root]:
            continue
        members = np.flatnonzero(g.component == part)
        nearest = members[np.argmin(d[members])]
        bays.append(np.vstack([g.xy[root], g.xy[nearest]]))
    return [*coords, *bays]


def coo_matrix_from(edges: np.ndarray, weight: np.ndarray, n: int):
    """The symmetric sparse adjacency matrix of ``edges`` (both directions in ``weight``)."""
    from scipy.sparse import coo_matrix

    i = np.r_[edges[:, 0], edges[:, 1]] if len(edges) else np.zeros(0, np.int64)
    j = np.r_[edges[:, 1], edges[:, 0]] if len(edges) else np.zeros(0, np.int64)
    return coo_matrix((weight, (i, j)), shape=(n, n)).tocsr()


def downstream(parent: np.ndarray) -> np.ndarray:
    """(lines, buses) 0/1: bus j is fed through line l (line l feeds bus l + 1)."""
    n = len(parent)
    out = np.zeros((n - 1, n))
    for j in range(1, n):
        b = j
        while b > 0:
            out[b - 1, j] = 1.0
            b = int(parent[b])
    return out


def trafo_impedance_ohm(rating_kva: float) -> tuple[float, float]:
    """The transformer's series resistance and reactance referred to the LV side [ohm]."""
    z_base = LV_KV**2 / (rating_kva / 1000.0)
    r = TRAFO_VKR_PERCENT / 100.0 * z_base
    return r, float(np.sqrt((TRAFO_VK_PERCENT / 100.0) ** 2 - (TRAFO_VKR_PERCENT / 100.0) ** 2) * z_base)


#: System frequency [Hz] (the cables' charging current) and the per-unit power base [MVA] of the solver.
F_HZ = 50.0
S_BASE_MVA = 1.0
#: The sweep stops when no bus voltage of a network moves by more than this [pu] in a sweep; a network that has not
#: settled after :data:`MAX_SWEEPS` sweeps has no solution (voltage collapse).
SWEEP_TOL_PU = 1e-10
MAX_SWEEPS = 300


@dataclass(frozen=True)
class Solution:
    """An AC power flow's result for one network: bus voltages [pu] (LV buses), cable loading [%] (line l feeds bus
    l + 1), transformer loading [%], and the flows the screen is linearised around."""

    vm_pu: np.ndarray
    line_loading_percent: np.ndarray
    trafo_loading_percent: float
    line_p_mw: np.ndarray  # from the parent bus into the cable
    line_q_mvar: np.ndarray
    trafo_p_mw: float  # into the transformer from the 10 kV side (negative: export)
    trafo_q_mvar: float

    @property
    def worst_vm_pu(self) -> float:
        """Highest bus voltage [pu] (inf: the flow collapsed)."""
        return float(self.vm_pu.max())

    @property
    def worst_line_loading_percent(self) -> float:
        """Highest cable loading [%] (0 without cables, NaN: the flow collapsed)."""
        return float(self.line_loading_percent.max(initial=0.0))


@dataclass
class County:
    """Many networks stacked for one vectorised power flow, in per unit of :data:`S_BASE_MVA` and each network's
    nominal voltage (``Network.kv``). Bus b of network k is bus ``first_bus[k] + b`` of the stack, its cable l (feeding its bus l + 1) line
    ``first_line[k] + l``; ``path[l, j]`` is 1 where bus j is fed through line l (the branch-current matrix of a
    radial network)."""

    nets: list[Network]
    first_bus: np.ndarray
    first_line: np.ndarray
    island_of_bus: np.ndarray
    from_bus: np.ndarray  # (lines,) stacked bus feeding each line
    to_bus: np.ndarray  # (lines,) stacked bus each line feeds
    path: Any  # scipy.sparse CSR matrix (lines, buses)
    z_line_pu: np.ndarray  # (lines,) series impedance
    y_half_pu: np.ndarray  # (lines,) half the line's charging admittance, at each end (pi section)
    max_i_ka: np.ndarray  # (lines,) ampacity
    z_trafo_pu: np.ndarray  # (networks,) transformer series impedance (no magnetising branch)
    rating_mva: np.ndarray  # (networks,)
    load_mw: np.ndarray  # (buses,)


def to_county(nets: list[Network]) -> County:
    """The stacked network of ``nets`` (their new PV is set by :func:`solve_many`): cables as pi sections of their
    types (:class:`Network`), each transformer as its series impedance referred to the LV side
    (:func:`trafo_impedance_ohm`)."""
    from scipy.sparse import block_diag, csr_matrix

    sizes = np.array([len(n.parent) for n in nets], dtype=np.int64)
    first_bus = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64)
    first_line = np.r_[0, np.cumsum(sizes - 1)[:-1]].astype(np.int64)
    z_base_net = np.array([n.kv**2 / S_BASE_MVA for n in nets])
    z_base = np.repeat(z_base_net, sizes - 1)  # of each line
    length = np.concatenate([n.length_km for n in nets])

    def stack(name: str) -> np.ndarray:  # a cable parameter of every network, in line order
        return np.concatenate([np.asarray(getattr(n, name), float) for n in nets])

    empty = np.zeros(0, np.int64)
    return County(
        nets=list(nets),
        first_bus=first_bus,
        first_line=first_line,
        island_of_bus=np.repeat(np.arange(len(nets)), sizes),
        from_bus=np.concatenate([empty, *(f + n.parent[1:] for f, n in zip(first_bus, nets, strict=True))]),
        to_bus=np.concatenate(
            [empty, *(f + np.arange(1, len(n.parent)) for f, n in zip(first_bus, nets, strict=True))]
        ),
        path=csr_matrix(block_diag([downstream(n.parent) for n in nets], format="csr")),
        z_line_pu=length * (stack("r_ohm_per_km") + 1j * stack("x_ohm_per_km")) / z_base,
        y_half_pu=0.5j * 2.0 * np.pi * F_HZ * stack("c_nf_per_km") * 1e-9 * length * z_base,
        max_i_ka=stack("max_i_ka"),
        z_trafo_pu=np.array([n.z_trafo_ohm for n in nets]) / z_base_net,
        rating_mva=np.array([n.rating_kva for n in nets]) / 1000.0,
        load_mw=np.concatenate([n.load_kw for n in nets]) / 1000.0,
    )


def solve_many(county: County, pv_kw: list[np.ndarray], active: np.ndarray | None = None) -> list[Solution]:
    """AC power flows of the county's networks (those ``active``, a mask; the others' entries are the collapsed
    result), network k with new PV ``pv_kw[k]`` [kW AC] per bus (its output at the worst hour, ``pv_kw x
    output_per_kw_ac``; the existing PV at its output, at the busbar), all solved together.

    The backward/forward sweep for radial networks (Teng 2003, *A direct approach for distribution system load flow
    solutions*, IEEE Trans. Power Delivery 18(3):882-887): the 10 kV side is the slack at 1.0 pu; loads and PV are
    constant power at unity power factor, the cables' charging a constant admittance. Backward, each cable carries
    the currents drawn downstream of it (``path``); forward, each bus's voltage is the busbar's less the drops along
    its path, the busbar's the slack's less the transformer's drop. A network whose voltages have not settled within
    :data:`MAX_SWEEPS` sweeps has no solution (voltage collapse: :func:`collapsed`). Checked against pandapower's
    Newton-Raphson on SimBench grids and against the analytic two-bus rise (``tests/test_powerflow.py``)."""
    injections = []
    for m, p in zip(county.nets, pv_kw, strict=True):
        inj = np.asarray(p, float) * m.output_per_kw_ac
        inj[0] += m.existing_kw
        injections.append(inj)
    v, i_line, i_total, settled = _sweep(county, np.concatenate(injections) / 1000.0 - county.load_mw)
    on = np.ones(len(county.nets), bool) if active is None else np.asarray(active, bool)
    out = [collapsed(net) for net in county.nets]
    for k in np.flatnonzero(on & settled):
        out[k] = _solution(county, int(k), v, i_line, complex(i_total[k]))
    return out


def _sweep(county: County, inject_mw: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Bus voltages, series currents of the cables and the current each transformer carries (complex, pu; drawn
    from the slack positive), and which networks settled (:func:`solve_many`)."""
    n_net, island = len(county.nets), county.island_of_bus
    v = np.ones(len(inject_mw), complex)
    settled = np.zeros(n_net, bool)
    i_line = np.zeros(len(county.from_bus), complex)
    i_total = np.zeros(n_net, complex)
    with np.errstate(all="ignore"):
        for _ in range(MAX_SWEEPS):
            i_bus = np.conj(-inject_mw / S_BASE_MVA / v)
            np.add.at(i_bus, county.from_bus, county.y_half_pu * v[county.from_bus])
            np.add.at(i_bus, county.to_bus, county.y_half_pu * v[county.to_bus])
            i_line = county.path @ i_bus
            i_total = np.bincount(island, i_bus.real, n_net) + 1j * np.bincount(island, i_bus.imag, n_net)
            v_new = (1.0 - county.z_trafo_pu * i_total)[island] - county.path.T @ (county.z_line_pu * i_line)
            moved = np.zeros(n_net)
            np.maximum.at(moved, island, np.abs(v_new - v))
            v = v_new
            settled = moved <= SWEEP_TOL_PU  # NaN (diverged): never
            if settled.all() or not (settled | np.isfinite(moved)).any():
                break
    return v, i_line, i_total, settled


def _solution(county: County, k: int, v: np.ndarray, i_line: np.ndarray, i_trafo: complex) -> Solution:
    b0, l0, m = int(county.first_bus[k]), int(county.first_line[k]), len(county.nets[k].parent)
    lines = slice(l0, l0 + m - 1)
    v_from, v_to = v[county.from_bus[lines]], v[county.to_bus[lines]]
    y = county.y_half_pu[lines]
    i_from = i_line[lines] + y * v_from
    i_to = i_line[lines] - y * v_to
    i_base_ka = S_BASE_MVA / (np.sqrt(3.0) * county.nets[k].kv)
    i_ka = np.maximum(np.abs(i_from), np.abs(i_to)) * i_base_ka
    s_from = v_from * np.conj(i_from) * S_BASE_MVA
    s_trafo = np.conj(i_trafo) * S_BASE_MVA  # at the slack, 1.0 pu
    return Solution(
        vm_pu=np.abs(v[b0 : b0 + m]),
        line_loading_percent=100.0 * i_ka / county.max_i_ka[lines],
        trafo_loading_percent=float(100.0 * abs(i_trafo) * S_BASE_MVA / county.rating_mva[k]),
        line_p_mw=s_from.real,
        line_q_mvar=s_from.imag,
        trafo_p_mw=float(s_trafo.real),
        trafo_q_mvar=float(s_trafo.imag),
    )


def collapsed(net: Network) -> Solution:
    """The result of a power flow that does not converge (voltage collapse): every bus and cable at infinity, so
    that every margin is negative and the voltage is named as the cause."""
    m = len(net.parent)
    return Solution(np.full(m, np.inf), np.full(m - 1, np.nan), np.nan, np.zeros(m - 1), np.zeros(m - 1), 0.0, 0.0)


def solve(net: Network, pv_kw: np.ndarray) -> Solution:
    """An AC power flow of one network with new PV ``pv_kw`` [kW AC] per bus (:func:`solve_many`)."""
    return solve_many(to_county([net]), [pv_kw])[0]


@dataclass(frozen=True)
class Limits:
    """Thermal and voltage limits: bus voltage <= ``voltage_max_pu`` [pu] (GB/T 12325-2008), cable current <=
    ``line_loading_max_percent`` of its ampacity, transformer <= ``trafo_loading_max_percent`` of its rating."""

    voltage_max_pu: float = 1.07
    line_loading_max_percent: float = 100.0
    trafo_loading_max_percent: float = 100.0

    def margins(self, vm_pu: float, line_percent: float, trafo_percent: float) -> dict[str, float]:
        """Share of each limit still free (negative: exceeded), per cause; the voltage margin is measured on the
        rise from 1.0 pu to the limit."""
        out = {
            "voltage": (self.voltage_max_pu - vm_pu) / (self.voltage_max_pu - 1.0),
            "line": 1.0 - line_percent / self.line_loading_max_percent,
            "transformer": 1.0 - trafo_percent / self.trafo_loading_max_percent,
        }
        return {k: (v if np.isfinite(v) else (-np.inf if k == "voltage" else np.inf)) for k, v in out.items()}


def margins(sol: Solution, limits: Limits) -> dict[str, float]:
    """:meth:`Limits.margins` of a power flow's worst bus, worst cable and transformer."""
    return limits.margins(sol.worst_vm_pu, sol.worst_line_loading_percent, sol.trafo_loading_percent)


class Screen:
    """A transformer network's cached power-flow solution at new PV ``pv_kw`` [kW AC per bus], linearised around
    it (LinDistFlow, see the module), to screen new PV quickly: :meth:`state` and :meth:`fits`."""

    def __init__(self, net: Network, pv_kw: np.ndarray, solution: Solution, limits: Limits) -> None:
        self.net = net
        self.limits = limits
        self.pv0_kw = np.asarray(pv_kw, float).copy()
        self.sol = solution
        self.down = downstream(net.parent)
        #: cables in parallel on each section (1: as built; :meth:`reinforced` adds one)
        self.parallel = np.ones(len(net.length_km))
        self.vm_pu = solution.vm_pu  # the bus voltages at ``pv0_kw`` [pu]
        self._set_resistance()
        self.v_from = solution.vm_pu[net.parent[1:]]

    def _set_resistance(self) -> None:
        r_trafo = self.net.z_trafo_ohm.real
        # resistance the paths of buses i and j from the 10 kV side share [ohm]
        self.r_common = r_trafo + self.down.T @ ((self.net.r_line_ohm / self.parallel)[:, None] * self.down)

    def path(self, bus: int) -> np.ndarray:
        """The cables (line indices) from the busbar to ``bus``."""
        return np.flatnonzero(self.down[:, bus] > 0)

    def reinforced(self, lines: np.ndarray) -> Screen:
        """This screen with one more cable of the same type in parallel on each section of ``lines`` (the grid
        company's line reinforcement): their resistance and reactance fall to ``1 / parallel``, their ampacity rises
        ``parallel`` times; the bus voltages at ``pv0_kw`` move by the change of each section's drop,
        ``-(dR_l P_l + dX_l Q_l) / V_n^2`` summed along the bus's path (LinDistFlow, ``P_l, Q_l`` the cached flows)."""
        out = copy.copy(self)
        out.parallel = self.parallel.copy()
        out.parallel[np.asarray(lines, dtype=np.int64)] += 1.0
        net = self.net
        scale = 1.0 / out.parallel - 1.0 / self.parallel
        d_drop_pu = (
            scale
            * net.length_km
            * (np.asarray(net.r_ohm_per_km) * self.sol.line_p_mw + np.asarray(net.x_ohm_per_km) * self.sol.line_q_mvar)
        ) / net.kv**2
        out.vm_pu = self.vm_pu - self.down.T @ d_drop_pu
        out._set_resistance()
        return out

    def state(self, pv_kw: np.ndarray, rating_kva: float | None = None) -> tuple[float, float, float]:
        """Worst bus voltage [pu], worst cable loading [%] and transformer loading [%] with new PV ``pv_kw`` [kW AC]
        per bus, the transformer at ``rating_kva`` (None: the network's)."""
        net = self.net
        dp_mw = (np.asarray(pv_kw, float) - self.pv0_kw) * net.output_per_kw_ac / 1000.0
        vm = self.vm_pu + self.r_common @ dp_mw / (net.kv**2 * self.vm_pu)
        p_line = self.sol.line_p_mw - self.down @ dp_mw
        i_ka = np.hypot(p_line, self.sol.line_q_mvar) / (np.sqrt(3.0) * net.kv * self.v_from)
        p_trafo = self.sol.trafo_p_mw - dp_mw.sum()
        rating = net.rating_kva if rating_kva is None else rating_kva
        trafo = 100.0 * np.hypot(p_trafo, self.sol.trafo_q_mvar) / (rating / 1000.0)
        ampacity = np.asarray(net.max_i_ka) * self.parallel
        return float(vm.max()), float((100.0 * i_ka / ampacity).max(initial=0.0)), float(trafo)

    def limit_kw(self, weights: np.ndarray) -> float:
        """The new PV [kW AC] spread as ``weights`` (per bus, summing to 1) at which the linearised screen meets its
        first limit."""
        return _linear_scale(self, np.asarray(weights, float))

    def fits(self, placed_kw: np.ndarray, bus: int, kw: float, rating_kva: float | None = None) -> bool:
        """Whether the new PV already placed (``placed_kw`` per bus [kW AC]) plus ``kw`` at ``bus`` keeps every
        limit, the transformer at ``rating_kva`` (None: the network's)."""
        pv = np.asarray(placed_kw, float).copy()
        pv[bus] += kw
        return min(self.limits.margins(*self.state(pv, rating_kva)).values()) >= -1e-9


class Loaded:
    """A :class:`Screen` with new PV placed on it (``placed`` [kW AC per bus]), its linearised state kept up to date
    as PV is placed or taken away (:meth:`add`), so that screening ``kw`` more at one bus (:meth:`fits`) costs one
    column of the screen, not a product with the whole network: what the rollout asks for every application. The
    state is the screen's (:meth:`Screen.state`) to rounding."""

    def __init__(self, screen: Screen, placed: np.ndarray | None = None) -> None:
        self.screen = screen
        net = screen.net
        self.placed = np.zeros(len(screen.pv0_kw)) if placed is None else np.asarray(placed, float).copy()
        self._per_kw = np.asarray(net.output_per_kw_ac, float) / 1000.0  # MW at the worst hour per kW AC
        # bus -> the voltage rise at every bus [pu] and the flow change of every cable [MW] per MW injected there
        self._rise = (screen.r_common / (net.kv**2 * screen.vm_pu[:, None])).T.copy()
        self._down = screen.down.T.copy()
        # % of its ampacity per MVA of each cable
        self._percent_per_mva = 100.0 / (
            np.sqrt(3.0) * net.kv * screen.v_from * np.asarray(net.max_i_ka) * screen.parallel
        )
        self._q_line = screen.sol.line_q_mvar
        dp = (self.placed - screen.pv0_kw) * self._per_kw
        self.vm = screen.vm_pu + screen.r_common @ dp / (net.kv**2 * screen.vm_pu)
        self.p_line = screen.sol.line_p_mw - screen.down @ dp
        self.p_trafo = screen.sol.trafo_p_mw - dp.sum()

    def add(self, bus: int, kw: float) -> None:
        """``kw`` [kW AC] more new PV at ``bus`` (negative: taken away)."""
        d = kw * self._per_kw[bus]
        self.placed[bus] += kw
        self.vm += self._rise[bus] * d
        self.p_line -= self._down[bus] * d
        self.p_trafo -= d

    def plan_rows(self, network: str, positions: np.ndarray, buses: np.ndarray, kw: np.ndarray) -> list[PlanRow]:
        """:func:`plan_rows` of this network: ``kw`` [kW AC] at ``buses`` (sites at ``positions``)."""
        d = kw * self._per_kw[buses]
        screen = self.screen
        limits = screen.limits
        rise = self._rise[buses].T * d  # (buses, sites) [pu]
        v_room = limits.voltage_max_pu - self.vm
        # a cable's export within its ampacity at the cached reactive flow: |p| <= p_max
        p_max = np.sqrt(np.maximum((limits.line_loading_max_percent / self._percent_per_mva) ** 2 - self._q_line**2, 0))
        flow = self._down[buses].T * d  # (cables, sites) [MW]
        p_room = self.p_line + p_max
        out = []
        for coef, room in ((rise, v_room), (flow, p_room)):
            total = coef.sum(axis=1)
            can_bind = np.flatnonzero(total > room)
            worst = can_bind[np.argsort(-(total[can_bind] / np.maximum(room[can_bind], 1e-12)), kind="stable")]
            out += [PlanRow(network, positions, coef[i], float(room[i])) for i in worst[:PLAN_ROWS_PER_NETWORK]]
        return out

    def fits(self, bus: int, kw: float, rating_kva: float) -> bool:
        """Whether ``kw`` more at ``bus`` keeps every limit, the transformer at ``rating_kva`` (as
        :meth:`Screen.fits` with the placed PV)."""
        d = kw * self._per_kw[bus]
        screen = self.screen
        vm = float((self.vm + self._rise[bus] * d).max())
        line = float(
            (np.hypot(self.p_line - self._down[bus] * d, self._q_line) * self._percent_per_mva).max(initial=0.0)
        )
        trafo = 100.0 * math.hypot(self.p_trafo - d, screen.sol.trafo_q_mvar) / (rating_kva / 1000.0)
        return min(screen.limits.margins(vm, line, trafo).values()) >= -1e-9


#: How many of a network's buses (and, apart, cables) a plan holds to (:func:`plan_rows`): those nearest their limit
#: with every site under the network built. One: on the demo under power flow the optimal plan then solves at its
#: root node (gap 0.95 %) and the run avoids 781 kt of CO2 (747 kt without network rows, the heuristic
#: max_carbon_per_cny 793 kt); three stopped at the node limit (gap 2.5 %, 761 kt) after 3x the time.
PLAN_ROWS_PER_NETWORK = 1


@dataclass(frozen=True)
class PlanRow:
    """A linear limit of one network for a plan: ``sum coef[k] x kw_built[sites[k]] <= upper`` (positions in the
    plan's site table)."""

    network: str
    sites: np.ndarray
    coef: np.ndarray
    upper: float


def plan_rows(screens: Screens, site_ids: pd.Index, transformer_ids: np.ndarray, kw: np.ndarray) -> list[PlanRow]:
    """The rollout's screens as linear limits for a plan (:mod:`sim.planning`): for each network, the sites that
    reserve on it (those of its transformer at their buses; on a substation's feeders also the sites of each
    distribution transformer on them, at its bus) and, for the :data:`PLAN_ROWS_PER_NETWORK` buses whose voltage
    rise with all of them built is largest against their margin, the rise each site's ``kw`` [kW AC] adds there
    (the screen's linearisation, :class:`Loaded`) within the margin to ``voltage_max_pu``; the same for the cables
    (the export each adds through the cable within what its ampacity leaves at the cached reactive flow). Only
    limits that all the sites together would break (the others cannot bind). The transformers' ratings are the
    plan's hosting rows."""
    on: dict[str, tuple[list[int], list[int]]] = {}
    for pos, (sid, tid) in enumerate(zip(site_ids.astype(str), np.asarray(transformer_ids, str), strict=True)):
        if tid in screens.by_transformer and sid in screens.bus_of_site:
            on.setdefault(tid, ([], []))[0].append(pos)
            on[tid][1].append(screens.bus_of_site[sid])
        if tid in screens.feeder_bus:
            mv_id, bus = screens.feeder_bus[tid]
            on.setdefault(mv_id, ([], []))[0].append(pos)
            on[mv_id][1].append(bus)
    out = []
    for network, (positions, buses) in on.items():
        loaded = Loaded(screens.by_transformer[network])
        at = np.asarray(positions, dtype=np.int64)
        out += loaded.plan_rows(network, at, np.asarray(buses, dtype=np.int64), np.asarray(kw, float)[at])
    return out


@dataclass(frozen=True)
class HostingResult:
    """A transformer's hosting limit [kW AC of new PV], its cause, the power flow at the limit and the screen
    linearised there."""

    limit_kw: float
    cause: str
    worst_vm_pu: float
    worst_line_loading_percent: float
    screen: Screen


def _linear_scale(screen: Screen, weights: np.ndarray) -> float:
    """The scale of ``weights`` [kW AC per bus] at which the linearised screen meets its first limit."""
    lo, hi = 0.0, 1.0
    while screen.fits(weights * hi, 0, 0.0) and hi < 1e7:
        lo, hi = hi, hi * 2.0
    for _ in range(40):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if screen.fits(weights * mid, 0, 0.0) else (lo, mid)
    return lo


def _next_scale(screen: Screen, scale: float, weights: np.ndarray, margin: float, cause: str) -> float:
    """A Newton step on the binding margin, its slope from the linearised screen, aiming at half the tolerance
    inside the limit (a margin that does not fall with more PV: shrink by it)."""
    step = 0.01 * max(scale, 1.0)
    after = screen.limits.margins(*screen.state((scale + step) * weights))[cause]
    slope = (after - margin) / step
    if slope >= 0:
        return max(scale * (1.0 + margin), 0.0)
    return max(scale + (margin - TOLERANCE / 2.0) / -slope, 0.0)


def _refine(county: County, live: np.ndarray, weights, scale: np.ndarray, sols: list, limits: Limits, max_flows: int):
    """Power flows of the county's ``live`` networks at ``scale``, and Newton steps until
    each binding margin is within [0, :data:`TOLERANCE`] (at most ``max_flows - 1`` flows); ``scale`` and ``sols``
    are updated in place."""
    for flow in range(max_flows - 1):
        active = np.zeros(len(county.nets), bool)
        active[live] = True
        new = solve_many(county, [scale[k] * weights[k] for k in range(len(county.nets))], active)
        moved = False
        for k in live:
            sol = sols[k] = new[k]
            m = margins(sol, limits)
            cause = min(m, key=m.__getitem__)
            if 0.0 <= m[cause] <= TOLERANCE or flow == max_flows - 2:
                continue
            if not np.isfinite(m[cause]):  # the flow collapsed: half the PV
                scale[k] *= 0.5
            else:
                net = county.nets[k]
                scale[k] = _next_scale(
                    Screen(net, scale[k] * weights[k], sol, limits), float(scale[k]), weights[k], m[cause], cause
                )
            moved = True
        if not moved:
            return
    # still above a limit after the last step (rare): a step aimed at the tolerance's full width inside, solved
    over = [k for k in live if min(margins(sols[k], limits).values()) < 0]
    for k in over:
        m = margins(sols[k], limits)
        cause = min(m, key=m.__getitem__)
        scale[k] *= 1.0 + m[cause] - TOLERANCE if np.isfinite(m[cause]) else 0.5
    if over:
        active = np.zeros(len(county.nets), bool)
        active[over] = True
        new = solve_many(county, [scale[k] * weights[k] for k in range(len(county.nets))], active)
        for k in over:
            sols[k] = new[k]


def hosting_limits(
    nets: list[Network], weights: list[np.ndarray], limits: Limits, *, max_flows: int = 6
) -> list[HostingResult]:
    """Per network k, the largest new PV ``s x weights[k]`` [kW AC per bus; each ``weights[k]`` sums to 1] within
    ``limits`` at the worst hour, by AC power flow: from the linear estimate around the no-new-PV flow, Newton
    steps on the binding margin until it is within [0, :data:`TOLERANCE`] (at most ``max_flows`` flows, all
    networks solved together, :func:`solve_many`). A network whose load alone breaks a limit hosts 0."""
    if not nets:
        return []
    county = to_county(nets)
    zeros = [np.zeros(len(n.parent)) for n in nets]
    base = solve_many(county, zeros)  # networks are independent: one that collapses leaves the others
    blocked = np.array([min(margins(b, limits).values()) < 0 for b in base])
    scale = np.zeros(len(nets))
    sols = list(base)
    live = np.flatnonzero(~blocked)
    if len(live):
        for k in live:
            scale[k] = _linear_scale(Screen(nets[k], zeros[k], base[k], limits), weights[k])
        _refine(county, live, weights, scale, sols, limits, max_flows)
    out = []
    for n, w, s, sol in zip(nets, weights, scale, sols, strict=True):
        m = margins(sol, limits)
        collapsed_flow = not np.isfinite(sol.worst_vm_pu)  # reported as NaN: no flow to report
        out.append(
            HostingResult(
                float(s),
                min(m, key=m.__getitem__),
                np.nan if collapsed_flow else sol.worst_vm_pu,
                np.nan if collapsed_flow else sol.worst_line_loading_percent,
                Screen(n, s * w, sol, limits),
            )
        )
    return out


@dataclass(frozen=True)
class Screens:
    """What the rollout screens applications with: each network's :class:`Screen` by the id of its transformer (an
    ``lv`` transformer's LV network, a substation's ``mv`` entry's 10 kV feeders), each site's bus on its
    transformer's network (by site id), and each ``lv`` transformer's place on its substation's feeders (by its id:
    the ``mv`` entry's id and the bus)."""

    by_transformer: dict[str, Screen]
    bus_of_site: dict[str, int]
    feeder_bus: dict[str, tuple[str, int]] = field(default_factory=dict)


def worst_hour(pv_kw: np.ndarray, load_kw: np.ndarray) -> int:
    """The hour of largest net export, ``argmax(pv_kw - load_kw)`` (hourly arrays [kW], the shorter one's length;
    the first such hour)."""
    n = min(len(pv_kw), len(load_kw))
    return int(np.argmax(np.asarray(pv_kw[:n], float) - np.asarray(load_kw[:n], float)))


@dataclass(frozen=True)
class Hourly:
    """The hourly PV and load of every transformer that decide its networks' worst hour (:func:`hourly`)."""

    row: np.ndarray  # each site's transformer (position in the table; -1: none)
    eligible: np.ndarray  # each site: eligible and on a transformer
    kwp: np.ndarray
    arch: np.ndarray
    mix: np.ndarray  # (hours, transformers) output of its eligible PV per kW AC (the county's where it has none)
    existing: np.ndarray  # (transformers,) existing PV [kW AC]
    export_kw: np.ndarray  # (hours, transformers) eligible PV at full build + existing, less the load
    load_kw: np.ndarray  # (hours, transformers) the curtailment engine's load
    busbar_kwh: np.ndarray  # (transformers, shapes) the load of customers not in the sites layer
    site_load: np.ndarray  # each site's yearly load [kWh]
    site_shape: np.ndarray  # each site's load shape


def hourly(
    sites: pd.DataFrame, transformers: pd.DataFrame, profile: np.ndarray, shapes: np.ndarray, dc_ac_ratio: float
) -> Hourly:
    """:class:`Hourly` of the transformers: the yield profiles the curtailment engine uses (:mod:`sim.accounting`)
    and the load it nets the export with (:mod:`sim.load`)."""
    from sim import load as loadmod

    ids = transformers.index.astype(str)
    position = {t: k for k, t in enumerate(ids)}
    row = np.array([position.get(t, -1) for t in sites["transformer_id"].astype(str)], dtype=np.int64)
    eligible = sites["eligible"].to_numpy(bool) & (row >= 0)
    kwp = sites["capacity_kwp"].to_numpy(float)
    arch = sites["archetype"].to_numpy(int)
    n_hours = min(profile.shape[0], shapes.shape[1])
    kwp_by_arch = np.zeros((profile.shape[1], len(ids)))
    np.add.at(kwp_by_arch, (arch[eligible], row[eligible]), kwp[eligible])
    pv_kw = profile[:n_hours] @ kwp_by_arch
    ac_kw = kwp_by_arch.sum(axis=0) / dc_ac_ratio
    county_mix = pv_kw.sum(axis=1) / max(ac_kw.sum(), 1e-12)
    mix = np.where(ac_kw > 0, pv_kw / np.maximum(ac_kw, 1e-12), county_mix[:, None])
    load_by_shape = loadmod.transformer_load_by_shape(sites, transformers)  # (transformers, shapes)
    busbar_kwh = load_by_shape - loadmod.transformer_load_by_shape(
        sites, transformers.drop(columns="customers", errors="ignore")
    )
    existing = transformers["existing_pv_kw"].to_numpy(float)
    load_kw = (load_by_shape @ shapes[:, :n_hours]).T
    return Hourly(
        row=row,
        eligible=eligible,
        kwp=kwp,
        arch=arch,
        mix=mix,
        existing=existing,
        export_kw=pv_kw + existing * mix - load_kw,
        load_kw=load_kw,
        busbar_kwh=busbar_kwh,
        site_load=loadmod.annual_load_kwh(sites).to_numpy(float),
        site_shape=loadmod.shape_index(sites["site_type"].to_numpy()),
    )


@dataclass
class Built:
    """Networks built for :func:`hosting_limits`: each with its transformer id, the new PV's spread and whether it
    came from a layer, and each site's bus (by site id)."""

    nets: list[Network] = field(default_factory=list)
    weights: list[np.ndarray] = field(default_factory=list)
    rows: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    buses: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Place:
    """Where and when the networks of :func:`county_hosting` are built: the sites and the transformers (the hosting
    table), their positions [m] in one projected CRS, the yield profiles (hours, archetypes), the load shapes, their
    :class:`Hourly` PV and load, and the DC/AC ratio."""

    sites: pd.DataFrame
    transformers: pd.DataFrame
    sites_xy_m: np.ndarray
    transformers_xy_m: np.ndarray
    profile: np.ndarray
    shapes: np.ndarray
    h: Hourly
    dc_ac_ratio: float


def county_hosting(
    sites: pd.DataFrame,
    transformers: pd.DataFrame,
    sites_xy_m: np.ndarray,
    transformers_xy_m: np.ndarray,
    profile: np.ndarray,
    shapes: np.ndarray,
    *,
    dc_ac_ratio: float,
    limits: Limits,
    mv_limits: Limits | None = None,
    lines: dict[str, tuple[list[np.ndarray], pd.DataFrame]] | None = None,
    feeders: Feeders | None = None,
) -> tuple[pd.DataFrame, Screens]:
    """Hosting limits of the transformers by power flow (the module's method).

    ``sites``: every site of the layer (``transformer_id, connection_level, eligible, capacity_kwp, archetype,
    site_type`` and what :func:`sim.load.annual_load_kwh` reads), positions ``sites_xy_m`` (sites, 2) [m] in a
    projected CRS; ``transformers``: the hosting table (:func:`sim.grid.hosting_table`, indexed by
    ``transformer_id``), positions ``transformers_xy_m`` in the same CRS; ``profile``: hourly AC output per kWp of
    each archetype (hours, archetypes); ``shapes``: the year's load shapes (:func:`sim.load.hourly_shapes`).

    ``lines``: per ``lv`` transformer id with a line layer, its polylines [m, same CRS] and a cable row per polyline
    (:func:`line_network`); the others get :func:`synthetic_network`. ``feeders``: the 10 kV feeder layer
    (:class:`Feeders`), else each substation's feeders are synthetic (:func:`feeder_networks`). ``limits`` hold the
    LV networks, ``mv_limits`` (default ``limits``) the 10 kV ones.

    Returns a copy of ``transformers`` whose ``lv`` and ``mv`` rows carry the power-flow ``hosting_limit_kw``,
    ``hosting_limit_cause``, ``worst_bus_voltage_pu``, ``worst_line_loading_percent`` and ``network`` (``lines``,
    ``feeders`` or ``synthetic``), each ``lv`` row the ``mv`` entry whose feeders it hangs on (``feeders_of``), and
    the :class:`Screens`.
    """
    out = transformers.copy()
    h = hourly(sites, out, profile, shapes, dc_ac_ratio)
    place = Place(sites, out, sites_xy_m, transformers_xy_m, profile, shapes, h, dc_ac_ratio)
    lv = lv_networks(place, lines)
    mv, feeder_bus = feeder_networks(place, feeders)
    out["network"] = out.get("network", pd.Series("", index=out.index)).fillna("").astype(str)
    screens: dict[str, Screen] = {}
    for built, lim in ((lv, limits), (mv, mv_limits or limits)):
        out.loc[built.rows, "network"] = built.kinds
        results = hosting_limits(built.nets, built.weights, lim)
        out = _with_results(out, built.rows, results)
        screens.update({t: r.screen for t, r in zip(built.rows, results, strict=True)})
    out["feeders_of"] = pd.Series({t: mv_id for t, (mv_id, _) in feeder_bus.items()}).reindex(out.index).fillna("")
    return out, Screens(screens, {**lv.buses, **mv.buses}, feeder_bus)


def lv_networks(place: Place, lines: dict[str, tuple[list[np.ndarray], pd.DataFrame]] | None) -> Built:
    """Each ``lv`` transformer's LV network at its worst hour (:func:`county_hosting`)."""
    sites, out, h, profile, shapes = place.sites, place.transformers, place.h, place.profile, place.shapes
    sites_xy_m, transformers_xy_m, dc_ac_ratio = place.sites_xy_m, place.transformers_xy_m, place.dc_ac_ratio
    built = Built()
    ids = out.index.astype(str)
    lv = h.eligible & sites["connection_level"].astype(str).eq("lv").to_numpy()
    for k in np.flatnonzero(out["connection_level"].astype(str).eq("lv").to_numpy()).tolist():
        t = ids[k]
        on = np.flatnonzero(h.row == k)
        el = lv[on]
        hour = worst_hour(h.export_kw[:, k], np.zeros(len(h.export_kw)))
        at_hour = {
            "rating_kva": float(out["rating_kva"].iloc[k]),
            "load_kw": h.site_load[on] * shapes[h.site_shape[on], hour],
            "busbar_load_kw": float(h.busbar_kwh[k] @ shapes[:, hour]),
            "existing_kw": float(h.existing[k] * h.mix[hour, k]),
            "output_per_kw_ac": np.where(el, profile[hour, h.arch[on]] * dc_ac_ratio, 0.0),
        }
        if lines is not None and t in lines:
            net = line_network(tuple(transformers_xy_m[k]), sites_xy_m[on], *lines[t], **at_hour)
        else:
            net = synthetic_network(tuple(transformers_xy_m[k]), sites_xy_m[on], **at_hour)
        site_bus, w = _spread(net, len(on), np.where(el, h.kwp[on] / dc_ac_ratio, 0.0), float(h.mix[hour, k]))
        built.nets.append(net)
        built.weights.append(w)
        built.rows.append(t)
        built.kinds.append("lines" if lines is not None and t in lines else "synthetic")
        built.buses.update({str(s): int(b) for s, b in zip(sites.index[on].astype(str), site_bus, strict=True)})
    return built


@dataclass(frozen=True)
class Feeders:
    """A 10 kV feeder layer by substation: each substation's polylines [m] in the local projected CRS, a conductor
    row per polyline (:func:`sim.inputs.mv_conductor_table`) and the feeder id of each polyline
    (:func:`sim.grid.feeders_by_substation`)."""

    by_substation: dict[str, tuple[list[np.ndarray], pd.DataFrame, np.ndarray]]


def substation_of(transformers: pd.DataFrame, feeders: Feeders | None) -> pd.Series:
    """Each transformer's substation: its ``substation`` where given, else that of the feeder layer's line of its
    ``feeder_id`` ("" where neither says)."""
    given = transformers.get("substation", pd.Series("", index=transformers.index)).fillna("").astype(str)
    if feeders is None or "feeder_id" not in transformers.columns:
        return given
    owner = {str(f): s for s, (_, _, ids) in feeders.by_substation.items() for f in ids}
    by_feeder = transformers["feeder_id"].fillna("").astype(str).map(owner).fillna("")
    return given.where(given != "", by_feeder)


def feeder_networks(place: Place, feeders: Feeders | None) -> tuple[Built, dict[str, tuple[str, int]]]:
    """Each ``mv`` entry's 10 kV network at its worst hour (the hour of largest net export of the whole network):
    the substation's feeders from the feeder layer (:func:`line_network` at :data:`MV`, the lines joined at the
    substation by :func:`with_bays`), else a minimum spanning tree (:func:`synthetic_network` at :data:`MV`) over
    the substation's point, its ``lv`` transformers (those of its ``substation``, :func:`substation_of`) and its
    medium-voltage sites. Each ``lv`` transformer is a bus carrying its load less its existing PV at their hourly
    output, its new PV at its eligible sites' output per kW AC; each medium-voltage site a bus; the substation's
    own existing PV and its other customers at the busbar. The first ``mv`` entry of a substation takes its
    feeders and transformers. Returns the networks and each ``lv`` transformer's (``mv`` entry, bus)."""
    sites, out, h, profile, shapes = place.sites, place.transformers, place.h, place.profile, place.shapes
    sites_xy_m, transformers_xy_m, dc_ac_ratio = place.sites_xy_m, place.transformers_xy_m, place.dc_ac_ratio
    built, feeder_bus = Built(), {}
    ids = out.index.astype(str)
    level = out["connection_level"].astype(str).to_numpy()
    substation = substation_of(out, feeders).to_numpy()
    taken: set[str] = set()
    for k in np.flatnonzero(level == "mv").tolist():
        t, sub = ids[k], str(substation[k])
        lv_on = np.flatnonzero((level == "lv") & (substation == sub)) if sub and sub not in taken else np.zeros(0, int)
        taken.add(sub)
        on = np.flatnonzero(h.row == k)
        export = h.export_kw[:, k] + h.export_kw[:, lv_on].sum(axis=1)
        hour = worst_hour(export, np.zeros(len(export)))
        el = h.eligible[on]
        nodes_xy = np.vstack([transformers_xy_m[lv_on].reshape(-1, 2), sites_xy_m[on].reshape(-1, 2)])
        at_hour = {
            "rating_kva": float(out["rating_kva"].iloc[k]),
            "load_kw": np.r_[
                h.load_kw[hour, lv_on] - h.existing[lv_on] * h.mix[hour, lv_on],
                h.site_load[on] * shapes[h.site_shape[on], hour],
            ],
            "busbar_load_kw": float(h.busbar_kwh[k] @ shapes[:, hour]),
            "existing_kw": float(h.existing[k] * h.mix[hour, k]),
            "output_per_kw_ac": np.r_[h.mix[hour, lv_on], np.where(el, profile[hour, h.arch[on]] * dc_ac_ratio, 0.0)],
            "level": MV,
        }
        layer = feeders.by_substation.get(sub) if feeders is not None and sub else None
        node_feeder = np.r_[
            out["feeder_id"].fillna("").astype(str).to_numpy()[lv_on] if "feeder_id" in out else [""] * len(lv_on),
            sites["feeder_id"].fillna("").astype(str).to_numpy()[on] if "feeder_id" in sites else [""] * len(on),
        ]
        if layer is not None:
            coords, conductors, feeder_ids = layer
            joined = with_bays(tuple(transformers_xy_m[k]), coords)
            bays = len(joined) - len(coords)
            default = pd.DataFrame([dict(zip(("r_ohm_per_km", "x_ohm_per_km", "c_nf_per_km", "max_i_ka"), MV.cable))])
            rows = pd.concat([conductors, *([default] * bays)], ignore_index=True)
            groups = (np.r_[np.asarray(feeder_ids, dtype=object), [""] * bays], node_feeder)
            net = line_network(tuple(transformers_xy_m[k]), nodes_xy, joined, rows, groups=groups, **at_hour)
        else:  # the ledger's feeder_id, where given, keeps each feeder's transformers on their own branches; the
            # medium-voltage sites tap the tree of the substation and its distribution transformers
            taps = np.r_[np.zeros(len(lv_on), bool), np.ones(len(on), bool)]
            net = synthetic_network(tuple(transformers_xy_m[k]), nodes_xy, groups=node_feeder, taps=taps, **at_hour)
        n_lv = len(lv_on)
        kw_ac = np.r_[np.zeros(n_lv), np.where(el, h.kwp[on] / dc_ac_ratio, 0.0)]
        node_bus, w = _spread(net, len(nodes_xy), kw_ac, float(h.mix[hour, k]))
        built.nets.append(net)
        built.weights.append(w)
        built.rows.append(t)
        built.kinds.append("feeders" if layer is not None else "synthetic")
        built.buses.update({str(s): int(b) for s, b in zip(sites.index[on].astype(str), node_bus[n_lv:], strict=True)})
        feeder_bus.update({str(ids[j]): (t, int(b)) for j, b in zip(lv_on.tolist(), node_bus[:n_lv], strict=True)})
    return built, feeder_bus


def _spread(net: Network, n_sites: int, kw_ac: np.ndarray, busbar_mix: float) -> tuple[np.ndarray, np.ndarray]:
    """Each site's bus, and the new PV's spread over the buses (the sites' AC capacity, summing to 1; without a
    site to build, all at the busbar, whose output per kW AC becomes ``busbar_mix``; ``net`` is modified)."""
    site_bus = np.arange(1, n_sites + 1) if net.site_bus is None else np.asarray(net.site_bus)
    w = np.zeros(len(net.parent))
    w[site_bus] = kw_ac
    if w.sum() <= 0:
        net.output_per_kw_ac[0], w[0] = busbar_mix, 1.0
    return site_bus, w / w.sum()


def _with_results(out: pd.DataFrame, rows: list[str], results: list[HostingResult]) -> pd.DataFrame:
    """``out`` (modified) with the power-flow limit, cause and flow at the limit on the rows ``rows``."""
    for column in ("hosting_limit_cause", "worst_bus_voltage_pu", "worst_line_loading_percent"):
        if column not in out.columns:
            out[column] = "rule" if column == "hosting_limit_cause" else np.nan
    for t, r in zip(rows, results, strict=True):
        out.loc[t, ["hosting_limit_kw", "worst_bus_voltage_pu", "worst_line_loading_percent"]] = [
            r.limit_kw,
            r.worst_vm_pu,
            r.worst_line_loading_percent,
        ]
        out.loc[t, "hosting_limit_cause"] = r.cause
    return out
