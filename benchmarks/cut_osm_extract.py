"""Cut a small test extract from a real OpenStreetMap file (how tests/data/osm/fi_kouvola.osm.pbf and
br_sao_paulo.osm.pbf were made): every closed way whose nodes all lie in the box, with its nodes, and the
multipolygon relations all of whose members are kept; the header states the box.

    python benchmarks/cut_osm_extract.py SOURCE.osm.pbf OUT.osm.pbf WEST SOUTH EAST NORTH
"""

from __future__ import annotations

import sys

import osmium


def cut(src: str, dst: str, west: float, south: float, east: float, north: float) -> tuple[int, int, int]:
    """Write the cut to ``dst``; returns the numbers of nodes, ways and relations kept."""
    ways: set[int] = set()
    nodes: set[int] = set()
    for o in osmium.FileProcessor(src).with_locations():
        if not o.is_way() or len(o.nodes) < 4 or o.nodes[0].ref != o.nodes[-1].ref:
            continue  # closed ways only (outlines); streets are left out
        try:
            if all(west <= nd.location.lon <= east and south <= nd.location.lat <= north for nd in o.nodes):
                ways.add(o.id)
                nodes.update(nd.ref for nd in o.nodes)
        except osmium.InvalidLocationError:
            continue
    rels = {o.id for o in osmium.FileProcessor(src, osmium.osm.RELATION)
            if o.tags.get("type") == "multipolygon" and all(m.type == "w" and m.ref in ways for m in o.members)}
    header = osmium.io.Header()
    header.add_box(osmium.osm.Box(osmium.osm.Location(west, south), osmium.osm.Location(east, north)))
    header.set("generator", "pvsim benchmarks/cut_osm_extract.py (pyosmium)")
    writer = osmium.SimpleWriter(dst, header=header)
    for o in osmium.FileProcessor(src):
        if (o.is_node() and o.id in nodes) or (o.is_way() and o.id in ways) or (o.is_relation() and o.id in rels):
            writer.add(o)
    writer.close()
    return len(nodes), len(ways), len(rels)


if __name__ == "__main__":
    print(cut(sys.argv[1], sys.argv[2], *map(float, sys.argv[3:7])))
