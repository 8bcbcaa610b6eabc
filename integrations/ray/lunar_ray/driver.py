"""The driver: submits the shards as Ray tasks, shows progress, merges at the end."""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time

import ray

KINDS = ("sweep", "walkforward", "run")


class ShardFailed(Exception):
    """`lunar` exited with an error on a shard: the command's own fault (a bad strategy, bad
    data), reported as it is and not retried."""

    def __init__(self, shard, status, stderr):
        super().__init__(f"shard {shard} failed with exit status {status}:\n{stderr}")
        self.shard, self.status, self.stderr = shard, status, stderr

    def __reduce__(self):
        return (ShardFailed, (self.shard, self.status, self.stderr))


class ShardKilled(Exception):
    """The shard's `lunar` process was killed (a lost node, the out-of-memory killer): retried."""


def _die_with_parent():
    # Linux: the shard's lunar dies with the Ray worker that started it, so a killed worker
    # leaves no orphan still writing that shard while Ray retries it elsewhere.
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


@ray.remote(num_cpus=1, max_retries=3, retry_exceptions=[ShardKilled])
def _run_shard(lunar, kind, arguments, shard, count, folder, cwd, resume):
    exe = shutil.which(lunar) or lunar
    cmd = [exe, kind, *arguments, "--shard", f"{shard}/{count}", "--out", folder]
    if resume:
        cmd.append("--resume")
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)
    if proc.returncode < 0:
        raise ShardKilled(f"shard {shard}/{count}: lunar was killed by signal {-proc.returncode}")
    if proc.returncode != 0:
        raise ShardFailed(f"{shard}/{count}", proc.returncode, proc.stderr[-4000:])
    return shard, proc.stdout, ray.get_runtime_context().get_node_id()


def _progress(done, total, skipped, started):
    if not sys.stderr.isatty():
        return
    width = 30
    filled = width * done // max(total, 1)
    elapsed = time.monotonic() - started
    eta = elapsed / done * (total - done) if done else 0
    sys.stderr.write(f"\r\x1b[K[{'#' * filled}{'.' * (width - filled)}] {done}/{total} shards"
                     f"{f' ({skipped} already finished)' if skipped else ''}  ETA {eta:.1f} s")
    if done == total:
        sys.stderr.write("\r\x1b[K")
    sys.stderr.flush()


def _log(text):
    # The driver's own lines go to stderr: stdout is the merged result's (a table, or --json).
    print(text, file=sys.stderr, flush=True)


def run_sharded(kind, arguments, shards, out=None, address="auto", lunar="lunar", resume=False, work=None,
                merge_arguments=(), retries=3, log=_log):
    """Runs `lunar KIND ARGUMENTS…` as `shards` Ray tasks and merges them into `out`.

    Returns the exit status of `lunar merge` (0 when the merged result is written)."""
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if shards < 1:
        raise ValueError("--shards must be at least 1")
    for a in arguments:
        if a == "--shard" or a.startswith("--shard=") or a == "--out" or a.startswith("--out="):
            raise ValueError(f"{a.split('=')[0]} is the driver's to set: give --shards and --out to lunar_ray instead")
    cwd = os.getcwd()
    out = os.path.abspath(out) if out else None
    if work is None:
        if out is None:
            digest = hashlib.sha256("\0".join([kind, *arguments]).encode()).hexdigest()[:12]
            work = os.path.join(".lunar-shards", f"{kind}-{digest}")
        else:
            work = out.rstrip("/") + ".shards"
    work = os.path.abspath(work)
    os.makedirs(work, exist_ok=True)
    folders = [os.path.join(work, f"{k:04d}-of-{shards:04d}") for k in range(shards)]
    lunar_path = shutil.which(lunar) or os.path.abspath(lunar)

    if address == "local":
        ray.init(log_to_driver=False)
    else:
        ray.init(address=address, log_to_driver=False)
    try:
        task = _run_shard.options(max_retries=retries)
        pending = [task.remote(lunar_path, kind, list(arguments), k, shards, folders[k], cwd, resume)
                   for k in range(shards)]
        started, done, skipped, nodes = time.monotonic(), 0, 0, set()
        _progress(0, shards, 0, started)
        while pending:
            ready, pending = ray.wait(pending, num_returns=1)
            try:
                shard, stdout, node = ray.get(ready[0])
            except ray.exceptions.RayTaskError as e:
                for p in pending:
                    ray.cancel(p, force=True)
                # The shard's own error (lunar's exit status and message), not Ray's wrapping of it.
                raise (e.cause if isinstance(e.cause, ShardFailed) else e) from None
            done += 1
            skipped += "skipped (--resume)" in stdout
            nodes.add(node)
            _progress(done, shards, skipped, started)
        log(f"{shards} shards ran on {len(nodes)} node{'s' if len(nodes) != 1 else ''} in {time.monotonic() - started:.1f} s")
        if skipped:
            log(f"{skipped} of {shards} shards were already finished in {work} (--resume)")
    finally:
        ray.shutdown()
    merge = [lunar_path, "merge", *folders, *(["--out", out] if out else []), *merge_arguments]
    return subprocess.run(merge, cwd=cwd).returncode
