"""Render the tables of docs/PERFORMANCE.md from bench/results/*.json (run by bench/run.py at the end).

Run:  .venv/bin/python bench/report.py

Only the part between `<!-- results:start -->` and `<!-- results:end -->` is rewritten, so the figures in
the document are always those of the last `make bench`; the prose around them is written by hand.
"""

from __future__ import annotations

import json
from pathlib import Path

from benchdb import RESULTS

DOC = Path(__file__).resolve().parents[1] / "docs" / "PERFORMANCE.md"
START, END = "<!-- results:start -->", "<!-- results:end -->"


def _load(measure: str) -> dict:
    path = RESULTS / f"{measure}.json"
    return json.loads(path.read_text()).get("sizes", {}) if path.exists() else {}


def _ms(value: float) -> str:
    return f"{value:,.1f}" if value < 100 else f"{value:,.0f}"


def _s(value: float) -> str:
    return f"{value:,.2f}" if value < 10 else f"{value:,.0f}"


def _table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _page(figures: dict | None) -> str:
    """A page's p95, marked when above the target; a dash where the scenario was not run."""
    if figures is None:
        return "—"
    return _ms(figures["p95_ms"]) + ("" if figures["met"] else " ✗")


def _dep(entry: dict, part: str, key: str, fmt) -> str:
    """A deploy-scenario figure, or why there is none at that size."""
    return fmt(entry[part][key]) if part in entry else "not run (> 1M)"


def _met(flag: bool | None) -> str:
    return "—" if flag is None else ("met" if flag else "**missed**")


def render() -> str:
    """The generated section: one table per measure, sizes as columns, then the scaling slopes."""
    out = []
    scaling_path = RESULTS / "scaling.json"
    scaling = json.loads(scaling_path.read_text()) if scaling_path.exists() else {}
    if scaling:
        start, end = scaling["machine_at_start"], scaling["machine_at_end"]
        pg = scaling.get("postgresql", {})
        out.append(
            f"Last run: {scaling.get('minutes', '?')} min on {start['cpu']} ({start['cores']} cores, "
            f"{start['memory_gb']} GB RAM), Python {start['python']}, {pg.get('version', 'PostgreSQL ?')}; "
            f"load average {start['load_average'][0]} at the start and {end['load_average'][0]} at the end "
            "(the machine is shared, so every figure carries that noise). PostgreSQL settings: "
            + ", ".join(f"`{k} = {v}`" for k, v in pg.get("settings", {}).items())
            + "."
        )

    gen = _load("datagen")
    if gen:
        labels = list(gen)
        rows = []
        for key, title in [
            ("cases", "cases"),
            ("open", "open cases"),
            ("events", "audit events"),
            ("cases_with_events", "cases with their events"),
            ("generate_s", "generate cases (numpy, polars CSV) s"),
            ("events_s", "hash-chain the events s"),
            ("copy_s", "COPY s"),
            ("indexes_s", "rebuild indexes and keys s"),
            ("vacuum_analyze_s", "VACUUM ANALYZE s"),
            ("total_s", "**total s**"),
        ]:
            rows.append([title] + [f"{gen[s][key]:,}" for s in labels])
        out.append("### 1. Data generation (bench/datagen.py)\n\n" + _table(["", *labels], rows))

    cases = _load("case_list")
    if cases:
        labels = list(cases)
        names = list(dict.fromkeys(name for entry in cases.values() for name in entry["scenarios"]))
        rows = [["baseline: PK page (p95)"] + [_ms(cases[s]["baseline"]["p95_ms"]) for s in labels]]
        for name in names:
            rows.append([name] + [_page(cases[s]["scenarios"].get(name)) for s in labels])
        out.append(
            "### 3. Handler queue and case page: p95 ms through the HTTP layer "
            "(target < 50 ms; ✗ = above)\n\n" + _table(["", *labels], rows)
        )
        big = labels[-1]
        plans = cases[big]["plans"]
        out.append(
            f"Plans at {big}:\n\n"
            + "\n".join(f"- {label}: `{' | '.join(lines)}`" for label, lines in plans.items())
        )

    kpi = _load("kpi_rollup")
    if kpi:
        labels = list(kpi)
        names = list(next(iter(kpi.values()))["questions"])
        rows = [["rollup rebuild s"] + [_s(kpi[s]["rebuild_seconds"]) for s in labels]]
        rows.append(["rollup rows"] + [f"{kpi[s]['rollup_rows']:,}" for s in labels])
        for name in names:
            rows.append(
                [f"{name}: rollup p95 ms"]
                + [_ms(kpi[s]["questions"][name]["rollup"]["p95_ms"]) for s in labels]
            )
            rows.append(
                [f"{name}: raw ms"]
                + [
                    _ms(kpi[s]["questions"][name]["raw"]["p50_ms"])
                    + (
                        " (12 × 1 month)"
                        if kpi[s]["questions"][name]["raw"].get("estimated_from_one_month")
                        else ""
                    )
                    for s in labels
                ]
            )
        rows.append(["rollup = raw for every question"] + [str(kpi[s]["all_equal"]) for s in labels])
        rows.append(["all rollup p95 < 200 ms"] + [_met(kpi[s]["all_met"]) for s in labels])
        out.append("### 4. KPI dashboard: rollups vs raw recomputation\n\n" + _table(["", *labels], rows))

    sla = _load("sla")
    if sla:
        labels = list(sla)
        rows = [
            ["open cases"] + [f"{sla[s]['open_cases']:,}" for s in labels],
            ["open with a running deadline"] + [f"{sla[s]['open_with_deadline']:,}" for s in labels],
            ["steady scan (every minute) ms"]
            + [_ms(sla[s]["steady_scan"]["seconds"] * 1000) for s in labels],
            ["next working day: newly overdue"]
            + [f"{sla[s]['next_day_scan']['newly_overdue']:,}" for s in labels],
            ["next working day: urged (event + notice)"]
            + [f"{sla[s]['next_day_scan']['urged']:,}" for s in labels],
            ["next working day: mark s"] + [_s(sla[s]["next_day_scan"]["mark_seconds"]) for s in labels],
            ["next working day: urge s"] + [_s(sla[s]["next_day_scan"]["urge_seconds"]) for s in labels],
            ["**next working day: whole scan s** (target < 10 s)"]
            + [
                _s(sla[s]["next_day_scan"]["seconds"]) + f" ({_met(sla[s]['next_day_scan']['met'])})"
                for s in labels
            ],
            ["deploy: baseline plain UPDATE s"] + [_dep(sla[s], "baseline", "seconds", _s) for s in labels],
            ["deploy: first marking pass s"] + [_dep(sla[s], "first_pass", "seconds", _s) for s in labels],
            ["deploy: rows marked overdue"]
            + [_dep(sla[s], "first_pass", "overdue", "{:,}".format) for s in labels],
            ["deploy: first pass / baseline"]
            + [_dep(sla[s], "first_pass", "vs_baseline", "{:.2f}".format) for s in labels],
            ["deploy: lock one urge batch of the backlog ms"]
            + [_dep(sla[s], "urge_batch_query", "seconds", lambda v: _ms(v * 1000)) for s in labels],
            ["audit chains checked: problems"] + [str(sla[s]["audit_sample_problems"]) for s in labels],
        ]
        out.append("### 5. SLA scan\n\n" + _table(["", *labels], rows))

    stats = _load("stats")
    if stats:
        labels = list(stats)
        rows = [
            ["ours s (target < 1 s)"]
            + [f"{stats[s]['ours_seconds']:.3f} ({_met(stats[s]['met'])})" for s in labels],
        ]
        for ref in ("svy", "samplics"):
            if all(f"{ref}_seconds" in stats[s] for s in labels):
                rows += [
                    [f"{ref} s"] + [f"{stats[s][f'{ref}_seconds']:.3f}" for s in labels],
                    [f"{ref} / ours"] + [f"{stats[s][f'speedup_vs_{ref}']:.1f}×" for s in labels],
                    [f"max rel. weight diff vs {ref}"]
                    + [f"{stats[s][f'max_rel_weight_diff_{ref}']:.1e}" for s in labels],
                    [f"rel. SE diff vs {ref}"] + [f"{stats[s][f'rel_se_diff_{ref}']:.1e}" for s in labels],
                ]
        out.append(
            "### 6. Survey statistics: raking + index with SE (responses)\n\n" + _table(["", *labels], rows)
        )
    pls = _load("pls")
    if pls:
        entry = next(iter(pls.values()))
        out.append(
            f"PLS-PM (ECSI, 250 × 27, 500 bootstrap resamples): {entry['seconds']:.2f} s, "
            f"{entry['failed_resamples']} failed resamples."
        )

    if scaling.get("figures"):
        rows = [
            [
                name,
                r["expected"],
                f"{r['slope']:.2f}",
                "yes" if r["within"] else "**no**",
                ", ".join(f"{k}: {v:,}" for k, v in r["points"].items()),
            ]
            for name, r in scaling["figures"].items()
        ]
        out.append(
            "### 7. Scaling: slope of log(time) against log(size)\n\n"
            "Expected `linear` means the slope must stay ≤ 1 (1.15 allowed for noise); `log` (an index "
            "lookup, a page, a rollup read) must stay ≤ 0.35. Plot: `bench/results/scaling.svg`.\n\n"
            + _table(["figure", "expected", "slope", "within", "points"], rows)
        )
    return "\n\n".join(out)


def main() -> None:
    text = DOC.read_text()
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{START}\n\n{render()}\n\n{END}{tail}")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
