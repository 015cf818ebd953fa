"""Helpers of scripts/loadtest.sh (standard library only).

  loadtest.py paths KIND COUNT OUT   COUNT distinct GET paths to OUT: `hits` (4 fixed
                                     diagrams) or `misses` (a new diagram per line)
  loadtest.py judge DIR BUDGET_KIB   reads DIR/{hits,misses,errors}.txt (wrk), DIR/rss.txt,
                                     DIR/hwm.txt, DIR/metrics.txt, DIR/healthz.txt; prints the
                                     summary and the verdict as JSON to DIR/summary.json;
                                     exits 1 when a criterion fails
"""
import base64
import json
import sys
import zlib

MIN_REQUESTS = 100_000
EXPECTED = {"hits": {200}, "misses": {200}, "errors": {400}}


def encode(source):
    return base64.urlsafe_b64encode(zlib.compress(source.encode(), 9)).decode().rstrip("=")


def paths(kind, count, out):
    with open(out, "w", encoding="utf-8") as file:
        for n in range(count):
            name = n % 4 if kind == "hits" else n
            source = f"digraph {kind} {{ node_{name} -> target; label=\"{kind} {name}\" }}"
            file.write(f"/graphviz/svg/{encode(source)}\n")


def loadjson(path):
    with open(path, encoding="utf-8", errors="replace") as file:
        for line in file:
            if line.startswith("LOADJSON "):
                return json.loads(line[len("LOADJSON "):])
    raise SystemExit(f"{path}: no LOADJSON line (did wrk fail?)")


def metric(text, name):
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            return float(line.split()[-1])
    return None


def judge(directory, budget_kib):
    runs = {name: loadjson(f"{directory}/{name}.txt") for name in EXPECTED}
    rss = [int(line) for line in open(f"{directory}/rss.txt") if line.strip()]
    hwm = int(open(f"{directory}/hwm.txt").read().strip() or 0)
    metrics = open(f"{directory}/metrics.txt").read()
    healthz = open(f"{directory}/healthz.txt").read().strip()
    total = sum(run["requests"] for run in runs.values())
    seconds = max(run["duration_us"] for run in runs.values()) / 1e6
    cache = {
        name: metric(metrics, f"kroki_web_cache_{name}_total")
        for name in ("hits", "misses", "evictions")
    }
    failures = []
    if total < MIN_REQUESTS:
        failures.append(f"{total} requests, fewer than {MIN_REQUESTS}")
    print(f"{'category':<10}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
          f"{'socket err':>12}  statuses")
    for name, run in runs.items():
        statuses = {int(k): v for k, v in run["statuses"].items()}
        print(f"{name:<10}{run['requests']:>10}{run['requests'] / seconds:>9.0f}"
              f"{run['p50_us'] / 1000:>9.2f}{run['p99_us'] / 1000:>9.2f}{run['max_us'] / 1000:>9.1f}"
              f"{run['socket_errors']:>12}  {statuses}")
        if run["socket_errors"]:
            failures.append(f"{name}: {run['socket_errors']} socket errors")
        unexpected = {s: c for s, c in statuses.items() if s not in EXPECTED[name]}
        if unexpected:
            failures.append(f"{name}: unexpected statuses {unexpected}")
        if sum(statuses.values()) != run["requests"]:
            failures.append(f"{name}: {run['requests']} requests but {sum(statuses.values())} answers")
    peak = max(rss) if rss else 0
    print(f"total {total} requests in {seconds:.1f} s ({total / seconds:.0f} req/s)")
    print(f"RSS: idle {rss[0] / 1024 if rss else 0:.1f} MiB, peak {peak / 1024:.1f} MiB, "
          f"after {rss[-1] / 1024 if rss else 0:.1f} MiB, VmHWM {hwm / 1024:.1f} MiB "
          f"(bound {budget_kib / 1024:.0f} MiB)")
    print(f"cache: hits {cache['hits']}, misses {cache['misses']}, evictions {cache['evictions']}")
    print(f"/healthz after the run: {healthz}")
    if max(peak, hwm) > budget_kib:
        failures.append(f"resident memory {max(peak, hwm) / 1024:.1f} MiB over {budget_kib / 1024:.0f} MiB")
    if healthz != "200":
        failures.append(f"/healthz answered {healthz} after the run")
    for name in ("hits", "misses", "evictions"):
        if not cache[name]:
            failures.append(f"the cache counted no {name}")
    summary = {
        "requests": total, "seconds": seconds, "runs": runs, "rss_kib": {
            "idle": rss[0] if rss else None, "peak": peak, "after": rss[-1] if rss else None,
            "hwm": hwm}, "cache": cache, "failures": failures}
    with open(f"{directory}/summary.json", "w", encoding="utf-8") as file:
        json.dump(summary, file, indent=2)
    for failure in failures:
        print(f"FAIL  {failure}")
    print("PASS  every criterion" if not failures else f"{len(failures)} criteria failed")
    return 1 if failures else 0


def main(argv):
    if len(argv) == 5 and argv[1] == "paths":
        paths(argv[2], int(argv[3]), argv[4])
        return 0
    if len(argv) == 4 and argv[1] == "judge":
        return judge(argv[2], int(argv[3]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
