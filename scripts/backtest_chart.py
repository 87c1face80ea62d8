#!/usr/bin/python3
"""The charts of an ehcpsim backtest (run by `ehcpsim backtest`, not by hand).

    backtest_chart.py --scores S.csv --fan F.csv --history H.csv --authority CODE
                      --name NAME --model ehcpsim --scores-png A.png --fan-png B.png

Two PNGs:
* A: for each series scored over all plans (stock, new plans, requests,
  ceased), the median absolute % error by horizon of the model and of each
  benchmark (left), and the share of outturns inside the model's P5-P95 and
  P25-P75 bands with the targets shaded (right);
* B: January stock of one authority: the published history, and at each
  origin the model's fan (P5-P95, P25-P75, median) with the outturns.

Needs Debian's /usr/bin/python3 with python3-matplotlib. Exit codes: 0
success; 3 a missing library or an unreadable input (the last line of the
output says which). docs/backtest.md is the reader's guide.
"""

import argparse
import csv
import math
import sys

EXIT_RUNTIME = 3
DPI = 150
BENCHMARKS = [("persistence", "persistence", "tab:orange", "--"),
              ("no_change", "no change", "tab:grey", ":"),
              ("three_year_trend", "three-year trend", "tab:green", "-.")]
SERIES_TITLES = {"stock": "January stock", "new_plans": "New plans", "requests": "Requests",
                 "ceased": "Ceased plans"}


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def number(text):
    return float(text) if text not in ("", None) else math.nan


def scores_chart(rows, model, path, plt):
    series = [s for s in SERIES_TITLES if any(r["series"] == s for r in rows)]
    has_model = any(r["model"] == model for r in rows)
    ncols = 2 if has_model else 1
    fig, axes = plt.subplots(len(series), ncols, figsize=(6.0 * ncols, 2.9 * len(series)), squeeze=False)
    for i, s in enumerate(series):
        mine = [r for r in rows if r["series"] == s]
        horizons = sorted({int(r["horizon"]) for r in mine})
        ax = axes[i][0]

        def line(name):
            by_h = {int(r["horizon"]): r for r in mine if r["model"] == name}
            return [number(by_h[h]["mdape"]) if h in by_h else math.nan for h in horizons]

        drawn = []
        if has_model:
            ax.plot(horizons, line(model), color="tab:blue", marker="o", linewidth=2.2, label=model)
            drawn += line(model)
        for name, label, colour, style in BENCHMARKS:
            ax.plot(horizons, line(name), color=colour, linestyle=style, marker=".", label=label)
        # A benchmark that explodes (compounding a small series' jump) would
        # flatten the rest: clip at twice the model's worst (or no change's)
        # and write the clipped values at the top.
        finite = [v for v in drawn + line("no_change") if not math.isnan(v)]
        top = 2.0 * max(finite) if finite else None
        if top:
            ax.set_ylim(0, top)
            for name, label, colour, style in BENCHMARKS:
                for h, v in zip(horizons, line(name)):
                    if not math.isnan(v) and v > top:
                        ax.annotate(f"{v:.0f}", (h, top), textcoords="offset points", xytext=(0, -9),
                                    ha="center", fontsize=6.5, color=colour)
        pairs = {int(r["horizon"]): r["n_pairs"] for r in mine}
        ax.set_title(f"{SERIES_TITLES[s]}: median absolute error", fontsize=10)
        ax.set_ylabel("% of the outturn")
        ax.set_xticks(horizons)
        ax.set_xticklabels([f"{h}\n({pairs[h]})" for h in horizons], fontsize=8)
        if not top:
            ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        if i == len(series) - 1:
            ax.set_xlabel("horizon, years (pairs scored)")
        if has_model:
            ax = axes[i][1]
            by_h = {int(r["horizon"]): r for r in mine if r["model"] == model}
            hs = [h for h in horizons if h in by_h]
            ax.axhspan(0.85, 0.95, color="tab:blue", alpha=0.12, label="P5-P95 target 0.85-0.95")
            ax.axhline(0.5, color="tab:purple", alpha=0.4, linewidth=1, label="P25-P75 ideal 0.50")
            ax.plot(hs, [number(by_h[h]["cov_p5_p95"]) for h in hs], color="tab:blue", marker="o",
                    linewidth=2.2, label="P5-P95 covers")
            ax.plot(hs, [number(by_h[h]["cov50"]) for h in hs], color="tab:purple", marker="s",
                    label="P25-P75 covers")
            ax.set_ylim(0, 1.02)
            ax.set_xticks(horizons)
            ax.set_xticklabels([f"{h}\nPIT var {number(by_h[h]['pit_var']):.3f}" if h in by_h else str(h)
                                for h in horizons], fontsize=7.5)
            ax.set_title(f"{SERIES_TITLES[s]}: share of outturns inside the bands", fontsize=10)
            ax.grid(alpha=0.3)
            if i == len(series) - 1:
                ax.set_xlabel("horizon, years (PIT variance: 0.07-0.10 is honest)")
    handles, labels = [], []
    for ax in axes[0]:
        h, l = ax.get_legend_handles_labels()
        handles += h
        labels += l
    fig.suptitle("Backtest: errors and coverage by horizon against the benchmarks", fontsize=12, y=0.995)
    fig.legend(handles, labels, loc="upper center", ncol=min(5, len(labels)), fontsize=8,
               bbox_to_anchor=(0.5, 0.975), frameon=False)
    fig.tight_layout(rect=(0, 0, 1, 0.955 if len(labels) <= 5 else 0.945))
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def fan_chart(fan, history, code, name, model, path, plt):
    from matplotlib.ticker import MaxNLocator
    years = [int(r["year"]) for r in history]
    values = [number(r["value"]) for r in history]
    origins = sorted({int(r["origin"]) for r in fan})
    ncols = min(4, max(1, len(origins)))
    nrows = max(1, math.ceil(len(origins) / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.4 * ncols, 2.7 * nrows + 0.6), squeeze=False,
                             sharey=True)
    for k, origin in enumerate(origins):
        ax = axes[k // ncols][k % ncols]
        rows = sorted((r for r in fan if int(r["origin"]) == origin), key=lambda r: int(r["year"]))
        known = [(y, v) for y, v in zip(years, values) if y <= origin]
        later = [(y, v) for y, v in zip(years, values) if y > origin]
        base = [v for y, v in known if y == origin]
        xs = [origin] + [int(r["year"]) for r in rows]
        def q(col):
            return (base[:1] or [math.nan]) + [number(r[col]) for r in rows]
        ax.fill_between(xs, q("p5"), q("p95"), color="tab:blue", alpha=0.18, linewidth=0, label="P5-P95")
        ax.fill_between(xs, q("p25"), q("p75"), color="tab:blue", alpha=0.35, linewidth=0, label="P25-P75")
        ax.plot(xs, q("p50"), color="tab:blue", linewidth=1.5, label=f"{model} median")
        ax.plot([y for y, _ in known], [v for _, v in known], color="black", linewidth=1.2, label="known at origin")
        ax.plot([y for y, _ in later], [v for _, v in later], color="black", linestyle="none", marker="o",
                markersize=3.5, label="published later")
        ax.axvline(origin, color="grey", linewidth=0.7, alpha=0.6)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, nbins=6))
        ax.set_title(f"origin {origin}", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if k == 0:
            ax.legend(fontsize=6.5, loc="upper left")
    for k in range(len(origins), nrows * ncols):
        axes[k // ncols][k % ncols].axis("off")
    title = f"January stock of {name} ({code}):\nthe forecast fan at each origin and what was published"
    fig.suptitle(title, fontsize=10)
    fig.supylabel("EHC plans", fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=DPI)
    plt.close(fig)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for flag in ("--scores", "--fan", "--history", "--authority", "--name", "--model", "--scores-png",
                 "--fan-png"):
        p.add_argument(flag, required=True)
    a = p.parse_args()
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as e:
        print(f"matplotlib is not available under {sys.executable} ({e}): apt-get install python3-matplotlib",
              file=sys.stderr)
        return EXIT_RUNTIME
    try:
        scores = read_csv(a.scores)
        fan = read_csv(a.fan)
        history = read_csv(a.history)
    except OSError as e:
        print(f"cannot read the chart data: {e}", file=sys.stderr)
        return EXIT_RUNTIME
    if scores:
        scores_chart(scores, a.model, a.scores_png, plt)
    if fan:
        fan_chart(fan, history, a.authority, a.name or a.authority, a.model, a.fan_png, plt)
    return 0


if __name__ == "__main__":
    sys.exit(main())
