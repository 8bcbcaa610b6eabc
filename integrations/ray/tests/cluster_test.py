"""Sharded Lunar on a real two-node Ray cluster on this machine.

Run it inside a network namespace that has only loopback, so no traffic can leave the machine:

    unshare -n bash -c 'ip link set lo up && exec python integrations/ray/tests/cluster_test.py --lunar .build/debug/lunar'

It starts a local cluster of two nodes (Ray's own `ray.cluster_utils.Cluster`, one CPU each, on
127.0.0.1), then checks that a sharded sweep, walk-forward and run merge to exactly the files
one `lunar` command writes; that killing the worker process of a running shard still gives
the identical result (Ray retries the shard); and that `--resume` skips finished shards. Every
step has a time limit, and the cluster is stopped at the end whatever happens. Exit status 0
when every check passes.
"""

import argparse
import filecmp
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

# Before Ray is imported: nothing may look for an address outside loopback (docs/recipes).
LOOPBACK_ENV = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_USAGE_STATS_ENABLED": "0",
    "RAY_USAGE_STATS_REPORT_URL": "http://127.0.0.1:9/",
    "http_proxy": "http://127.0.0.1:9", "https_proxy": "http://127.0.0.1:9",
    "HTTP_PROXY": "http://127.0.0.1:9", "HTTPS_PROXY": "http://127.0.0.1:9",
    "no_proxy": "127.0.0.1,localhost", "NO_PROXY": "127.0.0.1,localhost",
}
os.environ.update(LOOPBACK_ENV)

import ray  # noqa: E402
from ray.cluster_utils import Cluster  # noqa: E402

NODE = dict(node_ip_address="127.0.0.1", num_cpus=1, object_store_memory=100 * 2**20,
            min_worker_port=0, max_worker_port=0)
STEP_SECONDS = 240
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what, flush=True)
    if not ok:
        failures.append(what)


def same_files(a, b, names):
    diff = [n for n in names if not filecmp.cmp(os.path.join(a, n), os.path.join(b, n), shallow=False)]
    return not diff, diff


def lunar(binary, *args, cwd):
    p = subprocess.run([binary, *args], cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                       timeout=STEP_SECONDS)
    if p.returncode != 0:
        raise RuntimeError(f"lunar {' '.join(args)} exited {p.returncode}: {p.stderr[-2000:]}")
    return p.stdout


def driver(address, binary, kind, args, out, shards, cwd, extra=(), background=False):
    cmd = [sys.executable, "-m", "lunar_ray", kind, *args, "--shards", str(shards), "--address", address,
           "--lunar", binary, "--out", out, "--no-record", *extra]
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "integrations", "ray"))
    if background:
        return subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p = subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=STEP_SECONDS)
    return p.returncode, p.stdout, p.stderr


def shard_processes():
    """(pid, parent pid) of every running `lunar … --shard` process."""
    found = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                argv = f.read().split(b"\0")
            with open(f"/proc/{pid}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except OSError:
            continue
        if b"--shard" in argv and any(a.endswith(b"lunar") for a in argv[:1]):
            found.append((int(pid), ppid))
    return found


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--lunar", required=True)
    args = parser.parse_args()
    binary = os.path.abspath(args.lunar)
    # The whole test is bounded, whatever hangs.
    signal.signal(signal.SIGALRM, lambda *_: (print("FAIL the cluster test ran out of time", flush=True), os._exit(3)))
    signal.alarm(900)

    tmp = tempfile.mkdtemp(prefix="lunar-ray-")
    os.environ["RAY_TMPDIR"] = os.path.join(tmp, "ray")
    os.makedirs(os.environ["RAY_TMPDIR"])
    work = os.path.join(tmp, "work")
    os.makedirs(work)
    shutil.copytree(os.path.join(ROOT, "strategies"), os.path.join(work, "strategies"))
    os.environ["LUNAR_STDLIB"] = os.path.join(ROOT, "stdlib")
    history = os.path.join(tmp, "history.sqlite")

    cluster = None
    try:
        started = time.monotonic()
        cluster = Cluster(initialize_head=True, head_node_args=dict(
            NODE, include_dashboard=False,
            _system_config={"health_check_period_ms": 1000, "health_check_failure_threshold": 2}))
        cluster.add_node(**NODE)
        cluster.wait_for_nodes(timeout=120)
        ray.init(address=cluster.address)
        nodes = [n for n in ray.nodes() if n["Alive"]]
        ray.shutdown()
        check(len(nodes) == 2 and all(n["NodeManagerAddress"] == "127.0.0.1" for n in nodes),
              f"two nodes on 127.0.0.1 ({time.monotonic() - started:.1f} s)")

        # A sweep, sharded over both nodes, against the same sweep on one machine.
        sweep = ["strategies/sma_cross.lua", "--data", "synthetic:60:1500:7", "--fees", "0.001",
                 "--param", "fast=5:50:5", "--param", "slow=20:200:20", "--where", "fast < slow", "--history", history]
        lunar(binary, "sweep", *sweep, "--out", os.path.join(tmp, "sweep-one"), "--no-record", cwd=work)
        status, out, err = driver(cluster.address, binary, "sweep", sweep, os.path.join(tmp, "sweep-ray"), 4, work)
        check(status == 0, f"sharded sweep over the cluster (exit {status}) {err[-1500:] if status else ''}")
        check("4 shards ran on 2 nodes" in err, "the shards ran on both nodes")
        ok, diff = same_files(os.path.join(tmp, "sweep-one"), os.path.join(tmp, "sweep-ray"), ["sweep.csv", "returns.csv", "sweep.html"])
        check(ok, f"merged sweep = single-machine sweep, byte for byte {diff}")

        # The same with the worker process of a running shard killed: Ray retries the shard.
        slow = sweep[:2] + ["synthetic:150:2500:7"] + sweep[3:]
        lunar(binary, "sweep", *slow, "--out", os.path.join(tmp, "slow-one"), "--no-record", cwd=work)
        proc = driver(cluster.address, binary, "sweep", slow, os.path.join(tmp, "slow-ray"), 6, work, background=True)
        killed = None
        deadline = time.monotonic() + 60
        while killed is None and time.monotonic() < deadline and proc.poll() is None:
            running = shard_processes()
            if running:
                pid, worker = running[0]
                os.kill(worker, signal.SIGKILL)   # the Ray worker running this shard
                killed = (pid, worker)
            else:
                time.sleep(0.05)
        try:
            stdout, stderr = proc.communicate(timeout=STEP_SECONDS)
        except subprocess.TimeoutExpired:
            proc.kill()
            stdout, stderr = proc.communicate()
        check(killed is not None, f"killed the worker process of a running shard (worker {killed and killed[1]})")
        check(proc.returncode == 0, f"the sweep finished despite the kill (exit {proc.returncode}) {stderr[-1500:] if proc.returncode else ''}")
        ok, diff = same_files(os.path.join(tmp, "slow-one"), os.path.join(tmp, "slow-ray"), ["sweep.csv", "returns.csv", "sweep.html"])
        check(ok, f"merged sweep after the kill = single-machine sweep {diff}")

        # --resume: a finished shard is skipped, a missing one rerun, the result the same.
        shards = os.path.join(tmp, "sweep-ray.shards")
        shutil.rmtree(os.path.join(shards, sorted(os.listdir(shards))[1]))
        status, out, err = driver(cluster.address, binary, "sweep", sweep, os.path.join(tmp, "sweep-ray"), 4, work, extra=["--resume"])
        check(status == 0 and "3 of 4 shards were already finished" in err, f"--resume skipped the 3 finished shards (exit {status}: {err[-1500:]})")
        ok, diff = same_files(os.path.join(tmp, "sweep-one"), os.path.join(tmp, "sweep-ray"), ["sweep.csv", "returns.csv"])
        check(ok, f"resumed sweep = single-machine sweep {diff}")

        # A walk-forward, sharded over its windows.
        wf = ["strategies/sma_cross.lua", "--data", "synthetic:30:1500:7", "--param", "fast=5:30:5", "--param", "slow=40:120:20",
              "--train", "400", "--test", "150", "--history", history]
        lunar(binary, "walkforward", *wf, "--out", os.path.join(tmp, "wf-one"), "--no-record", cwd=work)
        status, out, err = driver(cluster.address, binary, "walkforward", wf, os.path.join(tmp, "wf-ray"), 3, work)
        check(status == 0, f"sharded walk-forward (exit {status}) {err[-1500:] if status else ''}")
        ok, diff = same_files(os.path.join(tmp, "wf-one"), os.path.join(tmp, "wf-ray"), ["walkforward.json", "equity.csv"])
        check(ok, f"merged walk-forward = single-machine walk-forward {diff}")

        # A run, sharded over its symbols.
        run = ["strategies/sma_cross.lua", "--data", "synthetic:97:1000:7", "--fees", "0.001", "--history", history]
        lunar(binary, "run", *run, "--out", os.path.join(tmp, "run-one"), "--no-record", cwd=work)
        status, out, err = driver(cluster.address, binary, "run", run, os.path.join(tmp, "run-ray"), 5, work)
        check(status == 0, f"sharded run (exit {status}) {err[-1500:] if status else ''}")
        ok, diff = same_files(os.path.join(tmp, "run-one"), os.path.join(tmp, "run-ray"),
                              ["summary.json", "symbols.csv", "trades.csv", "equity.csv", "report.html"])
        check(ok, f"merged run = single-machine run {diff}")

        # A strategy error is the command's fault: reported with lunar's status, not retried.
        status, out, err = driver(cluster.address, binary, "sweep", ["strategies/missing.lua"] + sweep[1:], os.path.join(tmp, "bad"), 2, work)
        check(status != 0 and "missing.lua" in err, f"a missing strategy fails the sweep with its message (exit {status})")
    except Exception as e:  # reported as a failed check, after the cluster is stopped
        check(False, f"{type(e).__name__}: {e}")
    finally:
        stopped = time.monotonic()
        if cluster is not None:
            # Bounded: a shutdown that hangs must not hang the tests.
            t = threading.Thread(target=cluster.shutdown, daemon=True)
            t.start()
            t.join(60)
        shutil.rmtree(tmp, ignore_errors=True)
        print(f"cluster stopped in {time.monotonic() - stopped:.1f} s", flush=True)
    print(f"{len(failures)} failed" if failures else "all cluster checks passed", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
