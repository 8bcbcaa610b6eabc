"""python -m lunar_ray {sweep,walkforward,run} STRATEGY [lunar's arguments…] --shards N
[--address auto] [--lunar PATH] [--out DIR] [--resume]"""

import argparse
import sys

from .driver import KINDS, ShardFailed, run_sharded

HELP = {
    "sweep": "a parameter sweep, sharded over its combinations (the grid or --samples draws)",
    "walkforward": "a walk-forward, sharded over its windows",
    "run": "a backtest, sharded over its symbols (independent sub-accounts only)",
}


def parser():
    p = argparse.ArgumentParser(prog="python -m lunar_ray", allow_abbrev=False,
                                description="Run a Lunar command as shards on a Ray cluster and merge them into the "
                                            "result one machine writes. Every argument not listed here goes to lunar "
                                            "as it is (the strategy, --data, --param, settings …).")
    sub = p.add_subparsers(dest="kind", required=True, metavar="{" + ",".join(KINDS) + "}")
    for kind in KINDS:
        s = sub.add_parser(kind, help=HELP[kind], allow_abbrev=False)
        s.add_argument("--shards", type=int, required=True, help="how many shards (Ray tasks) to split the work into")
        s.add_argument("--out", help="the folder for the merged result (the files lunar writes with --out; "
                                     "without it, the result is printed only, as lunar prints it)")
        s.add_argument("--address", default="auto", help="the Ray cluster (default: auto, the one this machine belongs to; "
                                                         "local: start one here)")
        s.add_argument("--lunar", default="lunar", help="the lunar binary, at the same path on every node (default: lunar on PATH)")
        s.add_argument("--resume", action="store_true", help="skip the shards already finished by an earlier run of the same command")
        s.add_argument("--work", help="the folder for the shards' partial results, on a path every node sees "
                                      "(default: OUT.shards beside --out, or .lunar-shards/ here)")
        s.add_argument("--retries", type=int, default=3, help="how often a shard whose worker or node is lost is retried (default 3)")
        s.add_argument("--no-record", action="store_true", help="do not record the merged result in the run history")
        s.add_argument("--merge-threads", type=int, help="worker threads for the merge on this machine "
                                                         "(default: the command's --threads, else all cores)")
    return p


def main(argv=None):
    args, rest = parser().parse_known_args(argv)
    try:
        status = run_sharded(args.kind, rest, args.shards, args.out, address=args.address, lunar=args.lunar,
                             resume=args.resume, work=args.work, retries=args.retries,
                             merge_arguments=(["--no-record"] if args.no_record else [])
                             + (["--threads", str(args.merge_threads)] if args.merge_threads else []))
    except ShardFailed as e:
        sys.stderr.write(f"error: {e}\n")
        return e.status
    except ValueError as e:
        sys.stderr.write(f"error: {e}\n")
        return 64
    return status


if __name__ == "__main__":
    sys.exit(main())
