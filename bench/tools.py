#!/usr/bin/env python3
"""Helpers for scripts/bench.sh (standard library only).

  tools.py ports N                  N free TCP ports on 127.0.0.1, one per line
  tools.py encode STANDIN FILE      Kroki's GET encoding of FILE by the app's own encoder, through
                                    the STANDIN binary (`kroki-standin encode FILE`)
  tools.py wait URL [SECONDS]       poll URL until it answers 200 (exit 1 on timeout)
  tools.py header URL NAME          the value of response header NAME for a GET of URL
  tools.py metric URL PREFIX        the value of the first Prometheus sample named PREFIX...
  tools.py wrkjson FILE [TICKS]     the WRKJSON line of a wrk output (bench/report.lua), as JSON;
                                    with TICKS (the server's CPU clock ticks during the run),
                                    cpu_us_per_req too
  tools.py startup RUNS BINARY      start BINARY (a kroki-web) RUNS times, each on a new free port
                                    given as PORT, and time each start to the first 200 from
                                    /healthz; prints JSON with every time and the median
  tools.py assemble DIR             join DIR/config.json, DIR/runs/*.json, DIR/memory.json and
                                    DIR/startup.json (if there) into one JSON document; the
                                    rounds of a row (runs/NAME@1.json, NAME@2.json, ...) become
                                    one run NAME: the median of each figure, and rounds_rps
  tools.py report RESULTS.json      print the tables and the PASS/MISS line of every target
  tools.py largesvg NODES           a Graphviz-like SVG (dot's structure: a group per node and
                                    per edge, titles, ellipses, paths, arrowheads, labels) of
                                    NODES nodes and about 1.5 edges per node; the same bytes for
                                    the same NODES (seeded), ~300 KB for 360 nodes
"""

import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request


def free_ports(count):
    sockets, ports = [], []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
        ports.append(sock.getsockname()[1])
    for sock in sockets:
        sock.close()
    return ports


def encode(standin, path):
    """The GET path segment of the source in PATH: `kroki-standin encode`, the app's encoder."""
    done = subprocess.run([standin, "encode", path], capture_output=True, text=True, check=True)
    return done.stdout.strip()


def get(url, timeout=2.0):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status, response.headers, response.read()


def wait(url, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if get(url, timeout=1.0)[0] == 200:
                return True
        except OSError:
            pass
        time.sleep(0.02)
    return False


def metric(url, prefix):
    _, _, body = get(url)
    for line in body.decode().splitlines():
        if line.startswith(prefix) and not line.startswith("#"):
            return float(line.split()[-1])
    raise SystemExit(f"no sample {prefix} at {url}")


def wrkjson(path, cpu_ticks=None):
    with open(path, encoding="utf-8", errors="replace") as file:
        for line in file:
            if line.startswith("WRKJSON "):
                figures = json.loads(line[len("WRKJSON "):])
                seconds = figures["duration_us"] / 1e6
                figures["rps"] = figures["requests"] / seconds if seconds else 0.0
                figures["errors"] = sum(v for k, v in figures.items() if k.startswith("err_"))
                if cpu_ticks is not None:
                    # The server's CPU time (user + system) per request, in microseconds.
                    seconds_of_cpu = int(cpu_ticks) / os.sysconf("SC_CLK_TCK")
                    figures["cpu_us_per_req"] = seconds_of_cpu * 1e6 / max(figures["requests"], 1)
                return figures
    raise SystemExit(f"{path}: no WRKJSON line (did wrk fail?)")


def healthz_ok(port):
    """One raw HTTP/1.1 GET /healthz; True on a 200 status line. Never raises."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return sock.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def startup(runs, binary):
    """Start-to-ready times. The poller retries every 0.2 ms (a refused connect on loopback takes
    tens of microseconds), so a time is late by at most ~0.3 ms."""
    times = []
    for _ in range(runs):
        port = free_ports(1)[0]
        env = dict(os.environ, PORT=str(port))
        started = time.perf_counter()
        process = subprocess.Popen([binary], env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        try:
            ready = None
            while time.perf_counter() - started < 10.0:
                if healthz_ok(port):
                    ready = time.perf_counter() - started
                    break
                if process.poll() is not None:
                    raise SystemExit(f"{binary} exited with {process.returncode} before ready")
                time.sleep(0.0002)
            if ready is None:
                raise SystemExit(f"{binary} not ready within 10 s")
            times.append(ready * 1000.0)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        time.sleep(0.2)
    return {"runs_ms": [round(t, 2) for t in times], "median_ms": round(statistics.median(times), 2)}


# ---------------------------------------------------------------------------------------------
# The report

MIB = 1024 * 1024


def ms(us):
    return us / 1000.0


def verdict(ok, text):
    return f"{'PASS' if ok else 'MISS'}  {text}"


def report(path):
    with open(path, encoding="utf-8") as file:
        r = json.load(file)
    runs = r["runs"]
    lines = []
    out = lines.append
    conf = r["config"]
    out(f"kroki-web benchmark: {conf['connections']} connections, {conf['threads']} wrk threads, "
        f"{conf['duration_s']} s per run after {conf['warmup_s']} s warm-up; "
        f"{conf['workers']} workers for the app, nginx and the stand-in; nproc={conf['nproc']}; "
        f"load average {conf['loadavg_before']} before, {conf['loadavg_after']} after")
    bad = [name for name, run in runs.items() if run["errors"]]
    if bad:
        out("WARNING: runs with errors or non-2xx answers: " + ", ".join(
            f"{n} ({runs[n]['errors']})" for n in bad))
    out("")

    def row(label, run, base=None):
        cells = f"{label:<34} {run['rps']:>10.0f} {ms(run['p50_us']):>8.2f} {ms(run['p99_us']):>8.2f}"
        if base:
            cells += (f" {run['rps'] / base['rps']:>9.2f} {run['p50_us'] / base['p50_us']:>8.2f}"
                      f" {run['p99_us'] / base['p99_us']:>8.2f}")
        return cells

    header = (f"{'':<34} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8}"
              f" {'x req/s':>9} {'x p50':>8} {'x p99':>8}")

    def rounds_note(run):
        """How a row made of rounds was measured (nothing for a single run)."""
        if "rounds_rps" not in run:
            return ""
        return (f";\n   medians of {len(run['rounds_rps'])} interleaved rounds of "
                f"{conf.get('round_duration_s')} s, with and without the browser's header (1b)")

    def rounds_cells(run):
        """A row's CPU per request and each round's req/s, when it was measured in rounds."""
        if "rounds_rps" not in run:
            return ""
        return f"  CPU {run['cpu_us_per_req']:.1f} us/req  {run['rounds_rps']}"

    app_hit, nginx_hit, post = runs.get("hit_app"), runs.get("hit_nginx"), runs.get("post_app")
    if app_hit and nginx_hit:
        out("1. Cache hits: GET /graphviz/svg/<encoded>, the same cached diagram (ratios vs nginx proxy_cache)"
            + rounds_note(app_hit))
        out(header)
        out(row("nginx proxy_cache", nginx_hit, nginx_hit) + rounds_cells(nginx_hit))
        out(row("kroki-web (cache on)", app_hit, nginx_hit) + rounds_cells(app_hit))
        out("")
    browser = {k: runs.get(k) for k in ("hit_app", "hit_app_ae", "hit_nginx_ae", "large_app",
                                        "large_app_ae", "large_nginx", "large_nginx_ae")}
    if all(browser.values()):
        out("1b. Cache hits as a browser asks (Accept-Encoding: gzip, deflate, br, zstd) and without it;")
        out("    kroki-web sends its stored brotli variant, nginx proxy_cache gzips (`gzip on`, level 6) "
            "every hit. x = ratio vs the row in brackets")
        out(f"{'':<40} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'B/resp':>8} {'x req/s':>8}")

        def brow(label, run, base=None, base_name=""):
            per = run["bytes"] / max(run["requests"], 1)
            cells = (f"{label:<40} {run['rps']:>10.0f} {ms(run['p50_us']):>8.2f} "
                     f"{ms(run['p99_us']):>8.2f} {per:>8.0f}")
            if base:
                cells += f" {run['rps'] / base['rps']:>8.2f} ({base_name})"
            return cells + rounds_cells(run)

        sizes = (("small", f"the stand-in's SVG", app_hit, browser["hit_app_ae"], nginx_hit,
                  browser["hit_nginx_ae"]),
                 ("large", f"a {conf.get('large_svg_bytes', 0) / 1024:.0f} KB Graphviz-like SVG",
                  browser["large_app"], browser["large_app_ae"], browser["large_nginx"],
                  browser["large_nginx_ae"]))
        for name, what, plain, ae, nginx_plain, nginx_ae in sizes:
            out(f"  {name}: {what}")
            out(brow("  kroki-web, no Accept-Encoding", plain))
            out(brow("  kroki-web, browser's Accept-Encoding", ae, plain, "no AE"))
            out(brow("  nginx proxy_cache, no Accept-Encoding", nginx_plain))
            out(brow("  nginx proxy_cache + gzip, browser's AE", nginx_ae, nginx_plain, "no AE"))
            out(f"  {'kroki-web vs nginx, both with the browser AE':<40} "
                f"{ae['rps'] / nginx_ae['rps']:>10.2f}")
        out("")
    redis_app, redis_nginx = runs.get("redis_app"), runs.get("redis_nginx")
    if redis_app and redis_nginx:
        out("1c. Redis hits: kroki-web with no memory tier (CACHE_MAX_SIZE=0) and its Redis tier on, "
            "every request a Redis GET (ratios vs nginx proxy_cache, run right after it)")
        out(header)
        out(row("nginx proxy_cache", redis_nginx, redis_nginx))
        out(row("kroki-web, Redis tier only", redis_app, redis_nginx))
        ratio = redis_app["rps"] / redis_nginx["rps"]
        out(f"  target: Redis hits >= 0.5x nginx proxy_cache hits: {ratio:.2f} "
            f"{'PASS' if ratio >= 0.5 else 'MISS'}")
        out("")
    if post and nginx_hit:
        out("3. POST /api/generate, JSON, the same diagram (hits; ratios vs nginx proxy_cache GET above)")
        out(header)
        out(row("kroki-web POST /api/generate", post, nginx_hit))
        out("")

    direct, nginx_pass, app_miss = runs.get("miss_direct"), runs.get("miss_nginx"), runs.get("miss_app")
    if direct and nginx_pass and app_miss:
        out("2. Cache misses: every request goes to the upstream (ratios vs nginx proxy_pass; "
            "added = minus direct)")
        out(header + f" {'+p50 ms':>8} {'+p99 ms':>8}")

        def added(run):
            return f" {ms(run['p50_us'] - direct['p50_us']):>8.2f} {ms(run['p99_us'] - direct['p99_us']):>8.2f}"

        out(row("stand-in directly", direct, nginx_pass) + added(direct))
        out(row("nginx proxy_pass", nginx_pass, nginx_pass) + added(nginx_pass))
        out(row("kroki-web (CACHE_MAX_SIZE=0)", app_miss, nginx_pass) + added(app_miss))
    light = {k: runs.get(k) for k in ("light_direct", "light_nginx", "light_app")}
    if all(light.values()):
        out("")
        out(f"2b. The same misses at light load ({conf['light_connections']} connection, 1 thread): "
            "latency a proxy adds when nothing queues")
        out(f"{'':<34} {'req/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'+p50 ms':>8} {'+p99 ms':>8}")
        ld = light["light_direct"]
        for label, key in (("stand-in directly", "light_direct"), ("nginx proxy_pass", "light_nginx"),
                           ("kroki-web (CACHE_MAX_SIZE=0)", "light_app")):
            run = light[key]
            out(f"{label:<34} {run['rps']:>10.0f} {ms(run['p50_us']):>8.2f} {ms(run['p99_us']):>8.2f}"
                f" {ms(run['p50_us'] - ld['p50_us']):>8.2f} {ms(run['p99_us'] - ld['p99_us']):>8.2f}")
    out("")

    fixed = {k: runs.get(k) for k in ("fixed_direct", "fixed_miss_app", "fixed_miss_nginx",
                                      "fixed_post_app", "fixed_post_nginx", "fixed_hit_app",
                                      "fixed_hit_nginx")}
    if all(fixed.values()):
        out(f"6. Against the fixed-response upstream (nginx answering every diagram request with the "
            f"same {conf.get('small_svg_bytes', 0)}-byte SVG): medians of {conf.get('rounds')} "
            f"interleaved rounds of {conf.get('round_duration_s')} s; ratios vs the nginx row below it")
        out(header + f" {'CPU us/req':>10} {'x CPU':>6}  req/s of each round")

        def frow(label, key, base_key=None):
            run = fixed[key]
            base = fixed[base_key] if base_key else None
            cpu = run.get("cpu_us_per_req")
            cells = row(label, run, base) + ("" if base else " " * 27)
            cells += f" {cpu:>10.1f}" if cpu is not None else " " * 11
            if base and cpu is not None and base.get("cpu_us_per_req"):
                cells += f" {cpu / base['cpu_us_per_req']:>6.2f}"
            else:
                cells += " " * 7
            return cells + f"  {run['rounds_rps']}"

        out(frow("fixed upstream directly", "fixed_direct"))
        out(frow("GET miss, kroki-web cache off", "fixed_miss_app", "fixed_miss_nginx"))
        out(frow("GET, nginx proxy_pass", "fixed_miss_nginx"))
        out(frow("POST /api/generate, cache off", "fixed_post_app", "fixed_post_nginx"))
        out(frow("the same POST, nginx proxy_pass", "fixed_post_nginx"))
        out(frow("GET hit, kroki-web", "fixed_hit_app", "fixed_hit_nginx"))
        out(frow("GET hit, nginx proxy_cache", "fixed_hit_nginx"))
        for key, label, base in (("fixed_miss_base", "GET miss, baseline build", "fixed_miss_nginx"),
                                 ("fixed_hit_base", "GET hit, baseline build", "fixed_hit_nginx")):
            if runs.get(key):
                fixed[key] = runs[key]
                out(frow(label, key, base))
        out("")

    mem = r["memory"]
    budget = mem["fill_budget_bytes"]
    default_budget = mem["default_budget_bytes"]
    if mem["idle_kib"] is not None or mem["full_kib"] is not None:
        out("4. kroki-web resident memory (VmRSS; peak = max of 100 ms samples, VmHWM in brackets)")
    if mem["idle_kib"] is not None:
        out(f"   idle after start:                 {mem['idle_kib'] / 1024:7.1f} MiB")
        out(f"   peak under the hit/POST load:     {mem['load_peak_kib'] / 1024:7.1f} MiB "
            f"[{mem['load_hwm_kib'] / 1024:.1f}]  (cache budget {default_budget / MIB:.0f} MiB)")
    if mem["full_kib"] is not None:
        out(f"   full cache ({budget / MIB:.0f} MiB budget):         {mem['full_kib'] / 1024:7.1f} MiB "
            f"[peak {mem['fill_peak_kib'] / 1024:.1f}, HWM {mem['fill_hwm_kib'] / 1024:.1f}]; "
            f"cache weighed {mem['fill_cache_bytes'] / MIB:.1f} MiB in {mem['fill_entries']:.0f} entries "
            f"after {mem['fill_requests']} distinct POSTs ({mem['fill_posted_bytes'] / MIB:.0f} MiB of renders)")
        out("")
    ready = r["startup"]
    if ready:
        out(f"5. Start to ready (first 200 from /healthz): median {ready['median_ms']:.1f} ms of "
            f"{len(ready['runs_ms'])} starts {ready['runs_ms']} (poller resolution ~0.3 ms)")
        out("")

    out("Targets")
    if app_hit and nginx_hit:
        ratio = app_hit["rps"] / nginx_hit["rps"]
        out(verdict(ratio >= 1.0 and app_hit["p99_us"] < nginx_hit["p99_us"],
                    f"cache hits: throughput ratio {ratio:.2f} (target >= 1.00, margin {ratio - 1:+.2f}); "
                    f"p99 {ms(app_hit['p99_us']):.2f} ms vs nginx {ms(nginx_hit['p99_us']):.2f} ms "
                    f"(target lower, margin {ms(nginx_hit['p99_us'] - app_hit['p99_us']):+.2f} ms)"))
    if all(browser.values()):
        for name, plain, ae, nginx_ae in (
                ("small SVG", app_hit, browser["hit_app_ae"], browser["hit_nginx_ae"]),
                ("large SVG", browser["large_app"], browser["large_app_ae"], browser["large_nginx_ae"])):
            own = ae["rps"] / plain["rps"]
            out(verdict(own >= 0.9, f"{name} hits with the browser's Accept-Encoding: {own:.2f} of "
                                    f"the hits without it (target >= 0.90, margin {own - 0.9:+.2f})"))
            peer = ae["rps"] / nginx_ae["rps"]
            out(verdict(peer >= 1.0, f"{name} hits with the browser's Accept-Encoding: {peer:.2f} of "
                                     f"nginx proxy_cache + gzip (target >= 1.00, margin {peer - 1:+.2f})"))
    if direct and nginx_pass and app_miss:
        pass_ratio = app_miss["rps"] / nginx_pass["rps"]
        out(verdict(pass_ratio >= 0.8,
                    f"pass-through throughput ratio {pass_ratio:.2f} of nginx proxy_pass "
                    f"(target >= 0.80, margin {pass_ratio - 0.8:+.2f})"))
        added_p99 = ms(app_miss["p99_us"] - direct["p99_us"])
        out(verdict(added_p99 < 1.0,
                    f"pass-through added p99 {added_p99:.2f} ms at {conf['connections']} connections "
                    f"(target < 1 ms, margin {1.0 - added_p99:+.2f} ms; nginx adds "
                    f"{ms(nginx_pass['p99_us'] - direct['p99_us']):.2f} ms)"))
    if all(fixed.values()):
        for what, app, peer, goal in (
                ("fixed upstream: GET pass-through", "fixed_miss_app", "fixed_miss_nginx", 0.8),
                ("fixed upstream: uncached POST /api/generate", "fixed_post_app", "fixed_post_nginx", 0.8),
                ("fixed upstream: cache hits", "fixed_hit_app", "fixed_hit_nginx", 1.0)):
            ratio = fixed[app]["rps"] / fixed[peer]["rps"]
            out(verdict(ratio >= goal, f"{what}: {ratio:.2f} of nginx (medians; target >= {goal:.2f}, "
                                       f"margin {ratio - goal:+.2f})"))
    if all(light.values()):
        light_added = ms(light["light_app"]["p99_us"] - light["light_direct"]["p99_us"])
        out(verdict(light_added < 1.0,
                    f"pass-through added p99 {light_added:.2f} ms at light load "
                    f"(target < 1 ms, margin {1.0 - light_added:+.2f} ms)"))
    if mem["idle_kib"] is not None:
        idle = mem["idle_kib"] / 1024
        out(verdict(idle < 30, f"memory idle {idle:.1f} MiB (target < 30 MiB, margin {30 - idle:+.1f} MiB)"))
        load_peak = max(mem["load_peak_kib"], mem["load_hwm_kib"]) * 1024
        limit = default_budget + 64 * MIB
        out(verdict(load_peak <= limit,
                    f"memory peak under load {load_peak / MIB:.1f} MiB (target <= {default_budget / MIB:.0f} "
                    f"+ 64 MiB, margin {(limit - load_peak) / MIB:+.1f} MiB)"))
    if mem["full_kib"] is not None:
        fill_peak = max(mem["full_kib"], mem["fill_peak_kib"], mem["fill_hwm_kib"]) * 1024
        limit = budget + 64 * MIB
        full = mem["fill_cache_bytes"] >= 0.9 * budget
        out(verdict(full and fill_peak <= limit,
                    f"memory with a full cache {fill_peak / MIB:.1f} MiB at most (target <= {budget / MIB:.0f} "
                    f"+ 64 MiB, margin {(limit - fill_peak) / MIB:+.1f} MiB"
                    f"{'' if full else '; the cache did not fill, so this is not proven'})"))
    if ready:
        out(verdict(ready["median_ms"] < 100,
                    f"ready in {ready['median_ms']:.1f} ms (target < 100 ms, margin "
                    f"{100 - ready['median_ms']:+.1f} ms)"))
    return "\n".join(lines)


def median_run(rounds):
    """One run's figures from the rounds of a row: the median of each figure, and every round's
    req/s (`rounds_rps`) so the spread shows."""
    merged = {}
    for key in rounds[0]:
        values = [run[key] for run in rounds]
        merged[key] = statistics.median(values)
    merged["rounds_rps"] = [round(run["rps"]) for run in rounds]
    merged["errors"] = sum(run["errors"] for run in rounds)
    return merged


def assemble(directory):
    def load(name):
        with open(os.path.join(directory, name), encoding="utf-8") as file:
            return json.load(file)

    def load_if(name):
        return load(name) if os.path.exists(os.path.join(directory, name)) else None

    runs_dir = os.path.join(directory, "runs")
    runs, rounds = {}, {}
    for name in sorted(os.listdir(runs_dir)):
        if not name.endswith(".json"):
            continue
        row, _, number = name[:-5].partition("@")
        if number:
            rounds.setdefault(row, []).append((int(number), load(os.path.join("runs", name))))
        else:
            runs[row] = load(os.path.join("runs", name))
    for row, numbered in rounds.items():
        runs[row] = median_run([run for _, run in sorted(numbered, key=lambda pair: pair[0])])
    return {"config": load("config.json"), "runs": runs, "memory": load("memory.json"),
            "startup": load_if("startup.json")}


def large_svg(nodes):
    """A deterministic SVG shaped like Graphviz's output, for the large-diagram benchmark rows."""
    import random
    rng = random.Random(17)
    width, height = 24 * nodes // 10 + 200, 1800
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="no"?>',
           '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN"',
           ' "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">',
           '<!-- Generated by graphviz version 2.43.0 (0) -->',
           '<!-- Title: large Pages: 1 -->',
           f'<svg width="{width}pt" height="{height}pt" viewBox="0.00 0.00 {width}.00 {height}.00" '
           'xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">',
           f'<g id="graph0" class="graph" transform="scale(1 1) rotate(0) translate(4 {height - 4})">',
           '<title>large</title>',
           f'<polygon fill="white" stroke="transparent" points="-4,4 -4,-{height - 4} {width - 4},-{height - 4} {width - 4},4 -4,4"/>']
    where = {}
    for n in range(nodes):
        x, y = rng.uniform(30, width - 30), -rng.uniform(20, height - 20)
        where[n] = (x, y)
        name = f"service_{n:04d}_{rng.choice(['api', 'db', 'queue', 'cache', 'worker', 'gateway'])}"
        out += [f'<!-- n{n} -->', f'<g id="node{n + 1}" class="node">', f'<title>n{n}</title>',
                f'<ellipse fill="none" stroke="black" cx="{x:.2f}" cy="{y:.2f}" rx="{rng.uniform(40, 90):.2f}" ry="18"/>',
                f'<text text-anchor="middle" x="{x:.2f}" y="{y + 3.8:.2f}" font-family="Times,serif" font-size="14.00">{name}</text>',
                '</g>']
    edge = 0
    for n in range(nodes):
        for _ in range(rng.choice([1, 1, 2, 2, 3])):
            m = rng.randrange(nodes)
            (x1, y1), (x2, y2) = where[n], where[m]
            edge += 1
            c1 = (x1 + (x2 - x1) / 3 + rng.uniform(-20, 20), y1 + (y2 - y1) / 3)
            c2 = (x1 + 2 * (x2 - x1) / 3 + rng.uniform(-20, 20), y1 + 2 * (y2 - y1) / 3)
            out += [f'<!-- n{n}&#45;&gt;n{m} -->', f'<g id="edge{edge}" class="edge">',
                    f'<title>n{n}&#45;&gt;n{m}</title>',
                    f'<path fill="none" stroke="black" d="M{x1:.2f},{y1:.2f}C{c1[0]:.2f},{c1[1]:.2f} {c2[0]:.2f},{c2[1]:.2f} {x2:.2f},{y2:.2f}"/>',
                    f'<polygon fill="black" stroke="black" points="{x2 - 3.5:.2f},{y2 - 3:.2f} {x2:.2f},{y2 + 7:.2f} {x2 + 3.5:.2f},{y2 - 3:.2f} {x2 - 3.5:.2f},{y2 - 3:.2f}"/>',
                    '</g>']
    out += ['</g>', '</svg>', '']
    return "\n".join(out)


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    command, args = argv[1], argv[2:]
    if command == "ports":
        print("\n".join(str(p) for p in free_ports(int(args[0]))))
    elif command == "encode":
        print(encode(args[0], args[1]))
    elif command == "wait":
        if not wait(args[0], float(args[1]) if len(args) > 1 else 10.0):
            raise SystemExit(f"{args[0]} did not answer 200 in time")
    elif command == "header":
        _, headers, _ = get(args[0])
        print(headers.get(args[1], ""))
    elif command == "metric":
        print(f"{metric(args[0], args[1]):.0f}")
    elif command == "wrkjson":
        print(json.dumps(wrkjson(args[0], args[1] if len(args) > 1 else None)))
    elif command == "startup":
        print(json.dumps(startup(int(args[0]), args[1])))
    elif command == "assemble":
        print(json.dumps(assemble(args[0]), indent=1))
    elif command == "largesvg":
        sys.stdout.write(large_svg(int(args[0])))
    elif command == "report":
        print(report(args[0]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
