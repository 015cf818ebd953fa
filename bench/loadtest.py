"""Helpers of scripts/loadtest.sh (standard library only).

  loadtest.py prepare DIR ROUND POOL STANDIN
                                      the inputs bench/loadtest.lua reads from DIR: padding.txt
                                      (the body of every miss diagram), hits.paths (4 GET paths),
                                      errors.paths (16 GET paths the upstream refuses) and
                                      misses-ROUND.paths (POOL distinct GET paths, new diagrams);
                                      the paths encoded by the app's encoder, through the
                                      STANDIN binary's `kroki-standin encode --each` (one call)
  loadtest.py progress DIR            "REQUESTS SECONDS" so far: the sums over DIR/round-*.txt
  loadtest.py judge DIR BOUND_KIB CACHE_BYTES CONNECTIONS
                                      reads DIR/round-*.txt (wrk), DIR/rss.txt, DIR/memory.json,
                                      DIR/metrics.txt, DIR/healthz.txt; prints the summary, writes
                                      it as JSON to DIR/summary.json; exits 1 when a criterion fails
"""
import glob
import json
import os
import subprocess
import sys

MIN_REQUESTS = 100_000
# The kinds of request bench/loadtest.lua sends, and the answer each must get.
KINDS = {
    "hit": "200, a cached diagram (x-cache: HIT once cached)",
    "miss": "200, a new render (x-cache: MISS)",
    "upstream_error": "400 with the upstream's message: syntax error in line 2 near 'SYNTAX_ERROR'",
    "app_400": "400 unknown_diagram_type, from the app (the upstream is not asked)",
    "app_404": "404 Not Found, from the app (the upstream is not asked)",
}
# Each miss diagram: one line naming it, then this (~1.7 KB of source, a ~4.8 KB SVG render).
PADDING = "".join(
    f"  n{i:02d} -> n{i + 1:02d}; // a padding line, so that each render weighs about 4 KB\n"
    for i in range(24))


def encode_all(standin, sources):
    """Kroki's GET encoding of each source, by the app's own encoder: one `kroki-standin encode
    --each` for them all (sources NUL-ended in, one encoded line per source out)."""
    if not sources:
        return []
    data = "".join(source + "\0" for source in sources).encode()
    done = subprocess.run([standin, "encode", "--each"], input=data, capture_output=True,
                          check=True)
    encoded = done.stdout.decode().split()
    if len(encoded) != len(sources):
        raise SystemExit(f"{standin} encode --each: {len(encoded)} lines for {len(sources)} sources")
    return encoded


def write_lines(path, lines):
    with open(path, "w", encoding="utf-8") as file:
        file.writelines(line + "\n" for line in lines)


def prepare(directory, round_number, pool, standin):
    with open(os.path.join(directory, "padding.txt"), "w", encoding="utf-8") as file:
        file.write(PADDING)
    files = {
        "hits.paths": ["digraph hit_get_%d {\n  a -> b%d\n}" % (n, n) for n in range(4)],
        "errors.paths": ["digraph broken_get_%d {\nSYNTAX_ERROR %d\n}" % (n, n) for n in range(16)],
        f"misses-{round_number}.paths": ["digraph miss_g%d_%d {\n%s}" % (round_number, n, PADDING)
                                         for n in range(pool)],
    }
    encoded = iter(encode_all(standin, [source for sources in files.values() for source in sources]))
    for name, sources in files.items():
        write_lines(os.path.join(directory, name),
                    [f"/graphviz/svg/{next(encoded)}" for _ in sources])


def rounds(directory):
    found = []
    for path in sorted(glob.glob(os.path.join(directory, "round-*.txt"))):
        with open(path, encoding="utf-8", errors="replace") as file:
            lines = [line for line in file if line.startswith("LOADJSON ")]
        if not lines:
            raise SystemExit(f"{path}: no LOADJSON line (did wrk fail?)")
        found.append(json.loads(lines[-1][len("LOADJSON "):]))
    return found


def progress(directory):
    done = rounds(directory)
    print(sum(r["requests"] for r in done), f"{sum(r['duration_us'] for r in done) / 1e6:.1f}")


def add(total, counts):
    for key, value in counts.items():
        total[key] = total.get(key, 0) + value


def metric(text, name):
    for line in text.splitlines():
        if line.split(" ")[0].split("{")[0] == name:
            return float(line.split()[-1])
    return None


def read(directory, name):
    with open(os.path.join(directory, name), encoding="utf-8") as file:
        return file.read()


def judge(directory, bound_kib, cache_bytes, connections):
    done = rounds(directory)
    total = sum(r["requests"] for r in done)
    seconds = sum(r["duration_us"] for r in done) / 1e6
    sent, answered, socket = {}, {}, {}
    for r in done:
        add(sent, r["sent"])
        add(answered, r["answered"])
        add(socket, r["socket_errors"])
    rss = [int(line) for line in read(directory, "rss.txt").split() if line.strip()]
    memory = json.loads(read(directory, "memory.json"))
    metrics = read(directory, "metrics.txt")
    healthz = read(directory, "healthz.txt").strip()
    cache = {name: metric(metrics, f"kroki_web_cache_{name}")
             for name in ("hits_total", "misses_total", "evictions_total", "entries", "size_bytes")}
    # A request still in flight when wrk stopped is sent but not answered: at most one per
    # connection, and wrk asks thread 1 for one request it never sends (to check its shape).
    slack = (connections + 1) * len(done)
    failures = []

    def check(ok, text):
        if not ok:
            failures.append(text)

    out = print
    out(f"{len(done)} wrk run(s), {connections} connections, 2 threads: {total} requests in "
        f"{seconds:.1f} s ({total / seconds:.0f} req/s)")
    latency = max(done, key=lambda r: r["p99_us"])
    out(f"latency (all kinds; the slowest run): p50 {latency['p50_us'] / 1000:.2f} ms, "
        f"p99 {latency['p99_us'] / 1000:.2f} ms, max {max(r['max_us'] for r in done) / 1000:.1f} ms")
    out("")
    out(f"{'kind':<16}{'sent':>9}{'answered':>10}{'share':>7}  expected answer")
    # Requests only: `pool_exhausted` counts GET misses sent by POST instead, not requests.
    sent_total = sum(value for kind, value in sent.items() if kind in KINDS)
    for kind, expected in KINDS.items():
        got = answered.get(kind, 0) + answered.get(f"{kind}_uncached", 0) + answered.get(
            f"{kind}_cached", 0)
        out(f"{kind:<16}{sent.get(kind, 0):>9}{got:>10}{100 * sent.get(kind, 0) / max(sent_total, 1):>6.1f}%"
            f"  {expected}")
        check(got > 0, f"{kind}: no request answered as expected")
        # More missing answers than that mean some got an answer of another kind.
        check(0 <= sent.get(kind, 0) - got <= slack,
              f"{kind}: {sent.get(kind, 0)} sent, {got} answered as expected")
    in_flight = sent_total - total
    out(f"{'in all':<16}{sent_total:>9}{total:>10}         ({in_flight} in flight when wrk stopped)")
    unexpected = {k: v for k, v in answered.items() if k.startswith("unexpected")}
    out(f"hits answered from the cache: {answered.get('hit', 0)}, rendered: "
        f"{answered.get('hit_uncached', 0)}; misses answered from the cache: "
        f"{answered.get('miss_cached', 0)}; GET miss pool ran out {sent.get('pool_exhausted', 0)} times")
    out(f"unexpected answers: {unexpected or 'none'}")
    out(f"socket errors: {socket}")
    check(total >= MIN_REQUESTS, f"{total} requests answered, fewer than {MIN_REQUESTS}")
    check(not any(socket.values()), f"socket errors: {socket}")
    check(not unexpected, f"unexpected answers: {unexpected}")
    check(sum(answered.values()) == total,
          f"wrk counted {total} answers, the script {sum(answered.values())}")
    check(0 <= in_flight <= slack, f"{in_flight} requests unanswered")
    check(answered.get("miss_cached", 0) == 0, "a new diagram was answered from the cache")
    hit_ratio = answered.get("hit", 0) / max(answered.get("hit", 0) + answered.get("hit_uncached", 0), 1)
    check(hit_ratio >= 0.99, f"only {100 * hit_ratio:.2f}% of the hits came from the cache")

    peak = max(rss + [memory["after_kib"]])
    out("")
    out(f"RSS (VmRSS every 100 ms): idle {memory['idle_kib'] / 1024:.1f} MiB, peak "
        f"{peak / 1024:.1f} MiB, after {memory['after_kib'] / 1024:.1f} MiB; VmHWM "
        f"{memory['hwm_kib'] / 1024:.1f} MiB; bound {bound_kib / 1024:.0f} MiB "
        f"(cache budget {cache_bytes / 2**20:.0f} MiB + 64 MiB)")
    check(max(peak, memory["hwm_kib"]) <= bound_kib,
          f"resident memory {max(peak, memory['hwm_kib']) / 1024:.1f} MiB over {bound_kib / 1024:.0f} MiB")
    out(f"/metrics: cache hits {cache['hits_total']:.0f}, misses {cache['misses_total']:.0f}, "
        f"evictions {cache['evictions_total']:.0f}; {cache['entries']:.0f} entries weighing "
        f"{cache['size_bytes'] / 2**20:.1f} MiB of {cache_bytes / 2**20:.0f} MiB"
        if None not in cache.values() else f"/metrics: cache counters missing: {cache}")
    if None in cache.values():
        failures.append(f"cache counters missing from /metrics: {cache}")
    else:
        check(cache["hits_total"] >= answered.get("hit", 0),
              f"/metrics counted {cache['hits_total']:.0f} hits, fewer than the {answered.get('hit', 0)} answered")
        check(cache["misses_total"] >= answered.get("miss", 0) + answered.get("hit_uncached", 0),
              f"/metrics counted {cache['misses_total']:.0f} misses, fewer than the renders answered")
        check(cache["evictions_total"] > 0, "the cache evicted nothing (did it fill?)")
        check(cache["size_bytes"] <= cache_bytes, "the cache weighs more than its budget")
    out(f"/healthz after the run: {healthz}")
    check(healthz == "200", f"/healthz answered {healthz} after the run")
    out(f"load average: {memory['load_before']} before, {memory['load_after']} after")

    summary = {"requests": total, "seconds": seconds, "rounds": done, "sent": sent,
               "answered": answered, "socket_errors": socket, "rss_kib": {
                   "idle": memory["idle_kib"], "peak": peak, "after": memory["after_kib"],
                   "hwm": memory["hwm_kib"], "bound": bound_kib},
               "cache": cache, "healthz": healthz, "failures": failures}
    with open(os.path.join(directory, "summary.json"), "w", encoding="utf-8") as file:
        json.dump(summary, file, indent=1)
    out("")
    for failure in failures:
        out(f"FAIL  {failure}")
    out("PASS  every criterion" if not failures else f"{len(failures)} criteria failed")
    return 1 if failures else 0


def main(argv):
    if len(argv) == 6 and argv[1] == "prepare":
        prepare(argv[2], int(argv[3]), int(argv[4]), argv[5])
        return 0
    if len(argv) == 3 and argv[1] == "progress":
        progress(argv[2])
        return 0
    if len(argv) == 6 and argv[1] == "judge":
        return judge(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
