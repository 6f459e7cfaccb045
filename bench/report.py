"""The results as a figure and as a table, and the shape of one figure in bench/results.json."""

from __future__ import annotations

import statistics


def percentile(samples: list[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation; samples need not be sorted."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    if len(ordered) == 1:
        return ordered[0]
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def figure(name: str, value: float, unit: str, *, ceiling: str = "", ceiling_value: float | None = None,
           target: str = "", met: bool | None = None, higher_is_better: bool = False) -> dict:
    """One row of the report. ratio = value / ceiling (for throughput: value / ceiling as well, so
    0.5 means half the ceiling's throughput; for latency 3.0 means three times slower)."""
    ratio = None
    if ceiling_value:
        ratio = round(value / ceiling_value, 2)
    return {"figure": name, "value": _round(value), "unit": unit, "ceiling": ceiling,
            "ceiling_value": _round(ceiling_value), "ratio": ratio, "target": target, "met": met,
            "higher_is_better": higher_is_better}


def _round(value: float | None) -> float | None:
    if value is None:
        return None
    return round(value, 2) if abs(value) < 100 else round(value, 1)


def _cell(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def format_table(report: dict) -> str:
    header = ("benchmark", "figure", "value", "unit", "ceiling", "ceiling value", "ratio", "target", "met")
    rows: list[tuple[str, ...]] = []
    for bench in report["benchmarks"]:
        memory = bench.get("peak_rss_mb")
        label = bench["name"]
        if bench["status"] != "ok":
            rows.append((label, bench["status"].upper() if bench["status"] == "failed" else bench["status"],
                         "", "", bench.get("note", ""), "", "", "", ""))
            continue
        for fig in bench.get("figures", []):
            met = {True: "yes", False: "NO", None: ""}[fig.get("met")]
            rows.append((label, fig["figure"], _cell(fig["value"]), fig["unit"], fig.get("ceiling", ""),
                         _cell(fig.get("ceiling_value")), _cell(fig.get("ratio")), fig.get("target", ""), met))
            label = ""
        if memory is not None:
            rows.append((label, "peak memory (benchmark process)", _cell(memory), "MB", "", "", "", "", ""))
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    title = (f"{report['incidents']:,} incidents on {report['database']} "
             f"({report['date']}, commit {report['git_commit'][:12]})")
    out = [title, line(header), line(tuple("-" * w for w in widths))]
    out += [line(r) for r in rows]
    return "\n".join(out)


def markdown_table(report: dict) -> str:
    """The same table in Markdown, for docs/performance.md."""
    lines = ["| benchmark | figure | value | unit | ceiling | ceiling value | ratio | target | met |",
             "|---|---|---:|---|---|---:|---:|---|---|"]
    for bench in report["benchmarks"]:
        if bench["status"] != "ok":
            lines.append(f"| {bench['name']} | {bench['status']} | | | {bench.get('note', '')} | | | | |")
            continue
        for fig in bench.get("figures", []):
            met = {True: "yes", False: "**no**", None: ""}[fig.get("met")]
            lines.append(f"| {bench['name']} | {fig['figure']} | {_cell(fig['value'])} | {fig['unit']} | "
                         f"{fig.get('ceiling', '')} | {_cell(fig.get('ceiling_value'))} | {_cell(fig.get('ratio'))} | "
                         f"{fig.get('target', '')} | {met} |")
        if bench.get("peak_rss_mb") is not None:
            lines.append(f"| {bench['name']} | peak memory | {_cell(bench['peak_rss_mb'])} | MB | | | | | |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """`python -m bench.report [results.json]`: the results as the Markdown table of docs/performance.md."""
    import json
    from pathlib import Path

    path = Path(argv[0]) if argv else Path(__file__).resolve().parent / "results.json"
    report = json.loads(path.read_text())
    print(f"`{report['command']}` — {report['incidents']:,} incidents, {report['database']}, "
          f"{report['date']}, commit `{report['git_commit'][:12]}`, {report['machine']['cpus']} CPUs\n")
    print(markdown_table(report))
    return 0


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
