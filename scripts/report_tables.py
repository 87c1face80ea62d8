"""The report's DSG plan and SCAP tables (docs/report.md): the engine's own
exports (`ehcpsim summary FILE --dsg`, `--scap`, CSV) set out by year on the
page, the same numbers as the workbook's sheets of those names."""

import csv
import html
import io

DSG_LINES = {  # the export's lines, in its order, as the page names them
    "high_needs_spend": "High Needs spend",
    "funding": "Funding",
    "in_year_position": "In-year position (surplus +, deficit -)",
    "cumulative_position": "Cumulative position (surplus +, deficit -)",
    "mitigation_saving_in_year": "Saving in the year against the unmitigated variant",
    "mitigation_cumulative_saving": "Cumulative saving against the unmitigated variant",
}


def esc(value):
    return html.escape(str(value), quote=True)


def rows_of(text):
    return list(csv.DictReader(io.StringIO(text)))


def money_m(text):
    return "–" if text in ("", None) else f"{float(text) / 1e6:.2f}"


def places(text):
    return "–" if text in ("", None) else f"{float(text):,.0f}"


def dsg_html(text, shown):
    """Per variant, the median of each line by financial year (£m, two decimals)."""
    rows = rows_of(text)
    if not rows:
        return '<p class="note">No DSG plan lines in the summary.</p>\n'
    years = sorted({r["financial_year"] for r in rows})
    out = ["<p>The lines of the DfE's DSG deficit management plan, by financial year: the median over the "
           "simulated futures in £m (two decimals), positions with the DfE's sign (a deficit is negative). The "
           "workbook's <em>DSG plan</em> sheet has the mean, the quantiles and the deterministic line.</p>\n"]
    head = "<tr><th></th>" + "".join(f'<th class="n">{esc(y)}</th>' for y in years) + "</tr>"
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    for variant in variants:
        mine = [r for r in rows if r["variant"] == variant]
        out.append(f"<h3>{esc(shown(variant))}</h3>\n<table class=\"dsg\">{head}")
        for line, title in DSG_LINES.items():
            by_year = {r["financial_year"]: r for r in mine if r["line"] == line}
            if not by_year:
                continue
            out.append(f"<tr><td>{esc(title)}</td>"
                       + "".join(f'<td class="n">{money_m(by_year.get(y, {}).get("p50"))}</td>' for y in years)
                       + "</tr>")
        out.append("</table>\n")
    return "".join(out)


def scap_html(text, shown):
    """Per variant, specialist places to provide for 80% confidence, by phase and census year."""
    rows = rows_of(text)
    if not rows:
        return '<p class="note">No specialist demand in the summary.</p>\n'
    years = sorted({int(r["year"]) for r in rows})
    out = ["<p>Demand for specialist places (the placements the scenario counts as specialist) by phase, at the "
           "January census of each year: the places that meet demand in 80% of the simulated futures (whole "
           "places, rounded up). The workbook's <em>SCAP</em> sheet has the mean and the 50% and 95% figures.</p>\n"]
    head = "<tr><th></th>" + "".join(f'<th class="n">Jan {y}</th>' for y in years) + "</tr>"
    for variant in dict.fromkeys(r["variant"] for r in rows):
        mine = [r for r in rows if r["variant"] == variant]
        out.append(f"<h3>{esc(shown(variant))}</h3>\n<table class=\"scap\">{head}")
        for phase in dict.fromkeys(r["phase"] for r in mine):
            by_year = {int(r["year"]): r for r in mine if r["phase"] == phase}
            out.append(f"<tr><td>{esc(phase)}</td>"
                       + "".join(f'<td class="n">{places(by_year.get(y, {}).get("p80"))}</td>' for y in years)
                       + "</tr>")
        out.append("</table>\n")
    return "".join(out)
