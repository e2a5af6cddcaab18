#!/usr/bin/env python3
"""Draws the module graph of runtime/src as an SVG: one row per layer, bottom first.

Usage: module-graph.py [--check] [SOURCE_DIR] [OUT.svg]

SOURCE_DIR defaults to runtime/src and OUT.svg to docs/architecture-layers.svg,
both relative to the repository root. The graph is read with the rules of
runtime/tests/layering.rs, and the layers are its LAYERS constant, so the
picture and the test cannot disagree: a module is the first path component
under SOURCE_DIR, a use is a `crate::NAME` in code (not in a `//` comment, not
after `$` or an identifier character), counted once per line.

With --check nothing is written: the script exits 1 if OUT.svg differs from
what it would write (so a test or CI can tell the picture is stale).
"""
import argparse
import math
import re
import sys
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAYERING_TEST = ROOT / "runtime" / "tests" / "layering.rs"
TITLE = "agentwire runtime: modules and the uses between them, bottom layer first"

WIDTH, ROW_HEIGHT, BOX_HEIGHT, TOP = 1000, 80, 40, 60
# One colour per layer, bottom first (red is kept for violations): the boxes are
# tinted with it, and the arrows of the layer's modules drawn in it.
LAYER_COLORS = ["#0284c7", "#16a34a", "#92400e", "#ea580c", "#9333ea", "#0d9488",
                "#2563eb", "#4d7c0f", "#0891b2", "#be185d", "#ca8a04", "#334155"]
EDGE_COLOR, VIOLATION_COLOR = "#64748b", "#dc2626"


# --- reading -----------------------------------------------------------------


def read_layers(test_file):
    """The LAYERS constant of layering.rs, bottom first: (names, the comment above them)."""
    match = re.search(r"const\s+LAYERS\s*:[^=]*=\s*&\[(.*?)\];", test_file.read_text(), re.S)
    if not match:
        sys.exit(f"module-graph: no `const LAYERS: &[&[&str]] = &[...];` in {test_file}")
    layers, comment = [], []
    for line in match.group(1).splitlines():
        code = code_of(line).strip()
        if not code:
            comment.append(line.strip().lstrip("/").strip())
            continue
        for group in re.findall(r"&\[([^\[\]]*)\]", code):
            layers.append((re.findall(r'"([^"]*)"', group), " ".join(c for c in comment if c)))
        comment = []
    if not layers or not all(names for names, _ in layers):
        sys.exit(f"module-graph: cannot read the layers of LAYERS in {test_file}")
    return layers


def lines_of(text):
    """The lines of a file as Rust's `str::lines` gives them."""
    lines = text.split("\n")
    if lines[-1] == "":
        lines.pop()
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def rust_files(directory):
    """Every `.rs` file under `directory`, in the order layering.rs walks them."""
    for path in sorted(directory.iterdir()):
        if path.is_dir():
            yield from rust_files(path)
        elif path.suffix == ".rs":
            yield path


def module_of(file, source):
    """The top-level module a file belongs to: `agent/context.rs` -> `agent`."""
    first = file.relative_to(source).parts[0]
    return first[: -len(".rs")] if first.endswith(".rs") else first


def code_of(line):
    """The code of a line, without its `//` comment (quotes tracked as layering.rs does)."""
    in_string = False
    for i, c in enumerate(line):
        if c == '"' and (i == 0 or line[i - 1] != "\\"):
            in_string = not in_string
        elif c == "/" and not in_string and line[i + 1 : i + 2] == "/":
            return line[:i]
    return line


def is_ident_char(c):
    return c == "_" or c.isalnum()


def ident_at(text):
    end = 0
    while end < len(text) and is_ident_char(text[end]):
        end += 1
    return text[:end]


def group_heads(group):
    """The first path segment of each item of a `{...}` group, at depth one."""
    heads, depth = [ident_at(group.lstrip())], 1
    for i, c in enumerate(group):
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
            if depth == 0:
                break
        elif c == "," and depth == 1:
            heads.append(ident_at(group[i + 1 :].lstrip()))
    return heads


def crate_paths(code):
    """The names code reaches through `crate::` (`a` in `crate::a::b`), with
    the offset of each `crate::`; a group may span lines."""
    found, start = [], 0
    while (at := code.find("crate::", start)) >= 0:
        start = at + len("crate::")
        if at and (code[at - 1] == "$" or is_ident_char(code[at - 1])):
            continue
        rest = code[start:]
        names = group_heads(rest[1:]) if rest.startswith("{") else [ident_at(rest)]
        found.extend((at, name) for name in names)
    return [(at, name) for at, name in found if name and name != "self"]


def read_graph(source):
    """Per module its file and line counts, and per (user, used) the lines that use it."""
    modules, uses = {}, {}
    for file in rust_files(source):
        user = module_of(file, source)
        lines = lines_of(file.read_text(encoding="utf-8"))
        files, count = modules.get(user, (0, 0))
        modules[user] = (files + 1, count + len(lines))
        code = "\n".join(code_of(line) for line in lines)
        seen = set()
        for at, used in crate_paths(code):
            line = code.count("\n", 0, at)
            if used != user and (used, line) not in seen:
                seen.add((used, line))
                uses[(user, used)] = uses.get((user, used), 0) + 1
    # Only paths into top-level modules are uses (`crate::__agent_span` is a macro).
    return modules, {pair: n for pair, n in sorted(uses.items()) if pair[1] in modules}


# --- layout ------------------------------------------------------------------

AREA_LEFT, AREA_RIGHT = 240, WIDTH - 20  # the boxes; the layer notes are left of them
PAD, SLOT = 12, 6  # room kept around a box, distance between edges passing it


class Box:
    def __init__(self, name, layer, cx, cy, width):
        self.name, self.layer, self.cx, self.cy, self.width = name, layer, cx, cy, width
        self.left, self.right = cx - width / 2, cx + width / 2
        self.top, self.bottom = cy - BOX_HEIGHT / 2, cy + BOX_HEIGHT / 2


def row_y(layer, count):
    """The middle of a layer's row: the bottom layer is the lowest row."""
    return TOP + (count - 1 - layer) * ROW_HEIGHT + ROW_HEIGHT / 2


def place_boxes(layers, modules):
    """A box per module, a layer's modules in LAYERS order, centred, the middle gap wider.

    The single modules of most layers stand in the middle, so edges going straight
    down pass through the middle gap of a layer with an even number of modules.
    """
    layer_of = {name: i for i, (names, _) in enumerate(layers) for name in names}
    missing = sorted(set(modules) - set(layer_of))
    if missing:
        sys.exit(
            f"module-graph: these modules of runtime/src have no layer: {', '.join(missing)}; "
            f"add each to LAYERS in {LAYERING_TEST.relative_to(ROOT)}"
        )
    boxes, area = {}, AREA_RIGHT - AREA_LEFT - 20
    for i, (names, _) in enumerate(layers):
        present = [name for name in names if name in modules]
        n = len(present)
        gaps = [3 if n % 2 == 0 and k == n // 2 - 1 else 1 for k in range(n - 1)]
        width = min(170, (area - 34 * sum(gaps)) / max(n, 1))
        gap = min(60, (area - n * width) / max(sum(gaps), 1))
        x = (AREA_LEFT + AREA_RIGHT) / 2 - (n * width + gap * sum(gaps)) / 2
        for k, name in enumerate(present):
            boxes[name] = Box(name, i, x + width / 2, row_y(i, len(layers)), width)
            x += width + (gap * gaps[k] if k < n - 1 else 0)
    return boxes


def route(edges, boxes, layer_count):
    """Where each edge passes the rows between its ends: beside their boxes, never through them.

    Edges pushed aside by a box run in lanes along its side (the nearest free lane,
    shortest runs first, so arcs nest); the others are spread apart in their gap.
    Each passage is two points, level with the top and bottom of the row's boxes.
    """
    rows = {}
    for box in boxes.values():
        rows.setdefault(box.layer, []).append(box)
    for row in rows.values():
        row.sort(key=lambda b: b.cx)
    balance = 0  # edges sent right minus left, to split the straight-down ones evenly
    passages = {}  # edge -> [(layer, box pushing it aside or None, side or x)]
    for edge in sorted(edges, key=lambda e: (abs(boxes[e[0]].layer - boxes[e[1]].layer), e)):
        user, used = boxes[edge[0]], boxes[edge[1]]
        step = -1 if user.layer > used.layer else 1
        crossed = []  # (layer, the straight line's x there, the box it would cross)
        for layer in range(user.layer + step, used.layer, step):
            t = (row_y(layer, layer_count) - user.cy) / (used.cy - user.cy)
            x = user.cx + t * (used.cx - user.cx)
            hit = next((b for b in rows.get(layer, []) if b.left - PAD < x < b.right + PAD), None)
            crossed.append((layer, x, hit))
        # One side for the whole edge: where its straight line mostly passes the boxes.
        lean = sum(x - hit.cx for _, x, hit in crossed if hit)
        side = (1 if lean > 0 else -1) if abs(lean) > 1 else (-1 if balance > 0 else 1)
        passages[edge] = [(layer, hit, side if hit else x) for layer, x, hit in crossed]
        balance += side * sum(1 for _, _, hit in crossed if hit)
    xs = {}  # (edge, layer) -> x
    runs, free = {}, {}
    for edge, points in passages.items():
        for layer, hit, side_or_x in points:
            if hit is None:
                gap = sum(1 for b in rows.get(layer, []) if b.cx < side_or_x)
                free.setdefault((layer, gap), []).append((side_or_x, edge))
                continue
            track = (side_or_x, hit.right if side_or_x > 0 else hit.left)
            group = runs.setdefault(track, [])
            if group and group[-1][1] == edge and group[-1][3] == layer - 1:
                group[-1] = (group[-1][0] + 1, edge, group[-1][2], layer)
            else:
                group.append((1, edge, layer, layer))
    for track, group in sorted(runs.items()):
        taken = []  # (first layer, last layer, lane)
        for _, edge, first, last in sorted(group):
            busy = {lane for lo, hi, lane in taken if lo <= last and first <= hi}
            lane = next(k for k in range(len(taken) + 1) if k not in busy)
            taken.append((first, last, lane))
            for layer in range(first, last + 1):
                xs[(edge, layer)] = track[1] + track[0] * (PAD + lane * SLOT)
    for (layer, gap), group in sorted(free.items()):
        row = rows.get(layer, [])
        low = row[gap - 1].right + PAD if gap > 0 else AREA_LEFT - 20
        high = row[gap].left - PAD if gap < len(row) else WIDTH - 4
        group.sort(key=lambda g: (g[0], boxes[g[1][0]].cx, boxes[g[1][1]].cx, g[1]))
        spread = [group[0][0]]
        for ideal, _ in group[1:]:
            spread.append(max(ideal, spread[-1] + SLOT))
        if spread[-1] - spread[0] > high - low:  # too many for the gap: closer together
            spread = [low + (x - spread[0]) * (high - low) / (spread[-1] - spread[0]) for x in spread]
        shift = sum(ideal for ideal, _ in group) / len(group) - sum(spread) / len(spread)
        shift = min(max(shift, low - spread[0]), high - spread[-1])
        for x, (_, edge) in zip(spread, group):
            xs[(edge, layer)] = x + shift
    result = {}
    for edge, points in passages.items():
        down = boxes[edge[0]].layer > boxes[edge[1]].layer
        path = []
        for layer, _, _ in points:
            y = row_y(layer, layer_count)
            ends = (y - BOX_HEIGHT / 2 + 4, y + BOX_HEIGHT / 2 - 4)
            path += [(xs[(edge, layer)], ends[0] if down else ends[1]), (xs[(edge, layer)], ends[1] if down else ends[0])]
        result[edge] = path
    return result


def ports(edges, boxes, waypoints):
    """Where each edge leaves its user and enters its used box, spread along the box's side."""
    ends = {}  # (box name, "top"/"bottom") -> [(x of the next point, edge, which end)]
    for edge in edges:
        user, used = boxes[edge[0]], boxes[edge[1]]
        path = waypoints[edge]
        down = user.layer > used.layer
        first = path[0][0] if path else used.cx
        last = path[-1][0] if path else user.cx
        ends.setdefault((user.name, "bottom" if down else "top"), []).append((first, edge, 0))
        ends.setdefault((used.name, "top" if down or user.layer == used.layer else "bottom"), []).append(
            (last, edge, 1)
        )
    result = {}
    for (name, side), group in ends.items():
        box = boxes[name]
        group.sort()
        usable = box.width * 0.8
        for k, (_, edge, which) in enumerate(group):
            x = box.cx + (k + 0.5 - len(group) / 2) * min(usable / len(group), 14)
            y = box.bottom if side == "bottom" else box.top
            result[(edge, which)] = (x, y)
    return result


# --- drawing -----------------------------------------------------------------


def layer_color(layer):
    return LAYER_COLORS[layer % len(LAYER_COLORS)]


def tint(color, amount=0.86):
    """The colour mixed with white."""
    rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(c + (255 - c) * amount):02x}" for c in rgb)


def stroke_width(count):
    return 1 + 0.75 * math.log2(count)


def path_through(points):
    """A smooth path through points, vertical at each of them."""
    (x, y), rest = points[0], points[1:]
    d = [f"M{x:.1f},{y:.1f}"]
    for nx, ny in rest:
        mid = (y + ny) / 2
        d.append(f"C{x:.1f},{mid:.1f} {nx:.1f},{mid:.1f} {nx:.1f},{ny:.1f}")
        x, y = nx, ny
    return " ".join(d)


def sideways_path(start, end):
    (sx, sy), (ex, ey) = start, end
    return f"M{sx:.1f},{sy:.1f} C{sx:.1f},{sy - 34:.1f} {ex:.1f},{ey - 34:.1f} {ex:.1f},{ey:.1f}"


def wrap(text, width):
    lines, line = [], ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + [line] if line else lines


def plural(n, word):
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def draw(layers, modules, uses):
    boxes = place_boxes(layers, modules)
    edges = sorted(uses)
    waypoints = route(edges, boxes, len(layers))
    ends = ports(edges, boxes, waypoints)
    violations = [e for e in edges if boxes[e[0]].layer <= boxes[e[1]].layer]
    legend_top = TOP + len(layers) * ROW_HEIGHT + 14
    height = legend_top + 78 + 18 * len(violations)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="monospace" font-size="12">',
        "<defs>",
    ]
    markers = [("use", EDGE_COLOR), ("violation", VIOLATION_COLOR)]
    markers += [(f"use{i}", layer_color(i)) for i in sorted({boxes[user].layer for user, _ in edges})]
    for name, color in markers:
        out.append(
            f'<marker id="{name}" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="9" markerHeight="9" '
            f'markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="{color}"/></marker>'
        )
    out += [
        "</defs>",
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="16" y="26" font-size="16" font-weight="bold">{escape(TITLE)}</text>',
        f'<text x="16" y="46" fill="#475569">{len(modules)} modules, {len(edges)} uses between them '
        f"({sum(uses.values())} lines naming crate::MODULE), {len(violations)} against the layers; "
        "read as runtime/tests/layering.rs reads them</text>",
    ]
    for i, (names, note) in enumerate(layers):
        top = TOP + (len(layers) - 1 - i) * ROW_HEIGHT
        if i % 2 == 0:
            out.append(f'<rect x="0" y="{top}" width="{WIDTH}" height="{ROW_HEIGHT}" fill="#f8fafc"/>')
        lines = [f"layer {i}"] + wrap(note, 34)[:3]
        first = top + ROW_HEIGHT / 2 - (len(lines) - 1) * 7 + 4
        for k, line in enumerate(lines):
            style = 'font-weight="bold" fill="#334155"' if k == 0 else 'fill="#64748b" font-size="11"'
            out.append(f'<text x="16" y="{first + k * 14:.1f}" {style}>{escape(line)}</text>')
    for edge in edges:
        start, end = ends[(edge, 0)], ends[(edge, 1)]
        bad = edge in violations
        if boxes[edge[0]].layer == boxes[edge[1]].layer:
            d = sideways_path(start, end)
        else:
            d = path_through([start] + waypoints[edge] + [end])
        layer = boxes[edge[0]].layer
        color, marker = (VIOLATION_COLOR, "violation") if bad else (layer_color(layer), f"use{layer}")
        width = max(stroke_width(uses[edge]), 2) if bad else stroke_width(uses[edge])
        out.append(
            f'<path d="{d}" fill="none" stroke="{color}" stroke-opacity="{0.95 if bad else 0.7}" '
            + ('stroke-dasharray="6 3" ' if bad else "")
            + f'stroke-width="{width:.2f}" marker-end="url(#{marker})">'
            f"<title>{escape(edge[0])} uses {escape(edge[1])}: {plural(uses[edge], 'line')}</title></path>"
        )
    for name, box in sorted(boxes.items()):
        files, lines = modules[name]
        color = layer_color(box.layer)
        out.append(
            f'<rect x="{box.left:.1f}" y="{box.top:.1f}" width="{box.width:.1f}" height="{BOX_HEIGHT}" '
            f'rx="8" fill="{tint(color)}" stroke="{color}" stroke-width="1.5"/>'
        )
        out.append(
            f'<text x="{box.cx:.1f}" y="{box.cy - 3:.1f}" text-anchor="middle" font-size="14" '
            f'font-weight="bold">{escape(name)}</text>'
        )
        size = f"{plural(files, 'file')}, {lines} lines"
        font = min(10, (box.width - 8) / (0.62 * len(size)))  # smaller in a narrow box
        out.append(
            f'<text x="{box.cx:.1f}" y="{box.cy + 13:.1f}" text-anchor="middle" font-size="{font:.1f}" '
            f'fill="#475569">{size}</text>'
        )
    out += legend(legend_top, uses, violations)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def legend(top, uses, violations):
    """Arrow widths, what a box says, and the uses against the layers (listed, in red)."""
    out = [f'<line x1="0" y1="{top - 6}" x2="{WIDTH}" y2="{top - 6}" stroke="#cbd5e1"/>']
    x = 16
    for count in (1, 4, 16):
        out.append(
            f'<line x1="{x}" y1="{top + 14}" x2="{x + 40}" y2="{top + 14}" stroke="{EDGE_COLOR}" '
            f'stroke-opacity="0.7" stroke-width="{stroke_width(count):.2f}" marker-end="url(#use)"/>'
        )
        out.append(f'<text x="{x + 48}" y="{top + 18}">{plural(count, "line")}</text>')
        x += 130
    out.append(
        f'<text x="{x}" y="{top + 18}" fill="#334155">an arrow: a module uses another, drawn in the '
        "user&#39;s colour</text>"
    )
    out.append(
        f'<text x="16" y="{top + 40}" fill="#334155">a box: a module of runtime/src, its .rs files and '
        "their lines. A module may use only the layers below its own.</text>"
    )
    y = top + 62
    out.append(
        f'<line x1="16" y1="{y - 4}" x2="56" y2="{y - 4}" stroke="{VIOLATION_COLOR}" stroke-width="2" '
        'stroke-dasharray="6 3" marker-end="url(#violation)"/>'
    )
    verdict = f"{len(violations)}:" if violations else "none"
    out.append(
        f'<text x="64" y="{y}" fill="{VIOLATION_COLOR}">a use sideways or up, against the layers: {verdict}</text>'
    )
    for k, (user, used) in enumerate(violations):
        out.append(
            f'<text x="64" y="{y + 18 * (k + 1)}" fill="{VIOLATION_COLOR}">'
            f'{escape(user)} uses {escape(used)} ({plural(uses[(user, used)], "line")})</text>'
        )
    return out


# --- command line ------------------------------------------------------------


def shown(path):
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=ROOT / "runtime" / "src")
    parser.add_argument("target", nargs="?", type=Path, default=ROOT / "docs" / "architecture-layers.svg")
    parser.add_argument("--check", action="store_true", help="exit 1 if the SVG on disk is stale; write nothing")
    args = parser.parse_args()
    if not args.source.is_dir():
        sys.exit(f"module-graph: {args.source} is not a directory")
    layers = read_layers(LAYERING_TEST)
    modules, uses = read_graph(args.source)
    svg = draw(layers, modules, uses)
    if args.check:
        current = args.target.read_text(encoding="utf-8") if args.target.exists() else None
        if current != svg:
            why = "is missing" if current is None else "is stale"
            again = " ".join(["python3 scripts/module-graph.py"] + [a for a in sys.argv[1:] if a != "--check"])
            print(f"{shown(args.target)} {why}: run {again}", file=sys.stderr)
            sys.exit(1)
        print(f"{shown(args.target)} is up to date")
        return
    args.target.write_text(svg, encoding="utf-8")
    print(f"wrote {shown(args.target)}: {len(modules)} modules, {len(uses)} uses")


if __name__ == "__main__":
    main()
