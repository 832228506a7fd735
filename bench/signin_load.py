#!/usr/bin/env python3
"""Whole browser sign-ins per second: THREADS threads each run one sign-in
after another for DURATION seconds.

    signin_load.py --base http://127.0.0.1:8098 --threads 32 --duration 10 --flow gatehouse --env client.env

--flow gatehouse uses bench/flows/gatehouse_flow.py, --flow peer
bench/peer/flow.py; each has sign_in(base_url, cfg), which raises when a step
fails. cfg is the KEY=VALUE file given with --env. Prints a summary on stderr
and one line "BENCH_JSON {...}" on stdout (requests = completed sign-ins,
non2xx = failed ones), like the wrk scripts.
"""
import argparse
import importlib.util
import json
import sys
import threading
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
FLOWS = {"gatehouse": HERE / "flows" / "gatehouse_flow.py", "peer": HERE / "peer" / "flow.py"}


def load_env(path: str) -> dict:
    cfg = {}
    for line in Path(path).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        key = key.strip()
        if key.startswith("export "):
            key = key[len("export "):].strip()
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        cfg[key] = value
    return cfg


def load_flow(name: str):
    # Both flows import their shared helpers from bench/flows/browser.py.
    sys.path.insert(0, str(HERE / "flows"))
    spec = importlib.util.spec_from_file_location(f"bench_flow_{name}", FLOWS[name])
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def percentile(sorted_values: list, fraction: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(fraction * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True)
    parser.add_argument("--threads", type=int, default=32)
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--flow", choices=sorted(FLOWS), required=True)
    parser.add_argument("--env", required=True, help="KEY=VALUE file handed to sign_in as cfg")
    args = parser.parse_args()

    flow = load_flow(args.flow)
    cfg = load_env(args.env)
    base = args.base.rstrip("/")
    lock = threading.Lock()
    latencies: list[float] = []
    errors: Counter = Counter()
    start = time.perf_counter()
    deadline = start + args.duration
    last_end = [start]

    def worker() -> None:
        while time.perf_counter() < deadline:
            began = time.perf_counter()
            try:
                flow.sign_in(base, cfg)
                ok, message = True, None
            except Exception as error:  # every failure counts, whatever it is
                ok, message = False, f"{type(error).__name__}: {error}"[:300]
            ended = time.perf_counter()
            with lock:
                if ok:
                    latencies.append(ended - began)
                else:
                    errors[message] += 1
                last_end[0] = max(last_end[0], ended)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(args.threads)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    elapsed = last_end[0] - start
    latencies.sort()
    failures = sum(errors.values())
    result = {
        "requests": len(latencies), "duration_s": round(elapsed, 3), "non2xx": failures,
        "connect_errors": 0, "read_errors": 0, "write_errors": 0, "timeouts": 0,
        "p50_ms": round(percentile(latencies, 0.50) * 1000, 3), "p99_ms": round(percentile(latencies, 0.99) * 1000, 3),
    }
    rate = len(latencies) / elapsed if elapsed > 0 else 0.0
    print(f"{args.flow}: {len(latencies)} sign-ins in {elapsed:.1f} s ({rate:.1f}/s), "
          f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, failures {failures}", file=sys.stderr)
    for message, count in errors.most_common(5):
        print(f"  {count} x {message}", file=sys.stderr)
    print("BENCH_JSON " + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
