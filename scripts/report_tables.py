"""The report's DSG plan, SCAP and lever-worth tables (docs/report.md): the
engine's own exports (`ehcpsim summary FILE --dsg`, `--scap`, `--levers
--format csv`) set out on the page, the same numbers as the workbook's sheets
of those names."""

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


def lever_worth_rows(text):
    """{variant: {"opportunity": row, "levers": [(lever, alone row, share row, percent row)]}} of the CSV."""
    worth = {}
    for r in rows_of(text):
        v = worth.setdefault(r["variant"], {"compare_to": r["compare_to"], "opportunity": None, "levers": {}})
        if r["measure"] == "opportunity":
            v["opportunity"] = r
        else:
            key = (r["measure"], r["units"])
            v["levers"].setdefault(r["lever"], {})[key] = r
    return worth


def levers_html(text, shown, lever_shown=lambda lever: lever):
    """Per mitigated variant, each lever's worth (£m): on its own, and its Shapley share (median, P10-P90, % of
    the variant's opportunity). Empty when the file has no lever worth (run without --lever-worth)."""
    worth = lever_worth_rows(text)
    if not worth:
        return ('<p class="note">Each lever\'s worth is not in this file: run the scenario with '
                '<code>--lever-worth</code> to compute it.</p>\n')
    out = ["<p>What each lever of a mitigated variant saves by the horizon, in £m. <em>On its own</em>: the saving "
           "with only that lever in force. <em>Share</em>: the lever's part of the variant's whole saving, averaged "
           "over every order of adding the levers (the Shapley value), so the shares add up to the whole, in every "
           "simulated future. All under the same simulated futures (common random numbers).</p>\n"]
    for variant, v in worth.items():
        against = f" against {esc(shown(v['compare_to']))}" if v["compare_to"] else ""
        out.append(f"<h3>{esc(shown(variant))}{against}</h3>\n<table class=\"levers\"><tr><th>lever</th>"
                   '<th class="n">on its own (mean)</th><th class="n">share (median)</th>'
                   '<th class="n">share P10 to P90</th><th class="n">% of the saving (mean)</th></tr>')
        for lever, r in v["levers"].items():
            alone, share, pct = r.get(("alone", "GBP"), {}), r.get(("share", "GBP"), {}), r.get(("share", "percent"), {})
            p = "–" if pct.get("mean") in (None, "", "nan") else f"{float(pct['mean']):.0f}%"
            out.append(f"<tr><td>{esc(lever_shown(lever))}</td><td class=\"n\">{money_m(alone.get('mean'))}</td>"
                       f"<td class=\"n\">{money_m(share.get('p50'))}</td>"
                       f"<td class=\"n\">{money_m(share.get('p10'))} to {money_m(share.get('p90'))}</td>"
                       f"<td class=\"n\">{p}</td></tr>")
        o = v["opportunity"] or {}
        out.append(f"<tr><td><strong>the variant's saving</strong></td><td></td>"
                   f"<td class=\"n\"><strong>{money_m(o.get('p50'))}</strong></td>"
                   f"<td class=\"n\">{money_m(o.get('p10'))} to {money_m(o.get('p90'))}</td><td class=\"n\">100%</td></tr>"
                   "</table>\n")
    return "".join(out)


def lever_labels(run):
    """{lever: its label} from the parameters' labels ("mitigations.<lever>.target" labelled "<label>: effect at
    target"), for the levers a scenario labels; others keep their names."""
    labels = {}
    for variant in run.get("variants") or []:
        for name, label in (variant.get("parameter_labels") or {}).items():
            parts = name.split(".")
            if len(parts) >= 3 and parts[0] == "mitigations" and label and ": " in label:
                labels.setdefault(parts[1], label.rsplit(": ", 1)[0])
    return labels

