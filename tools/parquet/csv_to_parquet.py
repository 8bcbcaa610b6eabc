"""Convert a long CSV (date,symbol,open,high,low,close,volume; dates YYYY-MM-DD, or ISO date-times
such as 2024-03-04T14:30:00Z) to Parquet with pyarrow, the date column as timestamp[ms, UTC]:
the big file of the benchmark that sets Lunar's Parquet reader against pyarrow's.

    csv_to_parquet.py CSV OUT [--compression snappy] [--row-group-size N]

Prices are read as doubles; volume as int64 when every cell is an integer (empty cells are nulls),
as double otherwise; any further column as pyarrow infers it. Rows keep the CSV's order. Run it
with the python of .build-venv-parquet/ (tools/parquet/install.sh).
"""

import argparse
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pyarrow.parquet as pq

COLUMNS = ["date", "symbol", "open", "high", "low", "close", "volume"]


def to_timestamps(text):
    """A string column of dates or UTC date-times as timestamp[ms, UTC]."""
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"):
        try:
            ts = pc.strptime(text, format=fmt, unit="ms", error_is_null=False)
        except pa.ArrowInvalid:
            continue
        return ts.cast(pa.timestamp("ms", tz="UTC"))
    raise SystemExit(f"csv_to_parquet.py: cannot read the dates (first: {text[0]!r}); "
                     "expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv")
    ap.add_argument("out")
    ap.add_argument("--compression", default="snappy",
                    help="none, snappy, gzip, zstd, lz4 or brotli (default snappy)")
    ap.add_argument("--row-group-size", type=int, default=None,
                    help="rows per row group (default: pyarrow's, 1Mi rows)")
    args = ap.parse_args()
    types = {"date": pa.string(), "symbol": pa.string(),
             **{c: pa.float64() for c in ("open", "high", "low", "close")}}
    table = pcsv.read_csv(args.csv, convert_options=pcsv.ConvertOptions(column_types=types))
    missing = [c for c in COLUMNS if c not in table.column_names]
    if missing:
        sys.exit(f"csv_to_parquet.py: {args.csv} has no column {', '.join(missing)}")
    table = table.set_column(table.column_names.index("date"), "date", to_timestamps(table.column("date")))
    vol = table.column("volume")
    if pa.types.is_null(vol.type):  # every cell empty
        table = table.set_column(table.column_names.index("volume"), "volume", vol.cast(pa.int64()))
    pq.write_table(table, args.out, compression=args.compression, row_group_size=args.row_group_size)
    print(f"==> wrote {args.out}: {table.num_rows} rows, {pq.ParquetFile(args.out).metadata.num_row_groups} "
          f"row groups, {args.compression}")


if __name__ == "__main__":
    main()
