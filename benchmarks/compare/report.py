"""Turns raw figures into the medians table (markdown), a JSON summary and an SVG chart."""
from __future__ import annotations

import json
import statistics
from pathlib import Path

TARGETS = {
    # figure: (comparison set, factor, higher_is_better)
    "tcp_gbps_1": ("peers", 1.1, True),
    "tcp_gbps_8": ("peers", 1.1, True),
    "tcp_pingpong_avg_us": ("peers", 0.9, False),
    "tcp_pingpong_p99_us": ("peers", 0.9, False),
    "udp_pingpong_avg_us": ("nginx", 0.9, False),
    "udp_pingpong_p99_us": ("nginx", 0.9, False),
    "new_conn_per_s": ("peers", 1.1, True),
    "keepalive_req_per_s": ("peers", 1.1, True),
    "idle_conn_rss_kib": ("absolute", 2.0, False),
    "keepalive_256_req_per_s": ("peers", 1.1, True),
    "keepalive_1000_req_per_s": ("peers", 1.1, True),
    "new_conn_256_per_s": ("peers", 1.1, True),
    "keepalive_256_cpu_us_per_req": ("report", None, False),
    "keepalive_1000_cpu_us_per_req": ("report", None, False),
    "new_conn_256_cpu_us_per_req": ("report", None, False),
    # Many connections, 1 % active: reported against the peers (HAProxy's above all), no target of their own.
    "many_conn_rss_kib": ("report", None, False),
    "many_conn_active_p99_us": ("report", None, False),
    "many_conn_active_p50_us": ("report", None, False),
    # Endpoints churn under load (svcproxy only): no request may fail.
    "churn_failed_requests": ("absolute", 0, False),
    "churn_updates_per_s": ("report", None, True),
    "churn_req_per_s": ("report", None, True),
    "churn_cpu_pct": ("report", None, False),
    # Reported beside the rates, without a target of their own: what a request costs the proxy.
    "new_conn_cpu_us_per_req": ("report", None, False),
    "keepalive_cpu_us_per_req": ("report", None, False),
    # At a fixed message rate the latency is reported; the target is on the CPU the proxy spends.
    # (msg_per_s: the rate sockperf held; a subject that fell short of it spent less CPU for that,
    # which cpu_us_per_msg, reported beside the share, takes out.)
    **{f"tcp_{mps}mps_{kind}": ("peers", 1.0, False) if kind == "cpu_pct" else ("report", None, kind == "msg_per_s")
       for mps in (1000, 5000, 20000) for kind in ("cpu_pct", "cpu_us_per_msg", "msg_per_s", "avg_us", "p99_us")},
}


def medians(raw: dict) -> dict:
    """Per subject and figure, the median of the rounds that produced a value (a failed round is None)."""
    out = {}
    for subject, figs in raw.items():
        out[subject] = {fig: statistics.median(v) for fig, vals in figs.items() if (v := [x for x in vals if x is not None])}
    return out


def rounds_held(raw: dict, figure: str, kind: str, factor: float, peers: tuple, higher: bool) -> str:
    """In how many rounds svcproxy met the target against that round's best peer: "3/3"."""
    ours = raw.get("svcproxy", {}).get(figure, [])
    held = total = 0
    for i, value in enumerate(ours):
        if value is None:
            continue
        if kind == "absolute":
            ok = value <= factor
        else:
            round_values = {p: raw[p][figure][i] for p in (("nginx",) if kind == "nginx" else peers)
                            if i < len(raw.get(p, {}).get(figure, [])) and raw[p][figure][i] is not None}
            reference = best_peer({p: {figure: v} for p, v in round_values.items()}, figure, tuple(round_values), higher)
            if not reference or reference[1] <= 0:
                continue
            ok = value / reference[1] >= factor if higher else value / reference[1] <= factor
        total += 1
        held += ok
    return f"{held}/{total}" if total else "–"


def best_peer(med: dict, figure: str, peers: tuple, higher: bool) -> tuple[str, float] | None:
    values = [(p, med[p][figure]) for p in peers if p in med and figure in med[p]]
    if not values:
        return None
    return max(values, key=lambda v: v[1]) if higher else min(values, key=lambda v: v[1])


def write_report(out_dir: Path, results: Path, meta: dict, raw: dict, figures: dict, peers: tuple) -> None:
    med = medians(raw)
    subjects = list(raw.keys())
    lines = [f"| figure | unit | {' | '.join(subjects)} | svcproxy ÷ best peer | target | met | rounds held |",
             "|---|---|" + "---|" * len(subjects) + "---|---|---|---|"]
    summary = {}
    for figure, (unit, higher) in figures.items():
        cells = [f"{med.get(s, {}).get(figure, float('nan')):.2f}" if figure in med.get(s, {}) else "–" for s in subjects]
        kind, factor, _ = TARGETS[figure]
        ours = med.get("svcproxy", {}).get(figure)
        ratio_text, target_text, met, held = "–", "", None, "–"
        if kind == "report":
            target_text = "–"
            reference = best_peer(med, figure, peers, higher)
            if reference and ours is not None and reference[1] > 0:
                ratio_text = f"{ours / reference[1]:.2f} (vs {reference[0]})"
        elif kind == "absolute":
            target_text = f"≤ {factor} {unit}"
            met = ours is not None and ours <= factor
        else:
            reference = best_peer(med, figure, ("nginx",) if kind == "nginx" else peers, higher)
            target_text = f"{'≥' if higher else '≤'} {factor}× {'nginx' if kind == 'nginx' else 'best peer'}"
            if reference and ours is not None and reference[1] > 0:
                ratio = ours / reference[1]
                ratio_text = f"{ratio:.2f} (vs {reference[0]})"
                met = ratio >= factor if higher else ratio <= factor
        if kind != "report":
            held = rounds_held(raw, figure, kind, factor, peers, higher)
        if not any(figure in med.get(s, {}) for s in subjects):
            continue  # a figure this run did not measure (--only) gets no row
        summary[figure] = {"medians": {s: med.get(s, {}).get(figure) for s in subjects}, "met": met, "ratio": ratio_text,
                           "rounds_held": held}
        verdict = "–" if kind == "report" else "yes" if met else ("no" if met is False else "?")
        lines.append(f"| {figure} | {unit} | {' | '.join(cells)} | {ratio_text} | {target_text} | {verdict} | {held} |")
    table = "\n".join(lines)
    header = (f"Run {meta['utc']} on {meta['cpus']} cores ({meta['cpu_model']}), kernel {meta['kernel']}, "
              f"virtualisation: {meta.get('virtualisation', '?')}; "
              f"median of {meta['rounds']} rounds of {meta['duration_s']} s; idle connections: {meta['idle_connections']}; "
              f"load average (1/5/15 min) before {meta.get('loadavg_before')}, after {meta.get('loadavg_after')}.\n\n"
              f"Command: `{meta['command']}`\n\nVersions: " + ", ".join(f"{k} `{v}`" for k, v in meta["versions"].items()) + "\n")
    (out_dir / "table.md").write_text(header + "\n" + table + "\n")
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2))
    svg = chart(med, subjects, figures)
    (out_dir / "chart.svg").write_text(svg)
    (results / "latest.md").write_text(header + "\n" + table + "\n")
    (results / "latest.svg").write_text(svg)
    print(table)


def chart(med: dict, subjects: list[str], figures: dict) -> str:
    """One small bar group per figure, each normalised to the best subject (1.0 = best)."""
    colours = ["#888888", "#1f77b4", "#17becf", "#2ca02c", "#d62728", "#9467bd"]
    width, group_h, bar_h, left = 760, 26 + 14 * len(subjects), 12, 190
    height = 40 + group_h * len(figures) + 30
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">',
           f'<text x="10" y="20" font-size="14" font-weight="bold">ServiceProxy vs HAProxy vs nginx (1.0 = best; longer is better)</text>']
    y = 40
    figures = {f: v for f, v in figures.items() if any(f in med.get(s, {}) for s in subjects)}
    height = 40 + group_h * len(figures) + 30
    out[0] = f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="11">'
    for figure, (unit, higher) in figures.items():
        values = {s: med.get(s, {}).get(figure) for s in subjects}
        present = [v for v in values.values() if v]
        out.append(f'<text x="10" y="{y + 12}" font-weight="bold">{figure} ({unit})</text>')
        if present:
            best = max(present) if higher else min(present)
            for i, s in enumerate(subjects):
                v = values[s]
                if not v:
                    continue
                score = (v / best) if higher else (best / v)
                w = max(1, int((width - left - 80) * score))
                yy = y + 18 + i * 14
                out.append(f'<rect x="{left}" y="{yy}" width="{w}" height="{bar_h}" fill="{colours[i % len(colours)]}"/>')
                out.append(f'<text x="{left - 6}" y="{yy + 10}" text-anchor="end">{s}</text>')
                out.append(f'<text x="{left + w + 4}" y="{yy + 10}">{v:.2f}</text>')
        y += group_h
    out.append("</svg>")
    return "\n".join(out)
