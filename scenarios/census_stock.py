"""The January census of one authority from the shipped SEN2 panel, as a scenario's base stock.

Shared by scenarios/halton/make_tables.py and scenarios/west_berkshire/make_tables.py.
Standard library only; deterministic (no random numbers).

The panel (data/sen2_la/panel.csv; DfE "Education, health and care plans", Open Government
Licence v3.0) gives margins, not cells: the census total, the total by placement group, by
single year of age (January 2024 and 2025 only) and by primary need (January 2025 only). A
scenario needs the cross-table age x need x placement. `census_stock` fills it by iterative
proportional fitting (IPF) of a seed table (the scenario's own assumed shape) to:

* the census total of the base year, exactly;
* the census placement groups of the base year, exactly (each placement's cells are rounded
  by largest remainder to its census count);
* the age shape of a census with single years of age (the base year's, or the nearest one
  published), scaled to the total;
* the need shape of the January 2025 census (the only one by need), scaled to the total.

The age and need targets are shapes, rounded to whole plans only through the cells, so they
hold to within a few plans; the total and the placements are exact.
"""
import csv
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PANEL = os.path.join(ROOT, "data", "sen2_la", "panel.csv")

# Panel placement groups -> the scenarios' placements (as `ehcpsim calibrate` maps them).
PLACEMENT_GROUP = {
    "mainstream": "mainstream", "resourced_unit": "resourced", "special_maintained": "mss",
    "special_independent": "inmss", "post16": "post16_fe", "early_years": "early_years",
    "ap": "ap", "other": "other",
}


def read_panel(la_code, path=PANEL):
    """{(year, measure, breakdown): value} for one authority."""
    out = {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            if row["la_code"] == la_code:
                out[(int(row["year"]), row["measure"], row["breakdown"])] = int(row["value"])
    return out


def census(panel, year):
    """The January `year` stock total."""
    return panel[(year, "stock", "all")]


def stock_by(panel, year, kind):
    """{key: count} of the January `year` stock by `kind` ('placement', 'age' or 'need')."""
    out = {}
    for (y, m, b), v in panel.items():
        if y == year and m == "stock" and b.startswith(kind + ":"):
            out[b.split(":", 1)[1]] = v
    return out


def single_age_shape(panel, year, ages):
    """Shares by single year of age of the January `year` census (age:0-2 spread evenly over 0-2)."""
    counts = dict.fromkeys(ages, 0.0)
    for key, v in stock_by(panel, year, "age").items():
        if key == "unknown":
            continue
        lo, hi = (int(x) for x in key.split("-")) if "-" in key else (int(key), int(key))
        for a in range(lo, hi + 1):
            if a in counts:
                counts[a] += v / (hi - lo + 1)
    total = sum(counts.values())
    return {a: c / total for a, c in counts.items()}


def largest_remainder(x, total):
    """Round non-negative reals x to integers summing to total (ties broken by position)."""
    s = sum(x)
    scaled = [v * total / s for v in x] if s > 0 else [0.0] * len(x)
    fl = [int(v) for v in scaled]
    rem = total - sum(fl)
    order = sorted(range(len(x)), key=lambda i: -(scaled[i] - fl[i]))
    for i in order[:rem]:
        fl[i] += 1
    return fl


def ipf(seed, targets, iterations=500):
    """Rake seed {(a, n, p): w} to targets [(axis, {key: total})] in turn until they hold."""
    cells = dict(seed)
    for _ in range(iterations):
        worst = 0.0
        for axis, target in targets:
            sums = {}
            for k, w in cells.items():
                sums[k[axis]] = sums.get(k[axis], 0.0) + w
            for k in cells:
                t, s = target.get(k[axis], 0.0), sums[k[axis]]
                cells[k] = cells[k] * t / s if s > 0 else 0.0
            for key, t in target.items():
                worst = max(worst, abs(sums.get(key, 0.0) - t) / max(t, 1.0))
        if worst < 1e-10:
            break
    return cells


def census_stock(panel, year, seed, age_year, need_year=2025):
    """Whole-plan cells {(age, need, placement): count} meeting the January `year` census.

    seed: {(age, need, placement): weight}, the assumed shape. A census placement the seed has
    no cells for cannot be filled: that is an error, never a silent drop."""
    total = census(panel, year)
    by_placement = {}
    for group, v in stock_by(panel, year, "placement").items():
        by_placement[PLACEMENT_GROUP[group]] = by_placement.get(PLACEMENT_GROUP[group], 0) + v
    assert sum(by_placement.values()) == total, ("placement groups do not sum to the total", year)
    ages = sorted({k[0] for k in seed})
    age_target = {a: s * total for a, s in single_age_shape(panel, age_year, ages).items()}
    needs = stock_by(panel, need_year, "need")
    needs.pop("unknown", None)
    need_total = sum(needs.values())
    need_target = {n: v * total / need_total for n, v in needs.items()}
    # A small floor on every seed cell of an age x placement pair the seed allows keeps IPF
    # from being stuck where the census puts plans the seed's shape has almost none of.
    seed = {k: w + 1e-6 for k, w in seed.items()}
    for p in by_placement:
        assert any(k[2] == p for k in seed), ("census placement not in the seed", p)
    cells = ipf(seed, [(2, by_placement), (0, age_target), (1, need_target)])
    # Whole plans in two stages, so that small needs are not rounded away cell by cell: each
    # placement's need totals by largest remainder to its census count, then each
    # (placement, need) total over its ages.
    out = {}
    for p, n_p in by_placement.items():
        need_keys = sorted({k[1] for k in cells if k[2] == p})
        need_w = [sum(w for k, w in cells.items() if k[2] == p and k[1] == n) for n in need_keys]
        for n, n_pn in zip(need_keys, largest_remainder(need_w, n_p)):
            keys = sorted(k for k in cells if k[2] == p and k[1] == n)
            for k, c in zip(keys, largest_remainder([cells[k] for k in keys], n_pn)):
                if c > 0:
                    out[k] = c
    return out, {"total": total, "placement": by_placement, "age": age_target, "need": need_target}


def margins(cells, axis):
    out = {}
    for k, c in cells.items():
        out[k[axis]] = out.get(k[axis], 0) + c
    return out
