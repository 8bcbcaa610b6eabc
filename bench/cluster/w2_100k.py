"""W2-100k (bench/cluster/run.sh): one `lunar sweep` process on every core against the same
sweep sharded over a local two-node Ray cluster with one CPU per node. Both use the machine's
two cores; the sharded path's overhead per core is (sharded time / single time) - 1."""

import argparse
import json
import re
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "integrations", "ray", "tests"))
from cluster_test import NODE, ROOT  # noqa: E402  (sets the loopback-only environment first)

from ray.cluster_utils import Cluster  # noqa: E402


def cpu_model():
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor()


def timed(cmd, cwd, env=None):
    """Wall time of `cmd`, its JSON output without the timing, the timing, and its stderr."""
    start = time.monotonic()
    p = subprocess.run(cmd, cwd=cwd, env=env, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    seconds = time.monotonic() - start
    doc = json.loads(p.stdout)
    return seconds, doc, doc.pop("seconds", None), p.stderr


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--lunar", required=True)
    p.add_argument("--bars", type=int, default=2520)
    p.add_argument("--shards", type=int, default=2)
    a = p.parse_args()
    lunar = os.path.abspath(a.lunar)
    tmp = tempfile.mkdtemp(prefix="lunar-w2-100k-")
    os.environ["RAY_TMPDIR"] = os.path.join(tmp, "ray")
    os.makedirs(os.environ["RAY_TMPDIR"])
    os.environ["LUNAR_STDLIB"] = os.path.join(ROOT, "stdlib")
    # 250 × 400 = 100,000 combinations of the SMA cross, 100 symbols.
    sweep = ["strategies/sma_cross.lua", "--data", f"synthetic:100:{a.bars}:42", "--fees", "0.001",
             "--param", "fast=1:250", "--param", "slow=251:650", "--no-record", "--json"]
    cluster = None
    try:
        single, one, single_sweep, _ = timed([lunar, "sweep", *sweep, "--threads", "2"], ROOT)
        single_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        cluster = Cluster(initialize_head=True, head_node_args=dict(NODE, include_dashboard=False))
        cluster.add_node(**NODE)
        cluster.wait_for_nodes(timeout=120)
        env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "integrations", "ray"))
        sharded, merged, _, log = timed([sys.executable, "-m", "lunar_ray", "sweep", *sweep, "--threads", "1", "--shards", str(a.shards),
                                 "--address", cluster.address, "--lunar", lunar, "--work", os.path.join(tmp, "shards"),
                                          "--merge-threads", "2"], ROOT, env)
        same = one == merged
        shard_phase = float(re.search(r"shards ran on \d+ nodes? in ([0-9.]+) s", log).group(1))
        print(f"W2-100k: 100000 combinations x 100 symbols x {a.bars} bars = 10,000,000 backtests; CPU {cpu_model()}, "
              f"{os.cpu_count()} cores")
        print(f"  single process, 2 threads   {single:8.1f} s   {1e7 / single:10.0f} backtests/s   peak RSS {single_rss:.0f} MiB")
        print(f"  {a.shards} shards on 2 Ray nodes × 1 CPU {sharded:6.1f} s   {1e7 / sharded:10.0f} backtests/s   (shards, transfer and merge)")
        print(f"  the sweep alone: one process {single_sweep:.1f} s, the shards {shard_phase:.1f} s "
              f"(overhead per core {100 * (shard_phase / single_sweep - 1):+.1f} %); the rest is loading, the statistics "
              f"of 100,000 trials and (sharded) the merge's reading of the shards")
        print(f"  sharded overhead per core     {100 * (sharded / single - 1):+.1f} %   merged rows and statistics = single: {same}")
        return 0 if same else 1
    finally:
        if cluster is not None:
            cluster.shutdown()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
