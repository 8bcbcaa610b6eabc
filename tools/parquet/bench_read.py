"""Time pyarrow reading one Parquet file, for the benchmark that sets Lunar's reader against it.

    bench_read.py FILE [--repeat 5]

Prints one JSON object: {"seconds": the best wall time of pyarrow.parquet.read_table(FILE) over
the repeats, "rows": rows read, "pyarrow": its version, "repeat": the repeats, "threads": the
threads pyarrow may use}. Run it with the python of .build-venv-parquet/ (tools/parquet/install.sh).
"""

import argparse
import json
import sys
import time

import pyarrow as pa
import pyarrow.parquet as pq


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if args.repeat < 1:
        ap.error("--repeat must be at least 1")
    best, rows = float("inf"), 0
    for _ in range(args.repeat):
        start = time.perf_counter()
        table = pq.read_table(args.file)
        best = min(best, time.perf_counter() - start)
        rows = table.num_rows
        del table
    json.dump({"seconds": best, "rows": rows, "pyarrow": pa.__version__, "repeat": args.repeat,
               "threads": pa.cpu_count()}, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
