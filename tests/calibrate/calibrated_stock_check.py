#!/usr/bin/python3
"""An informal check of calibrated forecasts of January stock, until the
backtest command exists: for every authority of the shipped panel and each
origin given, `ehcpsim calibrate` then `ehcpsim run -n 200` (the baseline
variant), and the median absolute % error of the median, the share of
outturns inside P5-P95, and persistence's median error on the same pairs.

Run from the source tree after building:
    /usr/bin/python3 tests/calibrate/calibrated_stock_check.py 2019,2022 3
"""
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile

EHCPSIM = os.environ.get("EHCPSIM", "build/ehcpsim")


def main():
    origins = [int(x) for x in sys.argv[1].split(",")]
    horizon = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    stock = {}
    with open("data/sen2_la/panel.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["measure"] == "stock" and r["breakdown"] == "all":
                stock[(r["la_code"], int(r["year"]))] = float(r["value"])
    authorities = sorted({code for code, _ in stock})
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        scenario = os.path.join(tmp, "s.toml")
        for origin in origins:
            for la in authorities:
                if (la, origin) not in stock or (la, origin - 1) not in stock:
                    continue
                fit = subprocess.run([EHCPSIM, "calibrate", "--authority", la, "--origin", str(origin), "-o",
                                      scenario, "--overwrite"], capture_output=True, text=True)
                if fit.returncode:
                    continue
                run = subprocess.run([EHCPSIM, "run", scenario, "-n", "200", "--threads", "1", "--variants",
                                      "unmitigated_lower", "--format", "json", "-q"], capture_output=True, text=True)
                if run.returncode:
                    print(la, origin, run.stderr[:200], file=sys.stderr)
                    continue
                q = json.loads(run.stdout)["variants"]["unmitigated_lower"]["total_stock"]
                last, before = stock[(la, origin)], stock[(la, origin - 1)]
                for h in range(1, horizon + 1):
                    y = stock.get((la, origin + h))
                    if not y or before <= 0:
                        continue
                    persistence = last * (last / before) ** h
                    rows.append((h, abs(q["p50"][h] - y) / y * 100, q["p5"][h] <= y <= q["p95"][h],
                                 abs(persistence - y) / y * 100))
    for h in range(1, horizon + 1):
        r = [x for x in rows if x[0] == h]
        if r:
            print(f"h={h} pairs={len(r)} mdape={statistics.median(x[1] for x in r):.2f} "
                  f"cov_p5_p95={sum(x[2] for x in r) / len(r):.3f} "
                  f"persistence_mdape={statistics.median(x[3] for x in r):.2f}")


if __name__ == "__main__":
    main()
