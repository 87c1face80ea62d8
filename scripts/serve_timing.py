#!/usr/bin/python3
"""Times `ehcpsim serve` from a change to its results (docs/serve.md, "Speed").

    scripts/serve_timing.py build/ehcpsim [REPLICATES] [EDITS]

Starts `ehcpsim serve` on the embedded Halton default, then EDITS times (8 by
default) posts an edit of one mitigation's effect (alternating two values) and
fetches the results as the page does (GET /api/results?wait=1), printing the
wall time from the POST to the results fetched and the server's own time from
the start of the run to the results ready. Standard library only.
"""
import json
import re
import subprocess
import sys
import time
import urllib.request


def main():
    exe = sys.argv[1]
    replicates = sys.argv[2] if len(sys.argv) > 2 else "1000"
    edits = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    server = subprocess.Popen([exe, "serve", "-n", replicates], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                              text=True)
    url = re.search(r"http://\S+/", server.stdout.readline()).group(0)

    def get(path):
        with urllib.request.urlopen(url + path) as response:
            return json.load(response)

    def post(path, body):
        request = urllib.request.Request(url + path, data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request) as response:
            return json.load(response)

    try:
        get("api/results?wait=1")
        walls, on_server, views = [], [], []
        for i in range(edits):
            start = time.perf_counter()
            post("api/edit", {"path": "mitigations.ws2_rp_not_mss.target",
                              "value": {"dist": "pert", "min": 0.144, "mode": 0.20 + 0.01 * (i % 2), "max": 0.288}})
            results = get("api/results?wait=1&x=30m")
            walls.append(time.perf_counter() - start)
            on_server.append(results["seconds"])
            views.append(results["timing"]["views"])
        print("POST to results fetched (s):", " ".join(f"{w:.2f}" for w in walls))
        print("server, run start to results ready (s):", " ".join(f"{s:.2f}" for s in on_server))
        print("of which the views read back from the file (s):", " ".join(f"{s:.2f}" for s in views))
        print(f"median {sorted(walls)[len(walls) // 2]:.2f} s of {edits}, {results['replicates']} replicates")
    finally:
        server.send_signal(2)
        server.wait()


if __name__ == "__main__":
    main()
