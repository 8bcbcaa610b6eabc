"""Read Parquet files with pyarrow, polars and duckdb (those the virtualenv has), check that the
readers agree, and print one canonical CSV per file to stdout:

    # file NAME rows N
    header
    rows: floats as repr() of the double (a float32 as the double it widens to), integers as
    integers, timestamps and dates as integer epoch seconds (an exact decimal when a value is not
    a whole second), strings as they are, nulls as empty cells, booleans as true/false

NAME is the path as given on the command line. Exits 1 with a message on stderr when a reader
fails or two readers disagree. Usage: read_back.py FILE... (run it with the python of
.build-venv-parquet/, which tools/parquet/install.sh sets up).

make_fixtures.py imports read_all() to check every fixture it writes against its source data.
"""

import csv
import io
import sys
from decimal import Decimal, localcontext

import pyarrow as pa
import pyarrow.parquet as pq

try:
    import polars as pl
except ImportError:  # the check runs with the readers the venv has
    pl = None
try:
    import duckdb
except ImportError:
    duckdb = None

_FACTOR = {"s": 1, "ms": 1_000, "us": 1_000_000, "ns": 1_000_000_000}


class ReadError(Exception):
    pass


def seconds(value, factor):
    """`value` units of 1/factor second as epoch seconds: an integer, or an exact decimal."""
    if value is None:
        return ""
    if value % factor == 0:
        return str(value // factor)
    with localcontext() as ctx:
        ctx.prec = 60
        return format(Decimal(value) / Decimal(factor), "f")


def cell(kind, v):
    """Text of one value already reduced to a Python value of kind 'int', 'float', 'str', 'bool'
    or ('time', factor)."""
    if v is None:
        return ""
    if isinstance(kind, tuple):
        return seconds(v, kind[1])
    if kind == "float":
        return repr(float(v))
    if kind == "int":
        return str(int(v))
    if kind == "bool":
        return "true" if v else "false"
    return v if isinstance(v, str) else str(v)


def _arrow_column(col):
    """(kind, python values) of one pyarrow ChunkedArray."""
    t = col.type
    if pa.types.is_dictionary(t):
        col = col.cast(t.value_type)
        t = t.value_type
    if pa.types.is_timestamp(t):
        return ("time", _FACTOR[t.unit]), col.cast(pa.int64()).to_pylist()
    if pa.types.is_date32(t):
        return ("time", 1), [None if d is None else d * 86400 for d in col.cast(pa.int32()).to_pylist()]
    if pa.types.is_date64(t):
        return ("time", 1000), col.cast(pa.int64()).to_pylist()
    if pa.types.is_floating(t):
        return "float", col.to_pylist()
    if pa.types.is_integer(t):
        return "int", col.to_pylist()
    if pa.types.is_boolean(t):
        return "bool", col.to_pylist()
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return "str", col.to_pylist()
    return "other", col.to_pylist()


def read_pyarrow(path):
    table = pq.ParquetFile(path).read()  # a single file: no hive partition columns from the path
    cols = [_arrow_column(table.column(i)) for i in range(table.num_columns)]
    return table.column_names, cols


def read_polars(path):
    df = pl.read_parquet(path, hive_partitioning=False)
    names, cols = df.columns, []
    for name in names:
        s = df.get_column(name)
        dt = s.dtype
        if isinstance(dt, pl.Datetime):
            cols.append((("time", _FACTOR[dt.time_unit]), s.cast(pl.Int64).to_list()))
        elif dt == pl.Date:
            cols.append((("time", 1), [None if d is None else d * 86400 for d in s.cast(pl.Int32).to_list()]))
        elif dt.is_float():
            cols.append(("float", s.to_list()))
        elif dt.is_integer():
            cols.append(("int", s.to_list()))
        elif dt == pl.Boolean:
            cols.append(("bool", s.to_list()))
        elif dt in (pl.String, pl.Categorical, pl.Enum) or isinstance(dt, (pl.Categorical, pl.Enum)):
            cols.append(("str", s.cast(pl.String).to_list()))
        else:
            cols.append(("other", s.to_list()))
    return names, cols


def _quote(name):
    return '"' + name.replace('"', '""') + '"'


def read_duckdb(path):
    con = duckdb.connect()
    try:
        con.execute("SET threads = 1")  # file order, whatever the machine
        src = "read_parquet(?, hive_partitioning = false)"
        described = con.execute(f"DESCRIBE SELECT * FROM {src}", [path]).fetchall()
        names = [row[0] for row in described]
        exprs, kinds = [], []
        for name, typ in ((row[0], row[1].upper()) for row in described):
            q = _quote(name)
            # TIMESTAMP WITH TIME ZONE (duckdb's type for isAdjustedToUTC=true) holds microseconds:
            # epoch_ns of it is exact for the whole-microsecond values the fixtures use.
            if typ.startswith("TIMESTAMP"):
                exprs.append(f"epoch_ns({q})")
                kinds.append(("time", _FACTOR["ns"]))
            elif typ == "DATE":
                exprs.append(f"({q} - DATE '1970-01-01') * 86400")
                kinds.append(("time", 1))
            elif typ in ("FLOAT", "DOUBLE", "REAL"):
                exprs.append(q)
                kinds.append("float")
            elif typ in ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT",
                         "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT"):
                exprs.append(q)
                kinds.append("int")
            elif typ == "BOOLEAN":
                exprs.append(q)
                kinds.append("bool")
            elif typ == "VARCHAR":
                exprs.append(q)
                kinds.append("str")
            else:
                exprs.append(q)
                kinds.append("other")
        rows = con.execute(f"SELECT {', '.join(exprs)} FROM {src}", [path]).fetchall()
    finally:
        con.close()
    cols = [(kinds[j], [r[j] for r in rows]) for j in range(len(names))]
    return names, cols


def canonical(names, cols):
    """(header, rows) as text cells."""
    n = len(cols[0][1]) if cols else 0
    texts = [[cell(kind, v) for v in values] for kind, values in cols]
    return list(names), [[texts[j][i] for j in range(len(names))] for i in range(n)]


def readers():
    out = [("pyarrow " + pa.__version__, read_pyarrow)]
    if pl is not None:
        out.append(("polars " + pl.__version__, read_polars))
    if duckdb is not None:
        out.append(("duckdb " + duckdb.__version__, read_duckdb))
    return out


def read_all(path):
    """The canonical (header, rows) of `path`, checked to be the same from every reader."""
    results = []
    for label, fn in readers():
        try:
            results.append((label, canonical(*fn(path))))
        except Exception as e:  # noqa: BLE001 - any reader failure is reported the same way
            raise ReadError(f"{path}: {label} cannot read it: {type(e).__name__}: {e}") from e
    base_label, (base_header, base_rows) = results[0]
    for label, (header, rows) in results[1:]:
        if header != base_header:
            raise ReadError(f"{path}: {label} reads columns {header}, {base_label} reads {base_header}")
        if len(rows) != len(base_rows):
            raise ReadError(f"{path}: {label} reads {len(rows)} rows, {base_label} reads {len(base_rows)}")
        for i, (a, b) in enumerate(zip(base_rows, rows)):
            if a != b:
                j = next(k for k in range(len(a)) if a[k] != b[k])
                raise ReadError(f"{path}: row {i} column '{header[j]}': {base_label} reads '{a[j]}', "
                                f"{label} reads '{b[j]}'")
    return base_header, base_rows


def to_text(name, header, rows):
    buf = io.StringIO()
    buf.write(f"# file {name} rows {len(rows)}\n")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue()


def main(argv):
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    missing = [label for label, mod in (("polars", pl), ("duckdb", duckdb)) if mod is None]
    if missing:
        print(f"read_back.py: not installed, not compared: {', '.join(missing)}", file=sys.stderr)
    for path in argv:
        try:
            header, rows = read_all(path)
        except ReadError as e:
            sys.stdout.flush()
            print(f"read_back.py: {e}", file=sys.stderr)
            return 1
        sys.stdout.write(to_text(path, header, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
