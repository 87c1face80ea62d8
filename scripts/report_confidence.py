"""The report's confidence charts (docs/report.md): the chance that the
cumulative deficit exceeds an amount, and High Needs funding against spend.
A mixin of report.py's Charts: it uses its figure, headings, axes and save
helpers, and the run and summary it holds."""

import math

# Line styles for several variants on one chart, no colour needed.
LINES = [
    dict(color="black", linestyle="-", linewidth=2.0),
    dict(color="black", linestyle="-.", linewidth=1.8),
    dict(color="black", linestyle=":", linewidth=2.2),
    dict(color="0.45", linestyle="-", linewidth=2.0),
    dict(color="0.45", linestyle="--", linewidth=1.8),
    dict(color="0.45", linestyle=":", linewidth=2.2),
]
MARKERS = ["o", "s", "^", "D", "v", "P"]


def fiscal(year):
    return f"{year - 1}-{year % 100:02d}"


def exceedance_curve(np, values, thresholds):
    """P(value > x) for each x: the fraction of the (non-NaN) values strictly above it."""
    values = np.sort(values[np.isfinite(values)])
    if not len(values):
        return None
    return 1.0 - np.searchsorted(values, thresholds, side="right") / len(values)


class ConfidenceCharts:
    def plan_confidence(self, add, exceedance_year):
        """The exceedance charts (at the horizon and at exceedance_year) and, per unmitigated
        variant, funding against spend."""
        if self.monte_carlo and self.years:
            years = [self.years[-1]]
            if exceedance_year is not None and exceedance_year in self.years[1:-1]:
                years.insert(0, exceedance_year)
            for year in years:
                add(f"exceedance_{year}", "exceedance", year)
        for base in self.run["variants"]:
            if base["level"] != "none":
                continue
            group = [base["name"]] + [v["name"] for v in self.run["variants"]
                                      if v["compare_to"] == base["name"] and v["level"] != "none"]
            add(f"funding_{base['name']}", "funding_against_spend", group)

    def exceedance(self, stem, year):
        np = self.np
        y = self.years.index(year)
        columns = {v["name"]: v["cumulative_deficit"][:, y] for v in self.run["variants"]
                   if v.get("cumulative_deficit") is not None}
        every = np.concatenate([c[np.isfinite(c)] for c in columns.values()]) if columns else np.array([])
        if not len(every):
            return None
        low, high = float(every.min()), float(every.max())
        pad = max(high - low, 1.0) * 0.04
        xs = np.linspace(low - pad, high + pad, 400)
        fig = self.figure()
        ax = fig.add_subplot()
        handles, labels = [], []
        for k, (name, column) in enumerate(columns.items()):
            p = exceedance_curve(np, column, xs)
            if p is None:
                continue
            style = LINES[k % len(LINES)]
            (line,) = ax.plot(xs / 1e6, 100 * p, marker=MARKERS[k % len(MARKERS)], markevery=(k * 7, 50),
                              markersize=5, markerfacecolor="white", **style)
            handles.append(line)
            labels.append(self.shown(name))
        for level in (50, 10):
            ax.axhline(level, color="0.6", linewidth=0.7, linestyle=(0, (2, 2)), zorder=0)
        ax.set_ylim(-2, 102)
        ax.set_yticks([0, 10, 25, 50, 75, 90, 100])
        ax.set_yticklabels([f"{t}%" for t in (0, 10, 25, 50, 75, 90, 100)])
        ax.set_xlabel(f"cumulative deficit at the end of {fiscal(year)}, £ million (cash)")
        ax.set_ylabel("chance the deficit is larger")
        ax.grid(axis="x", color="0.85", linewidth=0.6)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        self.headings(fig, f"How likely is a cumulative deficit above £X m at the end of {fiscal(year)}?",
                      f"each line: the share of the {self.run['replicates']:,} simulated futures whose deficit "
                      "exceeds the amount on the horizontal axis; read up from an amount to the line, then "
                      "across to its chance. Lines further right mean a bigger deficit is likely")
        self.legend_below(fig, handles, labels, 2 if len(handles) > 3 else len(handles) or 1)
        return self.save(fig, stem, f"Chance the cumulative deficit exceeds an amount, end of {fiscal(year)}",
                         "confidence", "")

    def funding_against_spend(self, stem, names):
        np = self.np
        fig = self.figure()
        ax = fig.add_subplot()
        handles, labels = [], []
        base = names[0]
        if "funding" not in self.summary["variants"].get(base, {}):
            return None
        funding = self.quantiles(base, "funding")
        idx = self.finite(funding["p50"])
        years = [self.years[i] for i in idx]
        if self.monte_carlo and np.any(funding["p95"][idx] > funding["p5"][idx]):
            handles.append(ax.fill_between(years, funding["p5"][idx] / 1e6, funding["p95"][idx] / 1e6,
                                           facecolor="none", edgecolor="black", hatch="....", linewidth=0.6))
            labels.append("funding: 90% band")
        (line,) = ax.plot(years, funding["p50"][idx] / 1e6, color="black", linewidth=3.0,
                          linestyle=(0, (6, 2)), zorder=6)
        handles.append(line)
        labels.append("High Needs funding" + (" (median)" if self.monte_carlo else ""))
        for k, name in enumerate(names):
            spend = self.quantiles(name, "spend")
            si = self.finite(spend["p50"])
            sy = [self.years[i] for i in si]
            if self.monte_carlo and k == 0:
                handles.append(ax.fill_between(sy, spend["p5"][si] / 1e6, spend["p95"][si] / 1e6, facecolor="0.85",
                                               edgecolor="none"))
                labels.append(f"spend, {self.shown(name)}: 90% of futures")
            style = LINES[(k + 1) % len(LINES)] if k else dict(color="black", linestyle="-", linewidth=2.0)
            (s,) = ax.plot(sy, spend["p50"][si] / 1e6, marker=MARKERS[k % len(MARKERS)], markersize=5,
                           markerfacecolor="white" if k else "black", **style)
            handles.append(s)
            labels.append(f"spend, {self.shown(name)}" + (": median" if self.monte_carlo else ""))
        self.year_axis(ax, self.years)
        self.value_axis(ax, "£m")
        ax.set_ylabel("£ million a year (cash)")
        ax.set_ylim(bottom=0)
        self.headings(fig, f"High Needs funding against spend — {self.shown(base)}"
                      + (" and its mitigations" if len(names) > 1 else ""),
                      "each year's High Needs Block allocation against the year's High Needs spend; where spend "
                      "is above funding the gap adds to the deficit")
        self.legend_below(fig, handles, labels, 2)
        return self.save(fig, stem, f"High Needs funding against spend, {self.shown(base)}", "confidence", base)
