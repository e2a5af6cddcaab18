#!/usr/bin/env python3
"""Draws a trace as an SVG waterfall: one row per span, in tree order.

Usage: trace-picture.py SPANS.json OUT.svg

SPANS.json is a list of spans as the OTLP receiver of the chain's trace test
writes them (AGENTWIRE_TRACE_DUMP=SPANS.json cargo test -p chain --test one_trace).
"""
import json
import sys
from html import escape

COLORS = {"SPAN_KIND_SERVER": "#3b82f6", "SPAN_KIND_CLIENT": "#f59e0b", "SPAN_KIND_INTERNAL": "#10b981"}


def main(source, target):
    spans = json.load(open(source))
    ids = {s["span_id"] for s in spans}
    children = {}
    for span in spans:
        children.setdefault(span["parent_span_id"], []).append(span)
    for siblings in children.values():
        siblings.sort(key=lambda s: s["start_time_unix_nano"])
    rows = []

    def walk(span, depth):
        rows.append((span, depth))
        for child in children.get(span["span_id"], []):
            walk(child, depth + 1)

    for root in sorted((s for s in spans if s["parent_span_id"] not in ids), key=lambda s: s["start_time_unix_nano"]):
        walk(root, 0)
    start = min(s["start_time_unix_nano"] for s in spans)
    end = max(s["end_time_unix_nano"] for s in spans)
    total = max(end - start, 1)
    label_width, bar_width, row_height = 330, 560, 26
    height = 40 + row_height * len(rows) + 30
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{label_width + bar_width + 90}" height="{height}" '
        'font-family="monospace" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="10" y="22" font-size="14">trace {escape(spans[0]["trace_id"])} '
        f'({total / 1e6:.0f} ms, {len(spans)} spans, 3 processes)</text>',
    ]
    for i, (span, depth) in enumerate(rows):
        y = 40 + i * row_height
        x = label_width + (span["start_time_unix_nano"] - start) / total * bar_width
        w = max((span["end_time_unix_nano"] - span["start_time_unix_nano"]) / total * bar_width, 2)
        ms = (span["end_time_unix_nano"] - span["start_time_unix_nano"]) / 1e6
        kind = span["kind"].replace("SPAN_KIND_", "").lower()
        out.append(f'<text x="{10 + depth * 14}" y="{y + 16}">{escape(span["name"])} [{kind}]</text>')
        out.append(f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="16" rx="3" '
                   f'fill="{COLORS.get(span["kind"], "#888")}"/>')
        out.append(f'<text x="{x + w + 4:.1f}" y="{y + 16}" fill="#555">{ms:.1f} ms</text>')
    legend_y = height - 12
    for j, (kind, color) in enumerate(COLORS.items()):
        lx = 10 + j * 130
        out.append(f'<rect x="{lx}" y="{legend_y - 10}" width="12" height="12" fill="{color}"/>')
        out.append(f'<text x="{lx + 16}" y="{legend_y}">{kind.replace("SPAN_KIND_", "").lower()}</text>')
    out.append("</svg>")
    open(target, "w").write("\n".join(out) + "\n")


if __name__ == "__main__":
    main(*sys.argv[1:3])
