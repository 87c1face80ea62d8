#!/usr/bin/python3
"""Generate stock.csv and population.csv for the West Berkshire scenario.

Usage: /usr/bin/python3 make_tables.py [OUTDIR]   (default: this file's directory)

stock.csv  (age,need,placement,count): West Berkshire's January 2024 EHCP census from
  the shipped SEN2 panel (data/sen2_la/panel.csv, E06000037; DfE 'Education, health and
  care plans', Open Government Licence v3.0): 1,531 plans, each placement group and the
  single-year age shape as published for January 2024, needs shaped like its January
  2025 census (the only one by need). The cells are filled by iterative proportional
  fitting (../census_stock.py) of a seed shape P(age) x P(placement | age) x
  P(need | placement): P(age) the national January 2024 SEN2 stock by single year of
  age, the placement and need shares ASSUMED (see NOTES.md). Total and placements exact;
  ages and needs to within rounding.
population.csv (year,age,population): West Berkshire residents aged 0..25, ASSUMED
  (no population table in the source papers), see NOTES.md.
Deterministic: no random numbers.  Standard library only.
"""
import csv
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import census_stock  # noqa: E402

LA_CODE = "E06000037"   # West Berkshire in the panel
BASE_YEAR = 2024
AGES = list(range(0, 26))
NEEDS = ["ASD", "SEMH", "SLCN", "MLD", "SpLD", "SLD", "PMLD", "PD", "HI", "VI", "MSI", "OTH"]
PLACEMENTS = ["mainstream", "resourced", "mss", "inmss", "post16_fe", "early_years", "ap", "other"]

# National January 2024 EHCP stock by single year of age (england_sen2/stock_age.csv).
NATIONAL_STOCK_AGE_2024 = [160.33, 160.33, 160.33, 4576, 21470, 24832, 27548, 30267, 31901, 33986,
                           38631, 43228, 42652, 42113, 41029, 39587, 36769, 32760, 26263, 19210,
                           13611, 9317, 6326, 3847, 2100, 325]


# P(placement | age), ASSUMED (the seed gives no placement split).  National SEN2
# pattern (about 40% of plans in mainstream schools, 30% in special schools, 6% in
# independent special schools) with a larger independent / non-maintained share, as
# West Berkshire's pressure is in specialist and independent placements and local
# special capacity is being built up (seed 002:36, 002:104).  Resourced provision is
# small (a new 12-place secondary unit is only planned for 2025/26, 002:36).
def placement_share(age):
    z = dict.fromkeys(PLACEMENTS, 0.0)
    if age <= 3:
        z.update(early_years=0.97, other=0.03)
    elif age == 4:   # reception year: many already in school
        z.update(early_years=0.40, mainstream=0.35, resourced=0.03, mss=0.18, other=0.04)
    elif age <= 10:
        z.update(mainstream=0.52, resourced=0.06, mss=0.27, inmss=0.06, ap=0.02, other=0.07)
    elif age <= 15:
        z.update(mainstream=0.38, resourced=0.05, mss=0.32, inmss=0.13, ap=0.05, other=0.07)
    elif age <= 18:
        z.update(post16_fe=0.46, mss=0.21, inmss=0.11, mainstream=0.10, resourced=0.01, ap=0.01, other=0.10)
    else:
        z.update(post16_fe=0.64, inmss=0.10, mss=0.02, other=0.24)
    s = sum(z.values())
    assert abs(s - 1) < 1e-9, (age, s)
    return z


def nd(**kw):
    z = dict.fromkeys(NEEDS, 0.0)
    z.update(kw)
    s = sum(z.values())
    assert abs(s - 1) < 1e-9, (kw, s)
    return z


# P(need | placement), ASSUMED from the national SEN2 pattern by provision type, with
# SEMH weighted up in independent schools, AP and "other" (West Berkshire's SEMH and
# emotionally based school avoidance pressures, seed 002:27, 002:36, 002:39).
NEED_GIVEN_PLACEMENT = {
    "mainstream":  nd(ASD=.26, SEMH=.20, SLCN=.26, MLD=.10, SpLD=.06, SLD=.01, PD=.04, HI=.03, VI=.01, MSI=.005, OTH=.025),
    "resourced":   nd(ASD=.40, SEMH=.15, SLCN=.25, MLD=.10, SpLD=.02, SLD=.02, PD=.02, HI=.02, VI=.005, MSI=.005, OTH=.01),
    "mss":         nd(ASD=.36, SEMH=.12, SLCN=.08, MLD=.14, SLD=.15, PMLD=.06, PD=.04, HI=.01, VI=.01, MSI=.01, OTH=.02),
    "inmss":       nd(ASD=.42, SEMH=.36, SLCN=.05, MLD=.04, SLD=.04, PMLD=.02, PD=.02, HI=.01, VI=.01, OTH=.03),
    "post16_fe":   nd(ASD=.27, SEMH=.17, SLCN=.11, MLD=.20, SpLD=.05, SLD=.08, PMLD=.02, PD=.04, HI=.02, VI=.01, MSI=.005, OTH=.025),
    "early_years": nd(SLCN=.42, ASD=.28, PD=.06, SEMH=.05, MSI=.01, HI=.04, VI=.02, PMLD=.03, SLD=.04, MLD=.02, OTH=.03),
    "ap":          nd(SEMH=.72, ASD=.14, SLCN=.05, MLD=.04, OTH=.05),
    "other":       nd(SEMH=.40, ASD=.30, SLCN=.06, MLD=.07, SLD=.04, PMLD=.02, PD=.04, HI=.02, VI=.01, MSI=.01, OTH=.03),
}


def stock_table():
    seed = {}
    for a in AGES:
        ps = placement_share(a)
        for p in PLACEMENTS:
            for n in NEEDS:
                w = NATIONAL_STOCK_AGE_2024[a] * ps[p] * NEED_GIVEN_PLACEMENT[p][n]
                if w > 0:
                    seed[(a, n, p)] = w
    panel = census_stock.read_panel(LA_CODE)
    cells, targets = census_stock.census_stock(panel, BASE_YEAR, seed, age_year=BASE_YEAR)
    return sorted((a, n, p, c) for (a, n, p), c in cells.items()), targets


# ASSUMED West Berkshire residents by single year of age, mid-2023 (year label 2024).
# West Berkshire has ~162,000 residents; school-age single years ~1,800-2,050 (larger
# than the recent birth cohorts of ~1,500-1,600: falling births plus in-migration of
# families); a dip at 18-20 as young adults leave for higher education.  No population
# table is in the source papers; replace with ONS mid-year estimates / SNPP.
POP_2024 = [1530, 1560, 1600, 1650, 1700, 1760, 1800, 1850, 1900, 1950, 2000, 2020, 2040,
            2050, 2050, 2020, 1980, 1940, 1650, 1350, 1330, 1400, 1480, 1560, 1620, 1680]
BIRTHS = {2025: 1515, 2026: 1500, 2027: 1485, 2028: 1470}   # ASSUMED, -1% a year


def population_table():
    """2024 as above; later years age the 0-17 cohorts forward one year a year (no
    net migration or mortality) with new age-0 cohorts from BIRTHS; ages 19-25 are
    held at 2024 values (their size is driven by student / young-adult migration)."""
    years = {2024: list(POP_2024)}
    for y in range(2025, 2029):
        prev = years[y - 1]
        cur = [BIRTHS[y]] + prev[:18] + POP_2024[19:]
        assert len(cur) == 26
        years[y] = cur
    return [(y, a, v[a]) for y, v in years.items() for a in AGES]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    rows, targets = stock_table()
    with open(os.path.join(out, "stock.csv"), "w", newline="") as f:
        f.write("# West Berkshire EHCP stock, January 2024 census (model year 2024 = FY 2023-24): total,\n")
        f.write("# placements and ages from the SEN2 panel (E06000037); cells by make_tables.py, see NOTES.md.\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["age", "need", "placement", "count"])
        w.writerows(rows)
    with open(os.path.join(out, "population.csv"), "w", newline="") as f:
        f.write("# West Berkshire residents aged 0-25, ASSUMED (no population table in the seeds).\n")
        f.write("# Generated by make_tables.py, see NOTES.md.\n")
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["year", "age", "population"])
        w.writerows(population_table())
    # Summary for NOTES.md
    tot = sum(r[3] for r in rows)
    by_p = {p: sum(r[3] for r in rows if r[2] == p) for p in PLACEMENTS}
    by_n = {n: sum(r[3] for r in rows if r[1] == n) for n in NEEDS}
    school = [r for r in rows if 5 <= r[0] <= 15]
    st = sum(r[3] for r in school)
    print("total", tot, "cells", len(rows), "census", targets["total"])
    print("census placements", targets["placement"])
    print("by placement", by_p, {p: round(100 * v / tot, 1) for p, v in by_p.items()})
    print("by need", {n: round(100 * v / tot, 1) for n, v in by_n.items()})
    print("school-aged 5-15", st, {p: round(100 * sum(r[3] for r in school if r[2] == p) / st, 1) for p in PLACEMENTS})
    bands = [(0, 4), (5, 10), (11, 15), (16, 18), (19, 25)]
    print("by phase", [sum(r[3] for r in rows if lo <= r[0] <= hi) for lo, hi in bands])
    print("population 0-25 by year", {y: sum(v for (yy, a, v) in population_table() if yy == y) for y in range(2024, 2029)})


if __name__ == "__main__":
    main()
