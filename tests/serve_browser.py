#!/usr/bin/python3
"""The page of `ehcpsim serve` in Debian's headless Chromium (ctest serve.browser, label "browser").

Starts `ehcpsim serve` on the embedded default scenario (written out by `ehcpsim example`) with
-n 200, opens the page with its test hook (?test_field=...&test_value=...: the page changes that
control itself, waits for the re-run, redraws and writes the DBV table and the charts' data into
#test-output), and checks that what the page drew equals what a direct `ehcpsim run` of the
edited scenario (the TOML the server saves, same seed, same -n) and `ehcpsim summary` give:
the same numbers (both are the summary stage's type-7 quantiles of the same replicates; the
tolerance 1e-9 relative is only for the page's division by 1e6 of the money charts). Keeps a
screenshot in the output directory. Exit 77 (ctest's skip) when chromium is not installed.
Standard library only.
"""
import argparse
import html
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import urllib.parse
import urllib.request

FIELD = "mitigations.ws2_rp_not_mss.target#mode"  # the mode of a PERT effect at target
VALUE = "0.2"                                      # was 0.24


def fail(message):
    print("FAIL: " + message)
    sys.exit(1)


def close(a, b, what):
    if a is None or b is None:
        if a != b:
            fail(f"{what}: page {a} against direct run {b}")
        return
    if abs(a - b) > 1e-9 * max(1.0, abs(a), abs(b)):
        fail(f"{what}: page {a} against direct run {b}")


def chromium(binary, profile, url, *mode):
    # A profile of its own in the build tree: nothing written to $HOME, no lock shared with
    # another Chromium (another test run on the same machine).
    return subprocess.run([binary, "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
                           "--no-first-run", "--user-data-dir=" + profile, "--virtual-time-budget=120000",
                           "--window-size=1400,2600", *mode, url],
                          capture_output=True, text=True, timeout=180)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--ehcpsim", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--replicates", default="200", help="replicates a run (the test: 200; a timing: 1000)")
    args = parser.parse_args()
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if not browser:
        print("SKIP: chromium is not installed (scripts/setup.sh installs it)")
        sys.exit(77)
    shutil.rmtree(args.out, ignore_errors=True)
    scenario_dir = os.path.join(args.out, "scenario")
    subprocess.run([args.ehcpsim, "example", "--dir", scenario_dir], check=True, capture_output=True)
    original = os.path.join(scenario_dir, "halton.toml")

    server = subprocess.Popen([args.ehcpsim, "serve", original, "-n", args.replicates], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:\d+/", line)
        if not match:
            fail("serve printed no 127.0.0.1 address: " + line + server.stderr.read())
        url = match.group(0)
        query = "?test_field=" + urllib.parse.quote(FIELD) + "&test_value=" + VALUE
        profile = os.path.join(args.out, "chromium-profile")
        dom = chromium(browser, profile, url + query, "--dump-dom").stdout
        found = re.search(r'<pre id="test-output"[^>]*>(.*?)</pre>', dom, re.S)
        if not found or not found.group(1):
            fail("the page wrote no test output (did its scripts run?)")
        page = json.loads(html.unescape(found.group(1)))
        if "error" in page:
            fail("the page: " + page["error"])
        before, after = page["before"], page["after"]
        if page["errors"]:
            fail("the page showed errors: " + "; ".join(page["errors"]))
        if after["run"] <= before["run"]:
            fail("the edit did not start a new run")
        if after["dbv"] == before["dbv"]:
            fail("the DBV table did not change after the edit")
        with urllib.request.urlopen(url + "api/scenario.toml") as response:
            edited_text = response.read().decode()
        shot = chromium(browser, profile, url + query, "--screenshot=" + os.path.join(args.out, "screenshot.png"))
        if not os.path.getsize(os.path.join(args.out, "screenshot.png")):
            fail("no screenshot: " + shot.stderr[-500:])
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            fail("serve did not stop on SIGINT")
    if server.returncode != 0:
        fail(f"serve exited {server.returncode} on SIGINT")

    # The saved scenario: the original text with one line changed, and valid.
    with open(original) as f:
        old_lines = f.read().split("\n")
    new_lines = edited_text.split("\n")
    changed = [(a, b) for a, b in zip(old_lines, new_lines) if a != b]
    if len(old_lines) != len(new_lines) or len(changed) != 1 or "mode = " + VALUE not in changed[0][1]:
        fail("the saved scenario is not the original with the one edited line: " + repr(changed[:3]))
    edited = os.path.join(scenario_dir, "edited.toml")
    with open(edited, "w") as f:
        f.write(edited_text)
    subprocess.run([args.ehcpsim, "validate", edited], check=True, capture_output=True)

    # A direct run of the edited scenario, same seed (the scenario's), same -n.
    direct = os.path.join(args.out, "direct.h5")
    subprocess.run([args.ehcpsim, "run", edited, "-n", args.replicates, "-o", direct, "--overwrite", "-q"], check=True,
                   capture_output=True)
    summary = json.loads(subprocess.run([args.ehcpsim, "summary", direct, "--format", "json"], check=True,
                                        capture_output=True, text=True).stdout)
    if summary["seed"] != after["seed"] or summary["replicates"] != after["replicates"]:
        fail("seed or replicates differ from the direct run")
    compared = 0
    for o in after["dbv"]:
        if o["range"]:
            bound = next(b for b in summary["dbv"]["bounds"].values()
                         if b.get("range", {}).get("stretch") == o["variant"])
            direct_row = bound["range"]
        else:
            direct_row = summary["dbv"]["bounds"][o["compare_to"]]["opportunity"][o["variant"]]
        for key in ("mean", "p5", "p50", "p95", "deterministic"):
            close(o[key], direct_row[key], f"opportunity {o['variant']} {key}")
            compared += 1
    variant = after["variant"]
    series = summary["variants"][variant]
    names = {"5th percentile": "p5", "5–95% of runs": "p95", "25th percentile": "p25", "25–75% of runs": "p75",
             "median run": "p50"}
    for chart, metric, scale in (("chart-stock", "total_stock", 1), ("chart-spend", "spend", 1e6),
                                 ("chart-deficit", "cumulative_deficit", 1e6)):
        for dataset in after["charts"][chart]:
            quantile = names[dataset["label"]]
            for year, (drawn, value) in enumerate(zip(dataset["data"], series[metric][quantile])):
                close(drawn * scale, value, f"{chart} {dataset['label']} year {year}")
                compared += 1
    print(f"ok: {compared} numbers drawn by the page equal the direct run's; screenshot in "
          f"{os.path.join(args.out, 'screenshot.png')}")


if __name__ == "__main__":
    main()
