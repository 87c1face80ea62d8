#!/usr/bin/python3
"""Recomputes the benchmarks' pooled scores for January stock (breakdown `all`)
from a panel file, independently of the C++ code, with the definitions of
docs/backtest.md: origins Y in FIRST..LAST, horizons 1..H, a pair scored when
its outturn is > 0 and all three benchmarks have a forecast.

Usage: benchmark_scores.py PANEL FIRST LAST H   (numpy; Debian's /usr/bin/python3)
Prints: horizon,model,n_pairs,mdape,bias,crps with full precision.
"""
import csv
import sys

import numpy as np


def main():
    path, first, last, horizon = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    stock = {}
    with open(path, newline="", encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            if row["measure"] == "stock" and row["breakdown"] == "all":
                stock.setdefault(row["la_code"], {})[int(row["year"])] = float(row["value"])
    print("horizon,model,n_pairs,mdape,bias,crps")
    for h in range(1, horizon + 1):
        errors = {"persistence": [], "no_change": [], "three_year_trend": []}
        for x in stock.values():
            for origin in range(first, last + 1):
                y = x.get(origin + h)
                if y is None or y <= 0:
                    continue
                if any(t not in x for t in range(origin - 3, origin + 1)):
                    continue
                if min(x[origin - 1], x[origin - 2], x[origin - 3]) <= 0:
                    continue
                now = x[origin]
                growth = (x[origin] / x[origin - 1] + x[origin - 1] / x[origin - 2] + x[origin - 2] / x[origin - 3]) / 3
                forecasts = {
                    "persistence": now * (now / x[origin - 1]) ** h,
                    "no_change": now,
                    "three_year_trend": now * growth ** h,
                }
                for model, forecast in forecasts.items():
                    errors[model].append(100 * (forecast - y) / y)
        for model, e in errors.items():
            e = np.array(e)
            if len(e):
                print(f"{h},{model},{len(e)},{float(np.median(np.abs(e)))!r},{float(e.mean())!r},{float(np.abs(e).mean())!r}")


if __name__ == "__main__":
    main()
