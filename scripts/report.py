#!/usr/bin/python3
"""Fan charts and a self-contained HTML report of an ehcpsim ensemble file.

    scripts/report.py FILE -o DIR [--ehcpsim PATH] [--overwrite]
    ehcpsim report FILE -o DIR [--overwrite]          (runs this script)

Reads the HDF5 file with h5py (provenance, variants, coordinates and the
expected-value projection) and takes every number it prints or plots from
the engine's own summary (`ehcpsim summary FILE --format json --dbv
--places`), so the page shows exactly the engine's quantiles. Writes PNG and
SVG charts and index.html into DIR, building them in a temporary directory
beside DIR and renaming it into place at the end: a failed or interrupted
report leaves no DIR behind (or the previous one untouched).

Needs Debian's /usr/bin/python3 with python3-matplotlib, python3-h5py and
python3-numpy. See docs/report.md.

Exit codes (as ehcpsim's): 0 success; 2 usage error; 3 runtime or I/O error
(missing or foreign file, output directory not empty, engine failure);
130 interrupted.
"""

import argparse
import base64
import datetime
import html
import importlib.util
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap

from report_brief import write_brief  # beside this script (scripts/, or where ehcpsim installs it)
from report_confidence import ConfidenceCharts
from report_tables import dsg_html, lever_labels, levers_html, scap_html

EXIT_OK, EXIT_USAGE, EXIT_RUNTIME, EXIT_INTERRUPTED = 0, 2, 3, 130

# Every chart has this size: 8 x 5 in at 150 dpi = 1200 x 750 pixels.
FIG_WIDTH_IN, FIG_HEIGHT_IN, DPI = 8.0, 5.0, 150
PNG_WIDTH, PNG_HEIGHT = int(FIG_WIDTH_IN * DPI), int(FIG_HEIGHT_IN * DPI)

# Written into every report directory; --overwrite replaces only a directory
# that holds one (never an arbitrary non-empty directory).
MANIFEST = "manifest.json"
GENERATOR = "ehcpsim report"
WORKBOOK = "workbook.xlsx"

# The metrics charted per variant: (title, unit label, scale, description).
METRICS = {
    "total_stock": ("EHCP stock", "plans", 1.0, "active EHCPs at the census of the year, all ages"),
    "new_plans": ("New EHCPs", "plans a year", 1.0, "new plans starting in the year"),
    "spend": ("High Needs spend", "£m, cash", 1e6, "High Needs Block spend in the year, at the year's prices"),
    "cumulative_deficit": ("Cumulative High Needs deficit", "£m, cash", 1e6,
                           "cumulative deficit at the end of the year"),
}
DRIVER_PHRASES = {"cumulative_deficit": "cumulative deficit", "spend": "High Needs spend"}
# Ambition levels: the engine's one table of names and titles
# (include/ehcpsim/ambition.h); every comparison below goes through these.
UNMITIGATED = "none"
LEVEL_NAMES = {UNMITIGATED: "Unmitigated", "target": "Target", "stretch": "Stretch"}


def level_title(level):
    """"Target" for "target"; an unknown level as it is written."""
    return LEVEL_NAMES.get(level, level)


def mitigated(entry):
    """Whether a variant (or DBV table entry) has an ambition level."""
    return entry.get("level", UNMITIGATED) != UNMITIGATED

# Black-and-white conventions: a line style, a marker and a band pattern per
# series, so nothing depends on colour.
BAND90 = dict(facecolor="0.86", edgecolor="none")
BAND50 = dict(facecolor="0.62", edgecolor="none")
MEDIAN = dict(color="black", linestyle="-", linewidth=2.0, marker="o", markersize=5)
DETERMINISTIC = dict(color="black", linestyle=(0, (5, 2.5)), linewidth=1.2, marker="x", markersize=6)
SERIES_STYLES = [  # the unmitigated variant first, then its mitigated variants in run order
    dict(linestyle="-", marker="o", band_face="0.82", hatch=None),
    dict(linestyle="-.", marker="s", band_face="none", hatch="////"),
    dict(linestyle=":", marker="^", band_face="none", hatch="\\\\\\\\"),
    dict(linestyle=(0, (1, 1, 4, 1)), marker="D", band_face="none", hatch="...."),
    dict(linestyle=(0, (8, 2)), marker="v", band_face="none", hatch="xx"),
]


class ReportError(Exception):
    """A problem with the input, the output directory or the engine (exit 3)."""


class Interrupted(Exception):
    """SIGINT or SIGTERM (exit 130)."""


def on_terminate(signum, frame):
    raise Interrupted("interrupted")


# --------------------------------------------------------------------------
# Input


def text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def read_ensemble(path, h5py, np):
    """Provenance, coordinates, variants and expected values from the file."""
    if not os.path.exists(path):
        raise ReportError(f"{path}: no such file")
    if os.path.isdir(path):
        raise ReportError(f"{path}: is a directory, not an ehcpsim ensemble file")
    try:
        is_hdf5 = h5py.is_hdf5(path)
    except OSError as e:
        raise ReportError(f"{path}: cannot read the file ({e})") from None
    if not is_hdf5:
        raise ReportError(f"{path}: not an ehcpsim ensemble file (not HDF5)")
    try:
        f = h5py.File(path, "r")
    except OSError as e:
        raise ReportError(f"{path}: cannot open the file (damaged or truncated?): {e}") from None
    with f:
        a = f.attrs
        if text(a.get("format", "")) != "ehcpsim-ensemble":
            raise ReportError(f"{path}: not an ehcpsim ensemble file")
        if int(a.get("complete", 0)) != 1:
            raise ReportError(f"{path}: incomplete (interrupted run?)")
        run = {
            "path": os.path.abspath(path),
            "scenario": text(a.get("scenario_name", "")),
            "mode": text(a.get("mode", "")),
            "seed": int(a.get("seed", 0)),
            "replicates": int(a.get("replicates", 0)),
            "first_replicate": int(a.get("first_replicate", 0)),
            "total_replicates": int(a.get("total_replicates", a.get("replicates", 0))),
            "engine_version": text(a.get("engine_version", "")),
            "format_version": int(a.get("format_version", 0)),
            "crn": bool(int(a.get("common_random_numbers", 1))),
            "years": [int(y) for y in f["year"][:]],
            "placements": [text(p) for p in f["placement"][:]],
            "variants": [],
        }
        names = [text(v) for v in f["variant"][:]] if "variant" in f else sorted(f["variants"])
        for name in names:
            g = f["variants"][name]
            expected = {}
            if "expected" in g:
                for metric in METRICS:
                    if metric in g["expected"]:
                        expected[metric] = np.asarray(g["expected"][metric][:], dtype=float)
            parameter_labels = {}
            if "parameter" in g and "labels" in g["parameter"].attrs:
                parameter_labels = {text(n): text(l) for n, l in zip(g["parameter"][:], g["parameter"].attrs["labels"])
                                    if text(l)}
            run["variants"].append({
                "name": name,
                "label": text(g.attrs.get("label", "")) or name,  # files before labels: the name
                "parameter_labels": parameter_labels,
                # [replicate, year]: the exceedance charts' distribution (NaN where no value)
                "cumulative_deficit": (np.asarray(g["cumulative_deficit"][:], dtype=float)
                                       if "cumulative_deficit" in g else None),
                "level": text(g.attrs.get("level", UNMITIGATED)) or UNMITIGATED,
                "compare_to": text(g.attrs.get("compare_to", "")),
                "parameters": len(g["parameter"]) if "parameter" in g else 0,
                "expected": expected,
            })
    return run


def engine_output(ehcpsim, arguments, path):
    try:
        done = subprocess.run([ehcpsim] + arguments, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    except OSError as e:
        raise ReportError(f"cannot run the engine {ehcpsim}: {e.strerror} (give its path with --ehcpsim)") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"exit status {done.returncode}"
        raise ReportError(f"`{os.path.basename(ehcpsim)} {' '.join(arguments[:1])}` failed on {path}: {message}")
    return done.stdout.decode("utf-8")


def engine_summary(ehcpsim, path):
    """The engine's summary JSON: quantiles by year, the DBV view, places and drivers."""
    out = engine_output(ehcpsim, ["summary", path, "--format", "json", "--dbv", "--places"], path)
    try:
        return json.loads(out)
    except ValueError as e:
        raise ReportError(f"the engine's summary of {path} is not JSON: {e}") from None


def engine_version(ehcpsim, path):
    return engine_output(ehcpsim, ["--version"], path).strip()


def default_engine():
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (os.path.join(os.path.dirname(here), "build", "ehcpsim"), shutil.which("ehcpsim")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    raise ReportError("cannot find the ehcpsim engine (not in build/ nor on PATH): give it with --ehcpsim")


# --------------------------------------------------------------------------
# Output directory: nothing half-written under the target name


def check_target(target, overwrite):
    parent = os.path.dirname(target)
    if not os.path.isdir(parent):
        raise ReportError(f"{target}: the directory {parent} does not exist")
    if not os.path.lexists(target):
        return
    if not os.path.isdir(target) or os.path.islink(target):
        raise ReportError(f"{target}: exists and is not a directory; refusing to replace it")
    if not os.listdir(target):
        return
    if not overwrite:
        raise ReportError(f"{target}: already exists and is not empty; refusing to overwrite it (use --overwrite)")
    if not is_report_directory(target):
        raise ReportError(f"{target}: is not a directory written by `ehcpsim report` (no {MANIFEST} from it); "
                          "refusing to replace it even with --overwrite")


def is_report_directory(path):
    try:
        with open(os.path.join(path, MANIFEST), encoding="utf-8") as f:
            return json.load(f).get("generator") == GENERATOR
    except (OSError, ValueError, AttributeError):
        return False


def move_into_place(staging, target):
    if os.path.lexists(target):
        old = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.old-", dir=os.path.dirname(target))
        os.rmdir(old)
        os.rename(target, old)
        try:
            os.rename(staging, target)
        except OSError:
            os.rename(old, target)
            raise
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(staging, target)


# --------------------------------------------------------------------------
# Numbers and labels


def fiscal(year):
    """Year label 2023 = financial year 2022-23."""
    return f"{year - 1}-{year % 100:02d}"


def series(values):
    return [math.nan if v is None else float(v) for v in values]


def money_m(value, digits):
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value / 1e6:.{digits}f}"


def ratio(value):
    """A variance ratio as the engine's table prints it: three significant figures."""
    if value is None or not math.isfinite(float(value)):
        return "–"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def safe_name(name):
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in name) or "_"


# --------------------------------------------------------------------------
# Charts


class Charts(ConfidenceCharts):
    """Plans the charts (plan()), then draws one per call (draw()), saving each
    as PNG and SVG. draw() may run in worker processes: it only reads self.
    The exceedance and funding charts are report_confidence.py's."""

    def __init__(self, directory, run, summary, plt, np, exceedance_year=None):
        self.dir, self.run, self.summary, self.plt, self.np = directory, run, summary, plt, np
        self.exceedance_year = exceedance_year
        self.years = run["years"]
        self.monte_carlo = run["replicates"] > 1
        self.scenario = run["scenario"]

    # ---- the plan: (file stem, method, arguments), in page order

    def plan(self):
        jobs, names = [], set()

        def add(name, method, *args):
            stem = base = safe_name(name)
            k = 2
            while stem in names:
                stem, k = f"{base}~{k}", k + 1
            names.add(stem)
            jobs.append((stem, method, args))

        variants = self.run["variants"]
        for base in variants:
            if mitigated(base):
                continue
            group = [base] + [v for v in variants if v["compare_to"] == base["name"] and mitigated(v)]
            if len(group) > 1:
                for metric in ("cumulative_deficit", "spend"):
                    add(f"compare_{base['name']}_{metric}", "comparison", [v["name"] for v in group], metric)
        self.plan_confidence(add, self.exceedance_year)
        for v in variants:
            for metric in METRICS:
                add(f"fan_{v['name']}_{metric}", "fan", v["name"], metric)
            add(f"placement_{v['name']}", "placements", v["name"])
        drivers = self.summary.get("drivers")
        if isinstance(drivers, dict):
            for v in variants:
                per = (drivers.get("variants") or {}).get(v["name"])
                if isinstance(per, dict):
                    for metric in ("cumulative_deficit", "spend"):
                        if isinstance(per.get(metric), dict):
                            add(f"tornado_{v['name']}_{metric}", "tornado", v["name"], metric, per[metric])
        for v in variants:
            for entry, data in ((self.summary.get("places") or {}).get(v["name"]) or {}).items():
                add(f"places_{v['name']}_{entry.replace('/', '-')}", "places", v["name"], entry, data)
        return jobs

    def draw(self, job):
        stem, method, args = job
        return getattr(self, method)(stem, *args)

    # ---- helpers

    def variant(self, name):
        return next(v for v in self.run["variants"] if v["name"] == name)

    def figure(self):
        return self.plt.figure(figsize=(FIG_WIDTH_IN, FIG_HEIGHT_IN), dpi=DPI, layout="constrained")

    def save(self, fig, stem, title, section, variant):
        # The axes fill what the headings (top) and the legend (bottom) leave.
        top, bottom = getattr(fig, "ehcpsim_top", 0.0), getattr(fig, "ehcpsim_bottom", 0.0)
        fig.get_layout_engine().set(rect=(0, bottom, 1, 1 - top - bottom))
        png, svg = stem + ".png", stem + ".svg"
        # The charts use nothing but greys: the PNG is stored as 8-bit greyscale (a
        # third of the size of RGBA, and proof that no colour carries meaning).
        from PIL import Image
        fig.canvas.draw()
        pixels = self.np.asarray(fig.canvas.buffer_rgba())[:, :, :3]
        Image.fromarray(pixels, "RGB").convert("L").save(os.path.join(self.dir, png), format="PNG",
                                                         dpi=(DPI, DPI))
        # Laid out once, for the PNG; the SVG keeps the same positions. No layout
        # engine at all (not even "none", matplotlib's placeholder): with one,
        # savefig first draws the whole figure once more, rendering nothing, to
        # lay it out again, which was a sixth of the report's time.
        fig.set_layout_engine(None)
        fig.savefig(os.path.join(self.dir, svg), format="svg", metadata={"Date": None})
        self.plt.close(fig)
        return dict(name=stem, title=title, section=section, variant=variant, png=png, svg=svg,
                    width=PNG_WIDTH, height=PNG_HEIGHT)

    @staticmethod
    def wrap(line, width=110):
        """Wraps into as few lines as fit `width`, of about equal length."""
        if len(line) <= width:
            return line
        lines = math.ceil(len(line) / width)
        return "\n".join(textwrap.wrap(line, min(width, math.ceil(len(line) / lines) + 8), break_on_hyphens=False))

    def headings(self, fig, title, subtitle):
        """Bold title (what and which variant, by its label), then what is drawn, centred on the
        figure (not on the axes, which long tick labels push aside) in a band kept free of the axes.
        The scenario's name is not repeated: it names the baseline, and would mislabel the
        other variants' charts (the page and the brief carry it)."""
        renderer = fig.canvas.get_renderer()
        y = 1 - 0.012
        for line, style in ((self.wrap(title, 80), dict(fontsize=12.5, fontweight="bold")),
                            (self.wrap(subtitle[:1].upper() + subtitle[1:], 108), dict(fontsize=9.5))):
            t = fig.text(0.5, y, line, ha="center", va="top", linespacing=1.3, **style)
            y -= t.get_window_extent(renderer).height / fig.bbox.height + 0.008
        fig.ehcpsim_top = 1 - y

    def year_axis(self, ax, years, small=False, columns=1, census=False):
        """Ticks at every year, labelled "2022-23" for money (small panels: "22-23", every k-th year so
        that about 14 labels share the figure's width); census counts (census=True) by the January of
        the census: "Jan 2023" ("2023" on small panels)."""
        ax.set_xticks(years)
        if small:
            every = max(1, math.ceil(len(years) * columns / 14))
            labels = [(str(y) if census else f"{(y - 1) % 100:02d}-{y % 100:02d}") if i % every == 0 else ""
                      for i, y in enumerate(years)]
        else:
            labels = [f"Jan {y}" if census else fiscal(y) for y in years]
        crowded = len(years) > 9 and not small
        ax.set_xticklabels(labels, rotation=45 if crowded else 0, ha="right" if crowded else "center",
                           fontsize=7.5 if small else 9)
        ax.set_xlim(years[0] - 0.3, years[-1] + 0.3)
        if not small:
            ax.set_xlabel("January census of the year" if census else "financial year (April to March)")

    def value_axis(self, ax, unit):
        from matplotlib.ticker import FuncFormatter, ScalarFormatter
        if unit.startswith("£"):
            formatter = ScalarFormatter(useOffset=False)
            formatter.set_scientific(False)
            ax.yaxis.set_major_formatter(formatter)
        else:
            ax.yaxis.set_major_formatter(FuncFormatter(lambda x, _: f"{x:,.0f}" if x == int(x) else f"{x:,.1f}"))
        ax.grid(axis="y", color="0.75", linewidth=0.6, linestyle="-")
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)

    def legend_below(self, fig, handles, labels, ncol):
        """The legend under the axes, outside the data, with room made for it."""
        leg = fig.legend(handles, labels, loc="lower center", ncol=ncol, frameon=False, fontsize=9,
                         bbox_to_anchor=(0.5, 0.0), handlelength=3.2)
        fig.ehcpsim_bottom = leg.get_window_extent(fig.canvas.get_renderer()).height / fig.bbox.height + 0.01

    def quantiles(self, variant, key):
        q = self.summary["variants"][variant][key]
        return {p: self.np.array(series(q[p])) for p in ("p5", "p25", "p50", "p75", "p95")}

    @staticmethod
    def finite(values):
        return [i for i, v in enumerate(values) if math.isfinite(v)]

    def replicates_note(self, bands="50% and 90% bands"):
        if not self.monte_carlo:
            return "deterministic projection (one line, no uncertainty bands)"
        return f"median with {bands} over {self.run['replicates']:,} replicates"

    def shown(self, name):
        """What readers see for a variant: its label, else its name."""
        return self.variant(name).get("label") or name

    def variant_label(self, v):
        if v.get("label") and v["label"] != v["name"]:
            return v["label"]
        level = level_title(v["level"])
        if v["name"].lower() == level.lower():
            return level
        return v["name"] if level.lower() in v["name"].lower() else f"{level} ({v['name']})"

    # ---- fan chart of one metric of one variant

    def fan(self, stem, name, metric):
        title, unit, scale, description = METRICS[metric]
        q = self.quantiles(name, metric)
        idx = self.finite(q["p50"])
        if not idx:
            return None
        years = [self.years[i] for i in idx]
        fig = self.figure()
        ax = fig.add_subplot()
        handles, labels = [], []
        if self.monte_carlo:
            handles.append(ax.fill_between(years, q["p5"][idx] / scale, q["p95"][idx] / scale, **BAND90))
            labels.append("90% of futures (5th-95th percentile)")
            handles.append(ax.fill_between(years, q["p25"][idx] / scale, q["p75"][idx] / scale, **BAND50))
            labels.append("50% of futures (25th-75th percentile)")
        (line,) = ax.plot(years, q["p50"][idx] / scale, **MEDIAN)
        handles.append(line)
        labels.append("median" if self.monte_carlo else "projection")
        expected = self.variant(name)["expected"].get(metric)
        if expected is not None and self.monte_carlo:
            e = self.np.asarray(expected)[idx] / scale
            if self.np.isfinite(e).any():
                (det,) = ax.plot(years, e, **DETERMINISTIC)
                handles.append(det)
                labels.append("deterministic projection (the DBV spreadsheet's line)")
        self.year_axis(ax, years, census=metric == "total_stock")
        self.value_axis(ax, unit)
        ax.set_ylabel(f"{title} ({unit})")
        if metric != "cumulative_deficit":
            ax.set_ylim(bottom=0)
        self.headings(fig, f"{title} — {self.shown(name)}", f"{description}; {self.replicates_note()}")
        self.legend_below(fig, handles, labels, 2)
        return self.save(fig, stem, f"{title} ({unit}), {self.shown(name)}", "fan", name)

    # ---- one bound: the unmitigated variant and its mitigated variants

    def comparison(self, stem, names, metric):
        title, unit, scale, description = METRICS[metric]
        fig = self.figure()
        ax = fig.add_subplot()
        handles, labels = [], []
        deterministic = None
        for k, name in enumerate(names):
            variant = self.variant(name)
            style = SERIES_STYLES[min(k, len(SERIES_STYLES) - 1)]
            q = self.quantiles(name, metric)
            idx = self.finite(q["p50"])
            years = [self.years[i] for i in idx]
            label = self.variant_label(variant)
            if self.monte_carlo:
                band = ax.fill_between(years, q["p5"][idx] / scale, q["p95"][idx] / scale,
                                       facecolor=style["band_face"], edgecolor="0.2", hatch=style["hatch"],
                                       linewidth=0.9, linestyle=style["linestyle"], zorder=1 + 0.1 * k)
                handles.append(band)
                labels.append(f"{label}: 90% band")
            (line,) = ax.plot(years, q["p50"][idx] / scale, color="black", linewidth=2.0,
                              linestyle=style["linestyle"], marker=style["marker"], markersize=6,
                              markerfacecolor="white" if k else "black", zorder=5)
            handles.append(line)
            labels.append(f"{label}: median" if self.monte_carlo else label)
            expected = variant["expected"].get(metric)
            if expected is not None and self.monte_carlo:
                (det,) = ax.plot(years, self.np.asarray(expected)[idx] / scale, color="black", linewidth=0.9,
                                 linestyle=(0, (4, 2)), marker="x", markersize=5, zorder=6)
                deterministic = deterministic or det
        if deterministic is not None:
            handles.append(deterministic)
            labels.append("deterministic projection of each (DBV line)")
        self.year_axis(ax, self.years)
        self.value_axis(ax, unit)
        ax.set_ylabel(f"{title} ({unit})")
        self.headings(fig, f"{title} — {self.shown(names[0])} and its mitigations",
                      f"{description}; {self.replicates_note('the 90% band of each variant')}")
        self.legend_below(fig, handles, labels, 2)
        return self.save(fig, stem, f"{title} ({unit}): {self.shown(names[0])} and its mitigations", "compare",
                         names[0])

    # ---- stock by placement: small multiples

    def placements(self, stem, name):
        placements = self.run["placements"]
        keys = [f"stock_by_placement[{p}]" for p in placements]
        if not placements or any(k not in self.summary["variants"][name] for k in keys):
            return None
        n = len(placements)
        ncols = 4 if n > 6 else 3 if n > 4 else 2 if n > 1 else 1
        nrows = math.ceil(n / ncols)
        fig = self.figure()
        axes = fig.subplots(nrows, ncols, sharex=True, squeeze=False)
        for k, (placement, key) in enumerate(zip(placements, keys)):
            ax = axes[k // ncols][k % ncols]
            q = self.quantiles(name, key)
            idx = self.finite(q["p50"])
            years = [self.years[i] for i in idx]
            if self.monte_carlo:
                ax.fill_between(years, q["p5"][idx], q["p95"][idx], **BAND90)
                ax.fill_between(years, q["p25"][idx], q["p75"][idx], **BAND50)
            ax.plot(years, q["p50"][idx], color="black", linewidth=1.6, marker="o", markersize=3)
            ax.set_title(placement, fontsize=10)
            top = float(self.np.nanmax(q["p95"][idx])) if idx else 0.0
            ax.set_ylim(0, max(top * 1.08, 1.0))
            self.value_axis(ax, "plans")
            ax.tick_params(axis="y", labelsize=8)
            self.year_axis(ax, self.years, small=True, columns=ncols, census=True)
        for k in range(n, nrows * ncols):
            axes[k // ncols][k % ncols].set_visible(False)
        self.headings(fig, f"EHCP stock by placement — {self.shown(name)}",
                      self.replicates_note() if self.monte_carlo else "deterministic projection")
        fig.supylabel("plans (each panel has its own scale)", fontsize=9.5)
        fig.supxlabel(("line: median; dark grey: 50% band; light grey: 90% band; " if self.monte_carlo else "")
                      + "x axis: the January census of each year", fontsize=9)
        return self.save(fig, stem, f"EHCP stock by placement (plans), {self.shown(name)}", "placement", name)

    # ---- drivers: tornado chart

    def tornado(self, stem, name, metric, drivers):
        parameters = [p for p in drivers.get("parameters") or [] if p.get("srrc") is not None]
        if not parameters:
            return None
        top = sorted(parameters, key=lambda p: -abs(float(p["srrc"])))[:12]
        top.reverse()  # largest at the top
        fig = self.figure()
        ax = fig.add_subplot()
        ys = list(range(len(top)))
        values = [float(p["srrc"]) for p in top]
        span = max(abs(v) for v in values) or 1.0
        raise_handle = lower_handle = None
        for y, v in zip(ys, values):
            if v >= 0:
                raise_handle = ax.barh(y, v, height=0.65, color="0.35", edgecolor="black", linewidth=0.8)
            else:
                lower_handle = ax.barh(y, v, height=0.65, color="white", edgecolor="black", hatch="////",
                                       linewidth=0.8)
        for y, p, v in zip(ys, top, values):
            share = p.get("share")
            if share is None:
                label = f"{v:+.2f}"
            else:
                label = f"{v:+.2f} ({'<1' if float(share) < 0.005 else f'{100 * float(share):.0f}'}%)"
            ax.text(v + (0.04 * span if v >= 0 else -0.04 * span), y, label, va="center",
                    ha="left" if v >= 0 else "right", fontsize=8.5)
        ax.set_yticks(ys)
        words = self.variant(name).get("parameter_labels") or {}
        ax.set_yticklabels([self.wrap(words.get(str(p.get("name", "?")), str(p.get("name", "?"))), 38)
                            for p in top], fontsize=8.5)
        ax.set_ylim(-0.6, len(top) - 0.4)
        ax.axvline(0, color="black", linewidth=1.0)
        ax.set_xlim(-span * 1.5, span * 1.5)
        ax.set_xlabel("standardised rank regression coefficient (SRRC)")
        ax.grid(axis="x", color="0.8", linewidth=0.6)
        ax.set_axisbelow(True)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
        title = DRIVER_PHRASES[metric]
        year, r2, n = drivers.get("year"), drivers.get("r2"), drivers.get("replicates")
        when = ""
        if year is not None:
            when = f" {'at the end of' if metric == 'cumulative_deficit' else 'in'} {fiscal(int(year))}"
        explained = (f"R² = {float(r2):.2f}: the parameters explain {100 * float(r2):.0f}% of the rank variance, "
                     "the rest is year-to-year shocks and chance; " if r2 is not None else "")
        # e.g. "label: SRRC (share = SRRC²); 12 of 16 parameters, 1,000 replicates"
        self.headings(fig, f"What drives the {title}{when} — {self.shown(name)}",
                      f"{explained}label: SRRC (share = SRRC²); {len(top)} of "
                      f"{len(parameters)} parameters" + (f", {int(n):,} replicates" if n else ""))
        handles = [h for h in (raise_handle, lower_handle) if h is not None]
        labels = [l for h, l in ((raise_handle, "higher value raises it"), (lower_handle, "higher value lowers it"))
                  if h is not None]
        self.legend_below(fig, handles, labels, 2)
        return self.save(fig, stem, f"Drivers of the {title}{when}, {self.shown(name)}", "tornado", name)

    # ---- specialist places: demand against capacity

    def places(self, stem, name, entry, data):
        from matplotlib import patheffects
        capacity = self.np.array(series(data.get("capacity") or []))
        demand = data.get("demand") or {}
        if not len(capacity) or not self.np.isfinite(capacity).any() or "p50" not in demand:
            return None
        q = {p: self.np.array(series(demand[p])) for p in ("p5", "p25", "p50", "p75", "p95") if p in demand}
        years = self.years
        fig = self.figure()
        ax = fig.add_subplot()
        handles, labels = [], []
        if self.monte_carlo and len(q) == 5:
            handles.append(ax.fill_between(years, q["p5"], q["p95"], **BAND90))
            labels.append("demand, 90% band")
            handles.append(ax.fill_between(years, q["p25"], q["p75"], **BAND50))
            labels.append("demand, 50% band")
        (line,) = ax.plot(years, q["p50"], **MEDIAN)
        handles.append(line)
        labels.append("demand, median")
        (cap,) = ax.step(years, capacity, where="mid", color="black", linewidth=2.2, linestyle=(0, (2, 1.2)),
                         zorder=6, path_effects=[patheffects.withStroke(linewidth=5, foreground="white")])
        handles.append(cap)
        labels.append("places (capacity)")
        values = self.np.concatenate([q.get("p5", q["p50"]), q.get("p95", q["p50"]), capacity])
        values = values[self.np.isfinite(values)]
        low, high = float(values.min()), float(values.max())
        pad = max(high - low, 1.0)
        ax.set_ylim(max(0.0, low - 0.1 * pad), high + 0.28 * pad)
        for y, p in zip(years, series(data.get("p_shortfall") or [])):
            if math.isfinite(p):
                ax.text(y, high + 0.16 * pad, f"P={p:.2f}", ha="center", va="center", fontsize=8.5,
                        bbox=dict(facecolor="white", edgecolor="0.5", linewidth=0.5, boxstyle="round,pad=0.2"))
        self.year_axis(ax, years, census=True)
        self.value_axis(ax, "places")
        ax.set_ylabel("pupils wanting a place; places")
        overflow = data.get("overflow_to")
        self.headings(fig, f"Places in {entry}: demand against capacity — {self.shown(name)}",
                      "demand before any capacity limit; P = probability that demand exceeds the places"
                      + (f"; the excess goes to {overflow}" if overflow else ""))
        self.legend_below(fig, handles, labels, 4)
        return self.save(fig, stem, f"Places in {entry}: demand against capacity, {self.shown(name)}", "places",
                         name)


_WORKER_CHARTS = None


def _draw_in_worker(job):
    return _WORKER_CHARTS.draw(job)


def _worker_signals():
    # A worker dies on SIGTERM (Pool.terminate relies on it) and leaves Ctrl-C
    # to the parent, which stops the pool and removes the staging directory.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def draw_all(charts, jobs, workers):
    """Draws the jobs, in worker processes when more than one is allowed; results in job order."""
    global _WORKER_CHARTS
    if workers <= 1 or len(jobs) < 4:
        results = [charts.draw(job) for job in jobs]
    else:
        import multiprocessing
        _WORKER_CHARTS = charts
        pool = multiprocessing.get_context("fork").Pool(workers, initializer=_worker_signals)
        try:
            results = pool.map(_draw_in_worker, jobs, chunksize=1)
            pool.close()
        except BaseException:
            pool.terminate()
            raise
        finally:
            pool.join()
            _WORKER_CHARTS = None
    return [r for r in results if r is not None]


# --------------------------------------------------------------------------
# The HTML page

CSS = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #111; max-width: 1240px;
       margin: 1.5em auto; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; } h2 { border-bottom: 2px solid #333; margin-top: 2em; }
h3 { margin-top: 1.6em; }
table { border-collapse: collapse; margin: 0.6em 0 1.2em; font-size: 0.92em; }
th, td { border: 1px solid #999; padding: 0.25em 0.55em; }
th { background: #e8e8e8; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.sub td { color: #444; font-size: 0.92em; border-top: none; }
figure { margin: 1em 0 2em; page-break-inside: avoid; break-inside: avoid; }
figure img { width: 100%; max-width: 1200px; height: auto; border: 1px solid #ccc; }
figcaption { font-size: 0.9em; color: #333; }
.note { background: #f3f3f3; border-left: 4px solid #666; padding: 0.6em 1em; }
code { font-size: 0.95em; }
@media print { body { max-width: none; } h2 { page-break-before: auto; } }
"""


def esc(value):
    return html.escape(str(value), quote=True)


def figure_html(directory, chart):
    with open(os.path.join(directory, chart["png"]), "rb") as f:
        data = base64.b64encode(f.read()).decode("ascii")
    return (f'<figure id="{esc(chart["name"])}"><img alt="{esc(chart["title"])}" width="{chart["width"]}" '
            f'height="{chart["height"]}" src="data:image/png;base64,{data}">'
            f'<figcaption>{esc(chart["title"])}. Files: <code>{esc(chart["png"])}</code>, '
            f'<code>{esc(chart["svg"])}</code>'
            f"</figcaption></figure>\n")


def provenance_html(run, summary, engine, reporter_version, created):
    variants = ", ".join(
        (f"{v['label']} [{v['name']}]" if v.get("label", v["name"]) != v["name"] else v["name"])
        + f" ({level_title(v['level']).lower()}"
        + (f", against {v['compare_to']}" if v["compare_to"] else "") + ")" for v in run["variants"])
    replicates = f"{run['total_replicates']:,}"
    if run["replicates"] != run["total_replicates"]:
        replicates += f" (this file is a shard: replicates {run['first_replicate']:,} to " \
                      f"{run['first_replicate'] + run['replicates'] - 1:,})"
    rows = [
        ("Scenario", run["scenario"]),
        ("Mode", "Monte Carlo" if run["mode"] == "monte_carlo" else run["mode"]),
        ("Seed", str(run["seed"])),
        ("Replicates", replicates),
        ("Years", f"{fiscal(run['years'][0])} (base year, observed) to {fiscal(run['years'][-1])}"),
        ("Variants", variants),
        ("Common random numbers", "on: the variants of a replicate share their random numbers" if run["crn"]
         else "off (--no-crn): each variant has random numbers of its own"),
        ("Engine version (wrote the file)", f"ehcpsim {run['engine_version']}"),
        ("Engine that summarised it", f"{reporter_version} ({engine})"),
        ("File", run["path"]),
        ("File modified", datetime.datetime.fromtimestamp(os.path.getmtime(run["path"])).astimezone()
         .isoformat(timespec="seconds")),
        ("Report created", created),
    ]
    body = "".join(f"<tr><th>{esc(k)}</th><td>{esc(v)}</td></tr>" for k, v in rows)
    return f'<table class="provenance">{body}</table>\n'


def labelled(run, name):
    """A variant's label with its name, "Lower bound (lower)"; the name alone when it has no label."""
    label = next((v.get("label") or name for v in run["variants"] if v["name"] == name), name)
    return name if label == name else f"{label} ({name})"


def headline_html(dbv, run):
    if not dbv or not dbv.get("bounds"):
        return '<p class="note">No variant of this run has a mitigation level, so there is no DBV headline.</p>\n'
    out = [f"<p>Opportunity = unmitigated minus mitigated cumulative deficit at the end of "
           f"{esc(fiscal(int(dbv['horizon'])))}, replicate by replicate; range = stretch minus target "
           f"opportunity. £m; <em>deterministic</em> is the expected-value projection (the spreadsheet's figure); "
           f"<em>var. reduction</em> = (var A + var B) / var(A - B), what common random numbers buy"
           f"{'' if dbv.get('common_random_numbers', True) else ' (off in this run)'}.</p>\n"]
    head = ('<tr><th></th><th>variant</th><th class="n">mean</th><th class="n">p5</th><th class="n">p50</th>'
            '<th class="n">p95</th><th class="n">deterministic</th><th class="n">var. reduction</th></tr>')
    for bound, b in dbv["bounds"].items():
        out.append(f"<h3>Bound: {esc(labelled(run, bound))}</h3>\n<table class=\"dbv-headline\">{head}")
        rows = [(level_title(o.get("level")), labelled(run, name), o)
                for name, o in (b.get("opportunity") or {}).items()]
        r = b.get("range")
        if r:
            rows.append(("Range (stretch - target)", f"{r.get('stretch')} - {r.get('target')}", r))
        for label, name, o in rows:
            vr = o.get("variance_reduction")
            out.append(f"<tr><td>{esc(label)}</td><td>{esc(name)}</td>"
                       + "".join(f'<td class="n">{money_m(o.get(k), 2)}</td>'
                                 for k in ("mean", "p5", "p50", "p95", "deterministic"))
                       + f'<td class="n">{ratio(vr)}</td></tr>')
        out.append("</table>\n")
    return "".join(out)


def dbv_table_html(dbv, run):
    if not dbv or not dbv.get("table"):
        return ""
    table = dbv["table"]
    years = run["years"]
    bounds = dbv.get("bounds") or {}
    groups, placed = [], set()
    for bound, b in bounds.items():
        members = [bound] + list((b.get("opportunity") or {}).keys())
        groups.append((f"Bound {labelled(run, bound)}", [m for m in members if m in table]))
        placed.update(members)
    others = [v for v in table if v not in placed]
    if others:
        groups.append(("Other variants", others))
    head = "<tr><th></th>" + "".join(f'<th class="n">{esc(fiscal(y))}</th>' for y in years) + "</tr>"
    out = ["<p>Median by year in £m, with the 5-95% range and the deterministic projection (the line the "
           "DBV spreadsheet publishes). Expenditure is in-year High Needs spend; the deficit is cumulative "
           "to the end of the year.</p>\n"]
    for title, members in groups:
        out.append(f"<h3>{esc(title)}</h3>\n<table class=\"dbv-table\">{head}")
        for metric, label in (("spend", "expenditure"), ("cumulative_deficit", "cumulative deficit")):
            ordered = ([m for m in members if not mitigated(table[m])]
                       + [m for m in members if mitigated(table[m])])
            for name in ordered:
                entry = table[name]
                level = level_title(entry.get("level"))
                values = entry.get(metric) or {}
                out.append(f"<tr><td>{esc(level)} {esc(label)}: {esc(labelled(run, name))}</td>"
                           + "".join(f'<td class="n">{money_m(v, 1)}</td>' for v in values.get("p50", []))
                           + "</tr>")
                if run["replicates"] > 1 and values.get("p5"):
                    out.append('<tr class="sub"><td>&nbsp;&nbsp;5-95%</td>' + "".join(
                        f'<td class="n">[{money_m(a, 1)}, {money_m(b, 1)}]</td>'
                        for a, b in zip(values.get("p5", []), values.get("p95", []))) + "</tr>")
                if values.get("deterministic"):
                    out.append('<tr class="sub"><td>&nbsp;&nbsp;deterministic</td>' + "".join(
                        f'<td class="n">{money_m(v, 1)}</td>' for v in values["deterministic"]) + "</tr>")
        out.append("</table>\n")
    return "".join(out)


READING_NOTE = """
<div class="note">
<p><strong>How to read a fan chart.</strong> Each chart follows one quantity through the financial years of
the forecast. The model was run many times (the <em>replicates</em>), each a possible future in which demand,
costs and the effect of mitigations turn out differently. The solid line with dots is the <em>median</em>: half
of the simulated futures lie above it, half below. The dark grey band holds the middle half of the futures
(25th to 75th percentile), the light grey band the middle 90% (5th to 95th): one future in twenty lies above
the band, one in twenty below. A wider band means the forecast is less certain. The dashed line with crosses is
the <em>deterministic projection</em>: every uncertain input at its expected value, which is the single line the
DBV spreadsheet shows; it need not lie on the median. The first year is the base year, observed rather than
forecast, so the bands start from a point (new plans have no base-year value). Money is in £ million, cash, at
each year's prices.</p>
<p>The comparison charts put an unmitigated variant and its mitigated variants on one chart: each has its
median (line style and marker differ: solid with dots, dash-dot with squares, dotted with triangles) and its 90%
band (grey fill for the unmitigated variant, hatched outlines for the mitigated ones). Where bands overlap, the
outcomes overlap in some futures; the DBV headline gives the opportunity measured replicate by replicate,
which is much sharper than the overlap of two bands suggests. The charts use no colour, so they print in black
and white.</p>
</div>
"""


def drivers_html(summary, run, charts, directory):
    drivers = summary.get("drivers")
    tornadoes = [c for c in charts if c["section"] == "tornado"]
    if not isinstance(drivers, dict):
        why = ("a deterministic file has no spread to attribute" if run["replicates"] <= 1 else
               "the engine's summary of this file has no \"drivers\" key (an engine without the driver analysis?)")
        return f'<p class="note">No tornado chart: {esc(why)}.</p>\n'
    out = ["<p>Which uncertain parameters move the outcome most: the cumulative deficit at the horizon and spend "
           "in the final year, for each variant. Each parameter's draws and the outcome are ranked over the "
           "replicates and the outcome's ranks regressed on all the parameters' ranks together: the bar is the "
           "parameter's standardised rank regression coefficient (SRRC), positive when a higher value gives a "
           "higher outcome, and SRRC² is the share of the outcome's rank variance it explains. R² is the share the "
           "parameters explain together; the rest is year-to-year shocks and chance in the flows, which the file "
           "does not record per replicate. The 12 parameters with the largest |SRRC| are shown.</p>\n"]
    if drivers.get("method"):
        out.append(f"<p>Method, as the engine names it: {esc(drivers['method'])}.</p>\n")
    missing = []
    for v in run["variants"]:
        per = (drivers.get("variants") or {}).get(v["name"])
        drawn = {c["name"] for c in tornadoes if c["variant"] == v["name"]}
        if not isinstance(per, dict):
            missing.append(f"{v['name']}: no driver analysis in the summary")
        elif not drawn:
            missing.append(f"{v['name']}: {per.get('reason') or 'no parameter to rank'}")
        elif per.get("reason"):
            missing.append(f"{v['name']}: {per['reason']}")
    if missing:
        out.append('<p class="note">No tornado chart for: ' + "; ".join(esc(m) for m in missing) + ".</p>\n")
    for chart in tornadoes:
        out.append(figure_html(directory, chart))
    return "".join(out)


def write_html(directory, run, summary, charts, engine, reporter_version, created, exports=None):
    scenario = run["scenario"]
    by_section = lambda s: [c for c in charts if c["section"] == s]  # noqa: E731
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        f"<title>ehcpsim report: {esc(scenario)}</title>\n",
        f"<meta name=\"generator\" content=\"{esc(reporter_version)}\">\n<style>{CSS}</style>\n</head>\n<body>\n",
        f"<h1>EHCP demand and High Needs deficit: {esc(scenario)}</h1>\n",
        (f"<p>A Monte Carlo forecast by ehcpsim: {run['replicates']:,} replicates, seed {run['seed']}.</p>\n"
         if run["replicates"] > 1 else "<p>A deterministic projection by ehcpsim (every uncertain input at its "
         "expected value): one line per quantity, no uncertainty bands.</p>\n"),
        "<nav><strong>Contents:</strong> <a href=\"#provenance\">provenance</a> · <a href=\"#reading\">how to read"
        "</a> · <a href=\"#headline\">DBV headline</a> · <a href=\"#table\">DBV table</a> · <a href=\"#compare\">"
        "mitigated against unmitigated</a> · <a href=\"#variants\">fan charts by variant</a> · "
        "<a href=\"#confidence\">confidence</a> · <a href=\"#dsg\">DSG plan</a> · "
        "<a href=\"#scap\">specialist places</a> · "
        "<a href=\"#drivers\">drivers</a>" + (" · <a href=\"#places\">places</a>" if by_section("places") else "")
        + f" · <a href=\"brief.html\">the one-page brief</a> · <a href=\"{WORKBOOK}\">the workbook (Excel)</a>"
        + "</nav>\n",
        "<h2 id=\"provenance\">Provenance</h2>\n",
        provenance_html(run, summary, engine, reporter_version, created),
        "<h2 id=\"reading\">How to read the charts</h2>\n", READING_NOTE,
        "<h2 id=\"headline\">DBV headline: cumulative opportunity"
        + (f" to {esc(fiscal(int(summary['dbv']['horizon'])))}" if summary.get("dbv") else "") + " (£m)</h2>\n",
        headline_html(summary.get("dbv"), run),
        "<h2 id=\"table\">DBV table: expenditure and cumulative deficit by year (£m)</h2>\n",
        dbv_table_html(summary.get("dbv"), run) or "<p class=\"note\">No DBV table in the summary.</p>\n",
        "<h2 id=\"compare\">Mitigated against unmitigated</h2>\n",
    ]
    compare = by_section("compare")
    if compare:
        parts += [figure_html(directory, c) for c in compare]
    else:
        parts.append("<p class=\"note\">No variant of this run is compared with an unmitigated one.</p>\n")
    parts.append("<h2 id=\"variants\">Fan charts by variant</h2>\n")
    for v in run["variants"]:
        mine = [c for c in charts if c["variant"] == v["name"] and c["section"] in ("fan", "placement")]
        if not mine:
            continue
        level = level_title(v["level"])
        parts.append(f"<h3 id=\"variant-{esc(safe_name(v['name']))}\">{esc(v.get('label') or v['name'])} "
                     f"({esc(level.lower())}"
                     + (f", against {esc(v['compare_to'])}" if v["compare_to"] else "") + ")</h3>\n")
        parts += [figure_html(directory, c) for c in mine]
    parts.append("<h2 id=\"confidence\">Confidence: how likely is a deficit above an amount, and funding "
                 "against spend</h2>\n<p>The exceedance charts read like this: pick an amount on the horizontal "
                 "axis; the height of a variant's line there is the share of the simulated futures in which the "
                 "cumulative deficit is larger. The funding charts set each year's High Needs allocation against "
                 f"the year's spend. Every number is also in <a href=\"{WORKBOOK}\">the workbook</a>.</p>\n")
    confidence = by_section("confidence")
    parts += [figure_html(directory, c) for c in confidence] or [
        "<p class=\"note\">No confidence chart for this file.</p>\n"]
    shown = lambda name: labelled(run, name)  # noqa: E731
    named = lever_labels(run)
    parts += ["<h2 id=\"levers\">Each lever's worth</h2>\n",
              levers_html((exports or {}).get("levers", ""), shown, lambda lever: named.get(lever, lever))]
    parts += ["<h2 id=\"dsg\">DSG deficit management plan lines (£m)</h2>\n",
              dsg_html((exports or {}).get("dsg", ""), shown),
              "<h2 id=\"scap\">Specialist places (SCAP)</h2>\n",
              scap_html((exports or {}).get("scap", ""), shown)]
    parts.append("<h2 id=\"drivers\">What drives the uncertainty</h2>\n")
    parts.append(drivers_html(summary, run, charts, directory))
    places = by_section("places")
    if places:
        parts.append("<h2 id=\"places\">Places: demand against capacity</h2>\n<p>Pupils wanting a place, before any "
                     "capacity limit, against the places available (dashed steps). P is the probability that demand "
                     "exceeds the places that year.</p>\n")
        parts += [figure_html(directory, c) for c in places]
    parts.append(f"<hr><p><small>Made by <code>{esc(GENERATOR)}</code> ({esc(reporter_version)}) on "
                 f"{esc(created)} from <code>{esc(run['path'])}</code>. Every chart is also in this directory as PNG "
                 f"({PNG_WIDTH} x {PNG_HEIGHT} pixels) and SVG.</small></p>\n</body>\n</html>\n")
    with open(os.path.join(directory, "index.html"), "w", encoding="utf-8") as f:
        f.write("".join(parts))


# --------------------------------------------------------------------------


def build(staging, path, engine, workers, plt, np, h5py, exceedance_year=None):
    run = read_ensemble(path, h5py, np)
    summary = engine_summary(engine, path)
    reporter_version = engine_version(engine, path)
    created = datetime.datetime.now().astimezone().isoformat(timespec="seconds")
    if exceedance_year is None and len(run["years"]) > 3:  # by default the middle of the forecast years
        exceedance_year = run["years"][(len(run["years"]) + 1) // 2 - 1]
    elif exceedance_year is not None and exceedance_year not in run["years"][1:]:
        raise ReportError(f"--year {exceedance_year}: not a forecast year of {path} "
                          f"({run['years'][1] if len(run['years']) > 1 else '-'} to {run['years'][-1]}, "
                          "the year a financial year ends)")
    # The workbook of every view, by the engine (temp-then-rename there; here inside the staging directory).
    engine_output(engine, ["summary", path, "--xlsx", os.path.join(staging, WORKBOOK)], path)
    charts = Charts(staging, run, summary, plt, np, exceedance_year)
    drawn = draw_all(charts, charts.plan(), workers)
    exports = {view: engine_output(engine, ["summary", path, f"--{view}"], path) for view in ("dsg", "scap")}
    exports["levers"] = engine_output(engine, ["summary", path, "--levers", "--format", "csv"], path)
    write_html(staging, run, summary, drawn, engine, reporter_version, created, exports)
    write_brief(staging, run, summary, drawn, created, exports["levers"])
    manifest = {
        "generator": GENERATOR, "file": run["path"], "scenario": run["scenario"], "seed": run["seed"],
        "replicates": run["replicates"], "engine_version": run["engine_version"], "created": created,
        "charts": drawn,
    }
    with open(os.path.join(staging, MANIFEST), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    return drawn


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="report.py", description="Fan charts, tornado charts and a self-contained HTML page (index.html) "
        "from an ehcpsim ensemble file. See docs/report.md.",
        epilog="Exit codes: 0 success; 2 usage error; 3 runtime or I/O error; 130 interrupted.")
    parser.add_argument("file", help="ensemble HDF5 file written by `ehcpsim run -o`")
    parser.add_argument("-o", "--output", required=True, help="directory to write the report to (must not exist, "
                        "or be empty, unless --overwrite)")
    parser.add_argument("--ehcpsim", help="the ehcpsim engine used for the summary (default: build/ehcpsim, "
                        "then PATH)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing report directory")
    parser.add_argument("--year", type=int, help="the year of the second exceedance chart (the year a financial "
                        "year ends: 2026 = 2025-26; default: the middle forecast year); the first is the horizon")
    parser.add_argument("--jobs", type=int, default=min(os.cpu_count() or 1, 4),
                        help="charts drawn in parallel (default: the number of CPUs, at most 4)")
    args = parser.parse_args(argv)

    signal.signal(signal.SIGTERM, on_terminate)
    staging = None
    try:
        missing = ("the report needs Debian's /usr/bin/python3 with python3-matplotlib, python3-h5py, "
                   "python3-numpy and python3-pil (apt-get install python3-matplotlib python3-h5py)")
        try:
            import numpy as np
            import h5py
        except ImportError as e:
            raise ReportError(f"{e}: {missing}") from None
        path = args.file
        target = os.path.abspath(args.output.rstrip("/") or "/")
        # A foreign file or an occupied directory is refused before anything is
        # touched, and before matplotlib (the slow import) is loaded.
        read_ensemble(path, h5py, np)
        check_target(target, args.overwrite)
        try:
            import matplotlib
            matplotlib.use("Agg")
            import matplotlib.pyplot as plt
            if importlib.util.find_spec("PIL") is None:  # matplotlib's own dependency; writes the PNGs
                raise ImportError("No module named 'PIL'")
        except ImportError as e:
            raise ReportError(f"{e}: {missing}") from None
        matplotlib.rcParams.update({
            "svg.hashsalt": "ehcpsim",   # reproducible SVG ids
            "text.parse_math": False,    # a "$" in a scenario or variant name is just a dollar sign
            "svg.fonttype": "path",      # text as paths: renders the same everywhere
            "font.family": "DejaVu Sans",
            "font.size": 10,
            "hatch.linewidth": 0.7,
            "axes.titlesize": 10,
            # Each chart asks for its layout itself; none comes from a matplotlibrc
            # (Charts.save removes the layout engine with set_layout_engine(None)).
            "figure.autolayout": False,
            "figure.constrained_layout.use": False,
        })
        if args.ehcpsim:
            engine = os.path.abspath(args.ehcpsim) if os.sep in args.ehcpsim else shutil.which(args.ehcpsim)
            if not engine:
                raise ReportError(f"--ehcpsim {args.ehcpsim}: not found on PATH")
        else:
            engine = default_engine()
        staging = tempfile.mkdtemp(prefix=f".{os.path.basename(target)}.tmp-", dir=os.path.dirname(target))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)
        charts = build(staging, path, engine, max(1, args.jobs), plt, np, h5py, args.year)
        move_into_place(staging, target)
        staging = None
        print(f"wrote {len(charts)} chart(s) (PNG and SVG), index.html, brief.html and {WORKBOOK} to {target}")
        return EXIT_OK
    except ReportError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_RUNTIME
    except (KeyboardInterrupt, Interrupted):
        print("\nerror: interrupted; no report written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except OSError as e:
        print(f"error: {e}", file=sys.stderr)
        return EXIT_RUNTIME
    except Exception:  # a bug: say where, and still leave nothing half-written
        import traceback
        traceback.print_exc()
        print(f"error: internal error in {os.path.basename(__file__)} on {args.file}; no report written",
              file=sys.stderr)
        return EXIT_RUNTIME
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
