#!/usr/bin/python3
"""Generate stock.csv and population.csv for the Halton default scenario.

Usage: /usr/bin/python3 make_tables.py [OUTDIR]   (default: this file's directory)

stock.csv  (age,need,placement,count): Halton's January 2023 EHCP census from the shipped
  SEN2 panel (data/sen2_la/panel.csv, E06000006; DfE 'Education, health and care plans',
  Open Government Licence v3.0): 1,319 plans, each placement group as published for
  January 2023, ages shaped like Halton's January 2024 census (the nearest with single
  years of age: January 2023 has no age breakdown) and needs like its January 2025 census
  (the only one by need). The cells are filled by iterative proportional fitting
  (../census_stock.py) of a seed shape P(age) x P(placement | age) x P(need | placement):
  P(age) the national January 2024 SEN2 stock by single year of age with 16-25s raised
  (AGE_ADJUST), the placement and need shares set from Halton's papers where they exist
  and ASSUMED otherwise (see NOTES.md). Total and placements exact; ages and needs to
  within rounding.
population.csv (year,age,population): Halton residents aged 0..25, ASSUMED (no
  population table in the source papers), see NOTES.md.
Deterministic: no random numbers.
"""
import csv
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import census_stock  # noqa: E402

LA_CODE = "E06000006"   # Halton in the panel
BASE_YEAR = 2023
AGES = list(range(0, 26))
NEEDS = ["ASD", "SEMH", "SLCN", "MLD", "SpLD", "SLD", "PMLD", "PD", "HI", "VI", "MSI", "OTH"]
PLACEMENTS = ["mainstream", "resourced", "mss", "inmss", "post16_fe", "early_years", "ap", "other"]

# National January 2024 EHCP stock by single year of age (england_sen2/stock_age.csv).
NATIONAL_STOCK_AGE_2024 = [160.33, 160.33, 160.33, 4576, 21470, 24832, 27548, 30267, 31901, 33986,
                           38631, 43228, 42652, 42113, 41029, 39587, 36769, 32760, 26263, 19210,
                           13611, 9317, 6326, 3847, 2100, 325]


def phase(age):
    if age <= 4:
        return "early_years"
    if age <= 10:
        return "primary"
    if age <= 15:
        return "secondary"
    if age <= 18:
        return "post16"
    return "post19"


# P(placement | age). School-aged (5-15) shares reproduce Halton's January 2023
# split: mainstream 35-37% (001:155, 000:160), MSS 32.3% (000:161), NMISS 8.2%
# (001:157, 000:162), mainstream incl. resource bases ~50% (003:1839 "51% as of
# Q3 22/23"); INMSS concentrated in secondary (003:1838: KS1 5, KS2 16, KS3 40,
# KS4 41, KS5 12).  Post-16/19 and early years ASSUMED.
def placement_share(age):
    z = dict.fromkeys(PLACEMENTS, 0.0)
    if age <= 3:
        z.update(early_years=0.97, other=0.03)
    elif age == 4:   # reception year: many already in school
        z.update(early_years=0.45, mainstream=0.30, resourced=0.05, mss=0.17, other=0.03)
    elif age <= 10:
        z.update(mainstream=0.45, resourced=0.16, mss=0.28, inmss=0.03, ap=0.02, other=0.06)
    elif age <= 15:
        z.update(mainstream=0.30, resourced=0.10, mss=0.36, inmss=0.13, ap=0.05, other=0.06)
    elif age <= 18:
        z.update(post16_fe=0.45, mss=0.20, inmss=0.11, mainstream=0.10, resourced=0.02, ap=0.01, other=0.11)
    else:
        z.update(post16_fe=0.60, inmss=0.13, mss=0.02, other=0.25)
    s = sum(z.values())
    assert abs(s - 1) < 1e-9, (age, s)
    return z


def nd(**kw):
    z = dict.fromkeys(NEEDS, 0.0)
    z.update(kw)
    s = sum(z.values())
    assert abs(s - 1) < 1e-9, (kw, s)
    return z


# P(need | placement). INMSS from 003:1838 (of 114 NMISS pupils: SEMH 64, cognition &
# learning or ASC 38, SLCN 5, VI 7); most common needs overall SEMH, SLCN, ASD
# (003:794).  Others ASSUMED from the national SEN2 pattern by provision type.
NEED_GIVEN_PLACEMENT = {
    "mainstream":  nd(ASD=.22, SEMH=.22, SLCN=.30, MLD=.10, SpLD=.05, SLD=.01, PD=.03, HI=.03, VI=.01, MSI=.005, OTH=.025),
    "resourced":   nd(ASD=.35, SEMH=.20, SLCN=.25, MLD=.10, SpLD=.02, SLD=.02, PD=.02, HI=.02, VI=.005, MSI=.005, OTH=.01),
    "mss":         nd(ASD=.33, SEMH=.12, SLCN=.10, MLD=.15, SLD=.15, PMLD=.06, PD=.04, HI=.01, VI=.01, MSI=.01, OTH=.02),
    "inmss":       nd(SEMH=.56, ASD=.25, MLD=.05, SLCN=.04, VI=.06, SLD=.02, OTH=.02),
    "post16_fe":   nd(ASD=.25, SEMH=.18, SLCN=.12, MLD=.20, SpLD=.05, SLD=.08, PMLD=.02, PD=.04, HI=.02, VI=.01, MSI=.005, OTH=.025),
    "early_years": nd(SLCN=.45, ASD=.25, PD=.06, SEMH=.05, MSI=.01, HI=.04, VI=.02, PMLD=.03, SLD=.04, MLD=.02, OTH=.03),
    "ap":          nd(SEMH=.75, ASD=.10, SLCN=.05, MLD=.05, OTH=.05),
    "other":       nd(SEMH=.35, ASD=.25, SLCN=.08, MLD=.10, SLD=.05, PMLD=.03, PD=.04, HI=.02, VI=.02, MSI=.01, OTH=.05),
}


def largest_remainder(x, total):
    """Round the non-negative array x to integers summing to total."""
    x = np.asarray(x, dtype=float)
    x = x * (total / x.sum())
    fl = np.floor(x).astype(int)
    rem = total - fl.sum()
    order = np.argsort(-(x - fl), kind="stable")
    fl[order[:rem]] += 1
    return fl


# Halton adjustment to the national age shape (ASSUMED): Halton ceased under 1% of
# plans in 2022, only one other authority fewer (003:793), so more plans of 16-25 year
# olds are still open than nationally; this also puts the school-aged (5-15) stock at
# ~1,100, consistent with 1,210 school-aged plans at March 2024 (003:2689) after a
# year's growth.
AGE_ADJUST = {"post16": 1.12, "post19": 1.20}


def stock_table():
    age_w = np.array(NATIONAL_STOCK_AGE_2024) * np.array([AGE_ADJUST.get(phase(a), 1.0) for a in AGES])
    seed = {}
    for a in AGES:
        ps = placement_share(a)
        for p in PLACEMENTS:
            for n in NEEDS:
                w = age_w[a] * ps[p] * NEED_GIVEN_PLACEMENT[p][n]
                if w > 0:
                    seed[(a, n, p)] = float(w)
    panel = census_stock.read_panel(LA_CODE)
    cells, targets = census_stock.census_stock(panel, BASE_YEAR, seed, age_year=2024)
    return sorted((a, n, p, c) for (a, n, p), c in cells.items()), targets


# ASSUMED Halton resident population by single year of age, mid-2023 (Halton has
# ~128,000 residents; ~1,400-1,650 per single year of age for children; births
# have been falling, so younger cohorts are smaller; a dip at 18-20 as young adults
# leave for higher education).  No population table is in the source papers.
POP_2023 = [1420, 1440, 1470, 1500, 1520, 1540, 1560, 1590, 1610, 1630, 1640, 1650, 1640,
            1630, 1610, 1580, 1540, 1510, 1420, 1330, 1330, 1380, 1420, 1460, 1500, 1520]
BIRTHS = {2024: 1405, 2025: 1390, 2026: 1375, 2027: 1360, 2028: 1345}  # ASSUMED, -1%/yr


def population_table():
    """2023 as above; later years age the 0-17 cohorts forward one year per year
    (no migration or mortality: both small for Halton children) with new age-0
    cohorts from BIRTHS; ages 19-25 are held at 2023 values (their size is driven
    by student and young-adult migration, not by cohort ageing)."""
    years = {2023: list(POP_2023)}
    for y in range(2024, 2029):
        prev = years[y - 1]
        cur = [BIRTHS[y]] + prev[:18] + POP_2023[19:]
        assert len(cur) == 26
        years[y] = cur
    return [(y, a, v[a]) for y, v in years.items() for a in AGES]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    rows, targets = stock_table()
    with open(os.path.join(out, "stock.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["age", "need", "placement", "count"])
        w.writerows(rows)
    with open(os.path.join(out, "population.csv"), "w", newline="") as f:
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


if __name__ == "__main__":
    main()
