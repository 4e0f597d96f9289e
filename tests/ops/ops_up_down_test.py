#!/usr/bin/env python3
"""ops/up and ops/down mechanics with a stand-in modelfleet binary (fake_modelfleet.py) and a
real redis-server: ops/up starts every node with pid files and logs on free ports, running it
again says "already up" and restarts nothing, a dead node makes the next ops/up replace the
partial cluster, two clusters run side by side, ops/down leaves no process behind and keeps
data, --purge removes the data dir. Usage: ops_up_down_test.py REPO_ROOT"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", ".."))
fake = os.path.join(root, "tests", "ops", "fake_modelfleet.py")
sys.path.insert(0, os.path.join(root, "ops"))
from free_port import free_port  # noqa: E402
failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


def alive(pid):
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/status") as f:
            return "\nState:\tZ" not in f.read()
    except OSError:
        return False


def pid_of(data, node):
    try:
        with open(os.path.join(data, "run", node + ".pid")) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return -1


def run(script, env, *args):
    r = subprocess.run([os.path.join(root, "ops", script), *args], env=env, capture_output=True, text=True, timeout=120)
    return r.returncode, r.stdout + r.stderr


def cluster_env(data, workers, name="modelfleet"):
    env = dict(os.environ)
    # A stand-in binary that is a file. Named "modelfleet" by default; another name (and a
    # symlink to the fake, so no command line says "modelfleet") stands for a build copied
    # elsewhere, which ops/down must recognise by the nodes' arguments.
    wrapper = os.path.join(data + ".bin", name)
    os.makedirs(os.path.dirname(wrapper), exist_ok=True)
    script = fake
    if name != "modelfleet":
        script = os.path.join(data + ".bin", name + "-node.py")
        os.symlink(fake, script)
    with open(wrapper, "w") as f:
        f.write(f"#!/bin/sh\nexec python3 {script} \"$@\"\n")
    os.chmod(wrapper, 0o755)
    env.update({"MODELFLEET_DATA_DIR": data, "MODELFLEET_HTTP_PORT": str(free_port()),
                "MODELFLEET_BINARY": wrapper, "MODELFLEET_WORKERS": str(workers),
                "MODELFLEET_SKIP_DEMO": "1", "MODELFLEET_ADMIN_TOKEN": "t0ken"})
    env.pop("MODELFLEET_REDIS_URL", None)
    return env


def nodes(workers):
    return ["redis", "coordinator", "router"] + [f"worker-{i}" for i in range(1, workers + 1)]


if not shutil.which("redis-server"):
    print("skipped: no redis-server")
    sys.exit(0)

base = tempfile.mkdtemp(prefix="mf_ops_up_")
a = os.path.join(base, "a")
b = os.path.join(base, "b")
env_a = cluster_env(a, 2)
env_b = cluster_env(b, 1)
env_d = None  # the cluster with a binary not named modelfleet, made inside the try
try:
    code, out = run("up", env_a)
    check(code == 0, f"ops/up exits 0: {out}")
    check("ModelFleet is up (2 workers, 2 replicas per tenant" in out, f"summary printed: {out}")
    check(f"API:          http://127.0.0.1:{env_a['MODELFLEET_HTTP_PORT']}" in out, "API URL printed")
    check("Admin token:  t0ken" in out, "token printed")
    check(open(os.path.join(a, "admin.token")).read().strip() == "t0ken", "token file written")
    check(oct(os.stat(os.path.join(a, "admin.token")).st_mode & 0o777) == "0o600", "token file is private")
    pids = {n: pid_of(a, n) for n in nodes(2)}
    for n, pid in pids.items():
        check(alive(pid), f"{n} runs after ops/up")
        check(os.path.exists(os.path.join(a, "log", n + ".log")), f"{n} has a log")
    targets = open(os.path.join(a, "run", "prometheus-targets.json")).read()
    check('"role":"worker","node":"worker-2"' in targets, f"prometheus targets list the workers: {targets}")
    check(subprocess.run(["redis-cli", "-u", open(os.path.join(a, "run", "cluster.env")).read().split("MF_REDIS='")[1].split("'")[0],
                          "config", "get", "appendonly"], capture_output=True, text=True).stdout.split()[-1] == "yes",
          "the started Redis has AOF on")

    # Second cluster side by side (own data dir and HTTP port).
    code, out = run("up", env_b)
    check(code == 0, f"a second cluster starts beside the first: {out}")
    pids_b = {n: pid_of(b, n) for n in nodes(1)}
    check(all(alive(p) for p in pids_b.values()), "second cluster runs")

    code, out = run("up", env_a)
    check(code == 0 and "already up" in out, f"ops/up again says already up: {out}")
    check({n: pid_of(a, n) for n in nodes(2)} == pids, "ops/up again restarts nothing")

    # Same HTTP port as cluster A for a new data dir: refused clearly, nothing started.
    c = os.path.join(base, "c")
    env_c = cluster_env(c, 1)
    env_c["MODELFLEET_HTTP_PORT"] = env_a["MODELFLEET_HTTP_PORT"]
    code, out = run("up", env_c)
    check(code == 1 and "is in use" in out, f"a busy HTTP port is refused: {out}")
    check(not os.path.exists(os.path.join(c, "run", "redis.pid")), "nothing started on a busy port")

    os.kill(pids["worker-1"], signal.SIGKILL)
    deadline = time.time() + 5
    while alive(pids["worker-1"]) and time.time() < deadline:
        time.sleep(0.05)
    code, out = run("up", env_a)
    check(code == 0 and "only partly running" in out, f"a partial cluster is replaced: {out}")
    check(not any(alive(p) for p in pids.values()), "the partial cluster's survivors were stopped")
    pids = {n: pid_of(a, n) for n in nodes(2)}
    check(all(alive(p) for p in pids.values()), "the replacement cluster runs")

    code, out = run("down", env_a)
    check(code == 0, f"ops/down exits 0: {out}")
    check(not any(alive(p) for p in pids.values()), "ops/down leaves no process of cluster A")
    check(all(alive(p) for p in pids_b.values()), "ops/down of A leaves cluster B alone")
    check(not any(f.endswith(".pid") for f in os.listdir(os.path.join(a, "run"))), "pid files removed")
    check(os.path.isdir(os.path.join(a, "redis")) and os.listdir(os.path.join(a, "redis")), "data kept")
    code, out = run("down", env_a)
    check(code == 0, "ops/down with nothing up is fine")

    # A binary whose path does not say "modelfleet" (e.g. a build copied to /tmp/mf-test): ops/up
    # and ops/down still know its nodes (a session once left 33 such clusters running).
    d = os.path.join(base, "d")
    env_d = cluster_env(d, 1, name="fleetnode")
    code, out = run("up", env_d)
    check(code == 0, f"ops/up with a binary not named modelfleet: {out}")
    pids_d = {n: pid_of(d, n) for n in nodes(1)}
    check(all(alive(p) for p in pids_d.values()), "that cluster runs")
    check(all("modelfleet" not in open(f"/proc/{p}/cmdline").read() for n, p in pids_d.items() if n != "redis"),
          "no node's command line says modelfleet")
    code, out = run("up", env_d)
    check(code == 0 and "already up" in out, f"ops/up again recognises it as up: {out}")
    code, out = run("down", env_d)
    check(code == 0, f"ops/down of it exits 0: {out}")
    check(not any(alive(p) for p in pids_d.values()), f"ops/down stops every node of it: {out}")

    # A stale pid file pointing at an unrelated live process is not killed.
    sleeper = subprocess.Popen(["sleep", "30"])
    with open(os.path.join(a, "run", "worker-1.pid"), "w") as f:
        f.write(str(sleeper.pid))
    run("down", env_a)
    check(sleeper.poll() is None, "ops/down never signals a process that is not ours")
    sleeper.kill()
    sleeper.wait()

    code, out = run("down", env_b, "--purge")
    check(code == 0 and not os.path.exists(b), f"ops/down --purge removes the data dir: {out}")
    check(not any(alive(p) for p in pids_b.values()), "ops/down leaves no process of cluster B")
    code, out = run("down", env_a, "--bogus")
    check(code == 2, "ops/down rejects unknown arguments")
    # ops/up takes no arguments: --help prints its usage and starts nothing; anything else is refused.
    code, out = run("up", env_a, "--help")
    check(code == 0 and "MODELFLEET_WORKERS" in out, f"ops/up --help prints the usage: {out[:200]}")
    check(not any(f.endswith(".pid") for f in os.listdir(os.path.join(a, "run"))), "ops/up --help starts nothing")
    code, out = run("up", env_a, "--bogus")
    check(code == 2 and "unknown argument" in out, "ops/up rejects unknown arguments")
finally:
    for env in filter(None, (env_a, env_b, env_d)):
        subprocess.run([os.path.join(root, "ops", "down"), "--purge"], env=env, capture_output=True, timeout=120)
    shutil.rmtree(base, ignore_errors=True)

print(f"{checks - len(failures)}/{checks} checks passed")
sys.exit(1 if failures else 0)
