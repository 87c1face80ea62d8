"""The members' brief (brief.html, docs/report.md): one A4 page in plain
words, written by report.py beside index.html. The headline (the deficit
each unmitigated forecast reaches, with its range), one fan chart, what each
mitigated variant is worth, and what drives the uncertainty. Print it from
a browser (its @media print rules fit one A4 page) or open it as it is.

Each lever's own worth is shown for the first mitigated variant when the
file was run with --lever-worth (the engine's `summary --levers` CSV)."""

import base64
import html
import math
import os

from report_tables import lever_labels, lever_worth_rows

CSS = """
body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #111; max-width: 190mm;
       margin: 1em auto; padding: 0 1em; line-height: 1.35; font-size: 10.5pt; }
h1 { font-size: 15pt; margin: 0 0 0.15em; } h2 { font-size: 11.5pt; margin: 0.8em 0 0.25em;
     border-bottom: 1.5px solid #333; }
p { margin: 0.3em 0; } ul { margin: 0.2em 0 0.2em 1.2em; padding: 0; } li { margin: 0.15em 0; }
.lead { font-size: 11.5pt; } .small { font-size: 8.5pt; color: #333; }
figure { margin: 0.4em 0; } figure img { width: 100%; max-width: 165mm; height: auto; border: 1px solid #bbb; }
@page { size: A4; margin: 12mm; }
@media print { body { margin: 0; padding: 0; max-width: none; font-size: 9.5pt; }
               figure img { max-width: 110mm; } h2 { break-after: avoid; } li { margin: 0.05em 0; } }
"""


def esc(value):
    return html.escape(str(value), quote=True)


def fiscal(year):
    return f"{year - 1}-{year % 100:02d}"


def millions(value):
    """£12.3m; a negative amount as -£1.2m."""
    if value is None or not math.isfinite(float(value)):
        return "not known"
    value = float(value) / 1e6
    return f"{'-' if value < 0 else ''}£{abs(value):,.1f}m"


def shown(run, name):
    for v in run["variants"]:
        if v["name"] == name:
            return v.get("label") or name
    return name


def headline(run, dbv):
    """One sentence per unmitigated variant in the DBV table."""
    horizon = fiscal(int(dbv["horizon"]))
    out = []
    for name, entry in (dbv.get("table") or {}).items():
        if entry.get("level", "none") != "none":
            continue
        deficit = entry.get("cumulative_deficit") or {}
        p50, p5, p95 = (deficit.get(k, [None])[-1] for k in ("p50", "p5", "p95"))
        sentence = (f"<strong>{esc(shown(run, name))}:</strong> by the end of {horizon} the High Needs deficit "
                    f"is forecast to reach <strong>{millions(p50)}</strong>")
        if run["replicates"] > 1 and p5 is not None:
            sentence += (f"; in nine futures out of ten it lies between {millions(p5)} and {millions(p95)}")
        out.append(f"<li>{sentence}.</li>")
    return "<ul>" + "".join(out) + "</ul>" if out else ""


def opportunities(run, dbv):
    horizon = fiscal(int(dbv["horizon"]))
    out = []
    for bound, b in (dbv.get("bounds") or {}).items():
        for name, o in (b.get("opportunity") or {}).items():
            p50, p5, p95 = o.get("p50"), o.get("p5"), o.get("p95")
            if p50 is None:
                continue
            verb = "lower" if float(p50) >= 0 else "higher"
            text = (f"<strong>{esc(shown(run, name))}</strong>: the deficit at the end of {horizon} is "
                    f"<strong>{millions(abs(float(p50)))} {verb}</strong> than {esc(shown(run, bound))} "
                    f"(median)")
            if run["replicates"] > 1 and p5 is not None and p95 is not None:
                text += f"; in nine futures out of ten the difference is between {millions(p5)} and {millions(p95)}"
            out.append(f"<li>{text}.</li>")
    return "<ul>" + "".join(out) + "</ul>" if out else ""


def lever_worth(run, levers_csv):
    """Plain words for the first mitigated variant with lever worth: each lever's share of its saving."""
    worth = lever_worth_rows(levers_csv or "")
    if not worth:
        return ""
    variant, v = next(iter(worth.items()))
    o = v["opportunity"] or {}
    if o.get("p50") in (None, "", "nan"):
        return ""
    items = []
    named = lever_labels(run)
    ranked = sorted(v["levers"].items(), key=lambda kv: -abs(float(kv[1].get(("share", "GBP"), {}).get("mean") or 0)))
    for lever, r in ranked:
        share, pct = r.get(("share", "GBP"), {}), r.get(("share", "percent"), {})
        if share.get("p50") in (None, "", "nan"):
            continue
        words = (f"<strong>{esc(named.get(lever, lever))}</strong>: {millions(float(share['p50']))}")
        if pct.get("mean") not in (None, "", "nan"):
            words += f", about {float(pct['mean']):.0f}% of the saving"
        items.append(f"<li>{words}</li>")
    if len(items) > 5:  # one page: the four largest, then the rest together
        rest = ranked[4:]
        total = sum(float(r.get(("share", "GBP"), {}).get("p50") or 0) for _, r in rest)
        pct = sum(float(r.get(("share", "percent"), {}).get("mean") or 0) for _, r in rest)
        items = items[:4] + [f"<li>the other {len(rest)} levers together: about {millions(total)} "
                             f"(sum of their medians), about {pct:.0f}% of the saving</li>"]
    return (f"<p>Of the {millions(float(o['p50']))} that {esc(shown(run, variant))} saves (median), each lever's "
            "part (the shares add up to the whole in every simulated future):</p>"
            f"<ul>{''.join(items)}</ul>")


def drivers(run, summary):
    d = summary.get("drivers")
    if not isinstance(d, dict) or not run["variants"]:
        return ""
    base = run["variants"][0]
    fit = ((d.get("variants") or {}).get(base["name"]) or {}).get("cumulative_deficit") or {}
    parameters = [p for p in fit.get("parameters") or [] if p.get("share") is not None][:3]
    if not parameters:
        return ""
    words = base.get("parameter_labels") or {}
    items = []
    for p in parameters:
        direction = "a higher value means a bigger deficit" if float(p["srrc"]) > 0 else \
            "a higher value means a smaller deficit"
        items.append(f"<li><strong>{esc(words.get(p['name'], p['name']))}</strong>: about "
                     f"{100 * float(p['share']):.0f}% of the spread ({direction})</li>")
    r2 = fit.get("r2")
    rest = (f"<p class=\"small\">Together the uncertain inputs explain about {100 * float(r2):.0f}% of the spread "
            "in the forecast deficit; the rest is year-to-year chance in requests, new plans and costs.</p>"
            if r2 is not None else "")
    return (f"<p>What makes the deficit of {esc(shown(run, base['name']))} uncertain, most first:</p>"
            f"<ul>{''.join(items)}</ul>{rest}")


def fan_chart(directory, charts, run):
    """The baseline's cumulative deficit fan chart, embedded."""
    base = run["variants"][0]["name"] if run["variants"] else None
    for chart in charts:
        if chart["section"] == "fan" and chart["variant"] == base and chart["name"].endswith("cumulative_deficit"):
            with open(os.path.join(directory, chart["png"]), "rb") as f:
                data = base64.b64encode(f.read()).decode("ascii")
            return (f'<figure><img alt="{esc(chart["title"])}" src="data:image/png;base64,{data}"></figure>')
    return ""


def write_brief(directory, run, summary, charts, created, levers_csv=""):
    dbv = summary.get("dbv") or {}
    parts = [
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n",
        f"<title>Brief: {esc(run['scenario'])}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        f"<h1>High Needs forecast in brief: {esc(run['scenario'])}</h1>\n",
        f"<p class=\"small\">Forecast years {fiscal(run['years'][1]) if len(run['years']) > 1 else ''} to "
        f"{fiscal(run['years'][-1])} (financial years, April to March); money in cash at each year's prices. "
        + (f"{run['replicates']:,} simulated futures." if run["replicates"] > 1 else
           "One expected-value projection (no uncertainty ranges).") + "</p>\n",
    ]
    if dbv.get("table"):
        parts += ["<h2>The headline</h2>\n", headline(run, dbv)]
    fan = fan_chart(directory, charts, run)
    if fan:
        parts += ["<h2>The deficit year by year</h2>\n", fan,
                  "<p class=\"small\">The line is the middle forecast; the dark band holds half of the simulated "
                  "futures, the light band nine in ten.</p>\n"]
    opp = opportunities(run, dbv) if dbv.get("bounds") else ""
    if opp:
        parts += ["<h2>What the mitigations are worth</h2>\n", opp]
    worth = lever_worth(run, levers_csv)
    if worth:
        parts += ["<h2>What each lever is worth</h2>\n", worth]
    why = drivers(run, summary)
    if why:
        parts += ["<h2>What drives the uncertainty</h2>\n", why]
    parts.append(f"<p class=\"small\">ehcpsim {esc(run['engine_version'])}, seed {run['seed']}; made {esc(created)}. "
                 "The full report (index.html) and the workbook (workbook.xlsx) beside this page give every "
                 "number.</p>\n</body>\n</html>\n")
    with open(os.path.join(directory, "brief.html"), "w", encoding="utf-8") as f:
        f.write("".join(parts))
