"""Write Tests/Fixtures/parquet/: CSV twins and the Parquet files made from the same rows, for the
tests of Lunar's Parquet reader, and fixtures.json, the table those tests iterate over.

Every fact the manifest states about a file (codecs, encodings, page versions, row groups, pages
per column chunk) is read back from the file written: the column chunk metadata through pyarrow,
and the page headers by walking each column chunk with the small Thrift compact-protocol reader
below (pyarrow has no API for page headers). Every good fixture is then read with pyarrow, polars
and duckdb (tools/parquet/read_back.py) and compared cell by cell with its CSV twin.

Deterministic: no randomness, no wall clock; with the pinned versions (tools/parquet/install.sh)
two runs write byte-identical files. Run it through tools/parquet/make_fixtures.sh.
"""

import argparse
import calendar
import csv
import datetime as dt
import io
import json
import os
import shutil
import struct
import sys
import zoneinfo
from importlib.metadata import version

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq

sys.dont_write_bytecode = True  # no __pycache__ beside the scripts
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import read_back  # noqa: E402

PYARROW = "pyarrow " + version("pyarrow")
POLARS = "polars " + version("polars")

# What the issue asks the fixtures to cover, checked against the files written.
REQUIRED_ENCODINGS = ["PLAIN", "RLE", "DELTA_BINARY_PACKED", "DELTA_BYTE_ARRAY", "BYTE_STREAM_SPLIT"]
REQUIRED_DICTIONARY = ["RLE_DICTIONARY", "PLAIN_DICTIONARY"]  # one of them
REQUIRED_CODECS = ["UNCOMPRESSED", "SNAPPY", "ZSTD", "GZIP"]
REQUIRED_PAGES = ["v1", "v2"]

# The error text the Swift reader is expected to put in its message for each bad file.
ERR_NESTED_COLUMN = "bid_levels"
ERR_TRUNCATED = "truncated"
ERR_NOT_PARQUET = "not a Parquet file"
ERR_NEGATIVE = "is not a positive price"   # CSVLoader's message for a price <= 0

# ---------------------------------------------------------------------------------------------
# Data: integer prices in units of 0.0001 from a fixed linear congruential generator.


class Lcg:
    def __init__(self, seed):
        self.x = seed

    def next(self, n):
        """An integer in 0 ..< n."""
        self.x = (self.x * 6364136223846793005 + 1442695040888963407) % (1 << 64)
        return (self.x >> 33) % n


def price(ticks):
    """The float of a 4-decimal price given in units of 0.0001 (parsed from its decimal text, so
    it is the double any correct parser reads from the same digits)."""
    assert ticks > 0
    return float(f"{ticks // 10000}.{ticks % 10000:04d}")


def bars(symbol, seed, base_ticks, times, null_at=()):
    """OHLCV rows of one symbol at `times` (epoch seconds)."""
    g = Lcg(seed)
    rows, close = [], base_ticks
    for i, t in enumerate(times):
        open_ = close + close * (g.next(401) - 200) // 100_000          # within ±0.2 % of the last close
        close = open_ + open_ * (g.next(2001) - 1000) // 100_000        # within ±1 %
        high = max(open_, close) + g.next(open_ // 200 + 1)
        low = min(open_, close) - g.next(min(open_, close) // 200 + 1)
        volume = 10_000 + g.next(5_000_000)
        rows.append({"t": t, "symbol": symbol, "open": price(open_), "high": price(high),
                     "low": price(low), "close": price(close),
                     "volume": None if i in null_at else volume})
    return rows


def weekdays(start, n):
    out, d = [], start
    while len(out) < n:
        if d.weekday() < 5:
            out.append(calendar.timegm(d.timetuple()))
        d += dt.timedelta(days=1)
    return out


DAYS = weekdays(dt.date(2024, 1, 2), 40)          # 2024-01-02 .. 2024-02-26: two months
DAILY = (bars("AAA", 11, 1_012_345, DAYS, null_at={3})
         + bars("BBB", 22, 255_000, DAYS, null_at={17})
         + bars("CCC", 33, 31_416, DAYS[5:], null_at={30}))   # CCC starts five bars later
MINUTE_START = calendar.timegm((2024, 3, 4, 14, 30, 0))
MINUTES = [MINUTE_START + 60 * i for i in range(30)]
MINUTE = bars("AAA", 44, 1_500_000, MINUTES, null_at={7}) + bars("BBB", 55, 42_000, MINUTES)
SYMBOLS = ["AAA", "BBB", "CCC"]
FIELDS = ["open", "high", "low", "close"]


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


for r in DAILY:  # the float32 column of daily-types.parquet: (high + low + close) / 3 as a float
    r["vwap"] = f32((r["high"] + r["low"] + r["close"]) / 3)
for rows in (DAILY, MINUTE):
    for r in rows:
        assert 0 < r["low"] <= min(r["open"], r["close"]) <= max(r["open"], r["close"]) <= r["high"]

# ---------------------------------------------------------------------------------------------
# CSV twins


def day_text(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%d")


def minute_text(t):
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def twin_rows(rows, time_text, extra=()):
    for r in rows:
        yield ([time_text(r["t"]), r["symbol"]] + [repr(r[f]) for f in FIELDS]
               + ["" if r["volume"] is None else str(r["volume"])] + [repr(r[e]) for e in extra])


def write_csv(path, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    with open(path, "w", newline="") as f:
        f.write(buf.getvalue())


HEADER = ["date", "symbol"] + FIELDS + ["volume"]

# ---------------------------------------------------------------------------------------------
# Arrow tables


def table(rows, time="ms-utc", time_name="date", symbol=True, volume=pa.int64(), vwap=False,
          required=False, nested=False):
    ts = [r["t"] for r in rows]
    if time == "date32":
        tcol, ttype = [t // 86400 for t in ts], pa.date32()
    elif time == "string":
        tcol, ttype = [day_text(t) for t in ts], pa.string()
    else:
        unit, _, tz = time.partition("-")
        tcol = [t * read_back._FACTOR[unit] for t in ts]
        ttype = pa.timestamp(unit, tz="UTC" if tz == "utc" else None)
    fields, arrays = [pa.field(time_name, ttype, nullable=not required)], [pa.array(tcol, ttype)]
    if symbol:
        fields.append(pa.field("symbol", pa.string(), nullable=not required))
        arrays.append(pa.array([r["symbol"] for r in rows], pa.string()))
    for f in FIELDS:
        fields.append(pa.field(f, pa.float64(), nullable=not required))
        arrays.append(pa.array([r[f] for r in rows], pa.float64()))
    fields.append(pa.field("volume", volume))
    arrays.append(pa.array([r["volume"] for r in rows], volume))
    if vwap:
        fields.append(pa.field("vwap", pa.float32()))
        arrays.append(pa.array([r["vwap"] for r in rows], pa.float32()))
    if nested:  # an order book of five levels: a list<double> column, which Lunar cannot load
        fields.append(pa.field(ERR_NESTED_COLUMN, pa.list_(pa.float64())))
        arrays.append(pa.array([[r["low"] - k * 0.01 for k in range(5)] for r in rows],
                               pa.list_(pa.float64())))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def write_pyarrow(tbl, path, **kw):
    kw.setdefault("compression", "snappy")
    pq.write_table(tbl, path, **kw)


def write_polars(tbl, path, **kw):
    pl.from_arrow(tbl).write_parquet(path, **kw)

# ---------------------------------------------------------------------------------------------
# Page headers: a Thrift compact-protocol reader, enough to walk a column chunk's pages.


class Thrift:
    def __init__(self, buf, pos):
        self.buf, self.pos = buf, pos

    def byte(self):
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def varint(self):
        shift = out = 0
        while True:
            b = self.byte()
            out |= (b & 0x7F) << shift
            if b < 0x80:
                return out
            shift += 7

    def zigzag(self):
        n = self.varint()
        return (n >> 1) ^ -(n & 1)

    def value(self, typ):
        if typ in (1, 2):
            return typ == 1
        if typ == 3:
            return struct.unpack("b", bytes([self.byte()]))[0]
        if typ in (4, 5, 6):
            return self.zigzag()
        if typ == 7:
            self.pos += 8
            return struct.unpack("<d", self.buf[self.pos - 8:self.pos])[0]
        if typ == 8:
            n = self.varint()
            self.pos += n
            return bytes(self.buf[self.pos - n:self.pos])
        if typ in (9, 10):
            head = self.byte()
            n, et = head >> 4, head & 0x0F
            if n == 15:
                n = self.varint()
            return [self.byte() == 1 if et in (1, 2) else self.value(et) for _ in range(n)]
        if typ == 11:
            n = self.varint()
            kv = self.byte() if n else 0
            return [(self.value(kv >> 4), self.value(kv & 0x0F)) for _ in range(n)]
        if typ == 12:
            return self.struct()
        raise ValueError(f"thrift type {typ}")

    def struct(self):
        out, last = {}, 0
        while True:
            head = self.byte()
            if head == 0:
                return out
            delta, typ = head >> 4, head & 0x0F
            fid = last + delta if delta else self.zigzag()
            out[fid] = self.value(typ)
            last = fid


ENCODINGS = {0: "PLAIN", 2: "PLAIN_DICTIONARY", 3: "RLE", 4: "BIT_PACKED", 5: "DELTA_BINARY_PACKED",
             6: "DELTA_LENGTH_BYTE_ARRAY", 7: "DELTA_BYTE_ARRAY", 8: "RLE_DICTIONARY",
             9: "BYTE_STREAM_SPLIT"}
PAGE_TYPES = {0: "DATA_PAGE", 1: "INDEX_PAGE", 2: "DICTIONARY_PAGE", 3: "DATA_PAGE_V2"}


def pages(buf, cc):
    """[(page type, value encoding, num_values)] of one column chunk, from its page headers."""
    starts = [o for o in (cc.dictionary_page_offset if cc.has_dictionary_page else None,
                          cc.data_page_offset) if o is not None and o > 0]
    pos = min(starts)
    end = pos + cc.total_compressed_size
    out = []
    while pos < end:
        t = Thrift(buf, pos)
        h = t.struct()
        kind = PAGE_TYPES[h[1]]
        sub = h.get({"DATA_PAGE": 5, "DICTIONARY_PAGE": 7, "DATA_PAGE_V2": 8}.get(kind, -1), {})
        enc_field = 4 if kind == "DATA_PAGE_V2" else 2
        out.append((kind, ENCODINGS.get(sub.get(enc_field)), sub.get(1)))
        pos = t.pos + h[3]
    assert pos == end, f"pages overrun the column chunk ({pos} != {end})"
    return out


def inspect(path):
    """The verified facts of one Parquet file."""
    with open(path, "rb") as f:
        buf = f.read()
    md = pq.ParquetFile(path).metadata
    codecs, encodings, page_encodings, kinds, per_chunk, float32, int32 = set(), set(), set(), set(), [], [], []
    by_column = {}
    schema = pq.ParquetFile(path).schema_arrow
    for i in range(md.num_row_groups):
        rg = md.row_group(i)
        for j in range(rg.num_columns):
            cc = rg.column(j)
            codecs.add(cc.compression)
            encodings.update(cc.encodings)
            ps = pages(buf, cc)
            per_chunk.append(sum(1 for p in ps if p[0] != "DICTIONARY_PAGE"))
            for kind, enc, _ in ps:
                kinds.add(kind)
                page_encodings.add(enc)
                by_column.setdefault(cc.path_in_schema, set()).add(enc)
    for field in schema:
        if pa.types.is_float32(field.type):
            float32.append(field.name)
        if pa.types.is_int32(field.type):
            int32.append(field.name)
    page = sorted({"DATA_PAGE": "v1", "DATA_PAGE_V2": "v2"}[k] for k in kinds if k.startswith("DATA"))
    return {
        "rows": md.num_rows,
        "row_groups": md.num_row_groups,
        "max_pages_per_chunk": max(per_chunk),
        "codec": "+".join(sorted(codecs)),
        "page": "+".join(page),
        "dictionary": "DICTIONARY_PAGE" in kinds,
        "encodings": sorted(encodings),
        "page_encodings": sorted(page_encodings),
        "column_encodings": {k: sorted(v) for k, v in sorted(by_column.items())},
        "float32": float32,
        "int32": int32,
        "created_by": md.created_by,
        "statistics": any(md.row_group(i).column(j).is_stats_set
                          for i in range(md.num_row_groups) for j in range(md.num_columns)),
    }

# ---------------------------------------------------------------------------------------------
# Fixtures


def long_fixtures():
    """(file, dataset, table, writer, options, manifest extras) of the one-file long layouts."""
    d = lambda **kw: table(DAILY, **kw)  # noqa: E731
    m = lambda **kw: table(MINUTE, **kw)  # noqa: E731
    by_date = sorted(DAILY, key=lambda r: (r["t"], r["symbol"]))
    dict_on = {"use_dictionary": True}
    delta = {"date": "DELTA_BINARY_PACKED", "volume": "DELTA_BINARY_PACKED",
             "symbol": "DELTA_BYTE_ARRAY", **{f: "BYTE_STREAM_SPLIT" for f in FIELDS}}
    return [
        ("daily-none.parquet", "daily", d(), write_pyarrow, {"compression": "none", **dict_on}, {}),
        ("daily-snappy.parquet", "daily", d(), write_pyarrow, {"compression": "snappy", **dict_on}, {}),
        ("daily-zstd.parquet", "daily", d(), write_pyarrow, {"compression": "zstd", **dict_on}, {}),
        ("daily-gzip.parquet", "daily", d(), write_pyarrow, {"compression": "gzip", **dict_on}, {}),
        ("daily-plain.parquet", "daily", d(), write_pyarrow, {"compression": "snappy", "use_dictionary": False}, {}),
        ("daily-v2.parquet", "daily", d(), write_pyarrow,
         {"compression": "zstd", "data_page_version": "2.0", **dict_on}, {}),
        ("daily-v2-plain.parquet", "daily", d(), write_pyarrow,
         {"compression": "snappy", "data_page_version": "2.0", "use_dictionary": False}, {}),
        # Several row groups (17 rows each), several data pages per column chunk: pyarrow checks the
        # page size after every write_batch_size values.
        ("daily-rowgroups.parquet", "daily", d(), write_pyarrow,
         {"compression": "snappy", "row_group_size": 17, "data_page_size": 256, "write_batch_size": 4,
          **dict_on}, {}),
        # The dictionary outgrows its limit: each column chunk holds RLE_DICTIONARY pages, then PLAIN ones.
        ("daily-dict-fallback.parquet", "daily", d(), write_pyarrow,
         {"compression": "snappy", "dictionary_pagesize_limit": 96, "data_page_size": 64,
          "write_batch_size": 8, **dict_on}, {}),
        # Parquet format 1.0, as older writers (parquet-mr 1.x, Spark 2) write it: PLAIN_DICTIONARY
        # dictionary pages and data pages, converted types only where 1.0 has them.
        ("daily-format1.parquet", "daily", d(), write_pyarrow,
         {"compression": "snappy", "version": "1.0", **dict_on}, {}),
        ("daily-delta.parquet", "daily", d(), write_pyarrow,
         {"compression": "snappy", "use_dictionary": False, "column_encoding": delta}, {}),
        ("daily-delta-v2.parquet", "daily", d(), write_pyarrow,
         {"compression": "zstd", "use_dictionary": False, "column_encoding": delta,
          "data_page_version": "2.0"}, {}),
        # DELTA_LENGTH_BYTE_ARRAY is beyond the list of encodings: optional for the reader.
        ("daily-delta-length.parquet", "daily", d(), write_pyarrow,
         {"compression": "snappy", "use_dictionary": False,
          "column_encoding": {"symbol": "DELTA_LENGTH_BYTE_ARRAY"}}, {"optional": True}),
        ("daily-types.parquet", "daily-types", d(volume=pa.int32(), vwap=True), write_pyarrow,
         {"compression": "snappy", **dict_on}, {}),
        ("daily-required.parquet", "daily", d(required=True), write_pyarrow,
         {"compression": "snappy", **dict_on},
         {"required_columns": ["date", "symbol"] + FIELDS}),
        ("daily-date32.parquet", "daily", d(time="date32"), write_pyarrow, {"compression": "snappy", **dict_on}, {}),
        ("daily-string-dates.parquet", "daily", d(time="string"), write_pyarrow,
         {"compression": "snappy", **dict_on}, {}),
        ("daily-by-date.parquet", "daily", table(by_date), write_pyarrow, {"compression": "snappy", **dict_on},
         {"row_order": "date,symbol"}),
        ("minute-ms-utc.parquet", "minute", m(time="ms-utc"), write_pyarrow, {"compression": "snappy"}, {}),
        ("minute-us-utc.parquet", "minute", m(time="us-utc"), write_pyarrow, {"compression": "snappy"}, {}),
        ("minute-ns-utc.parquet", "minute", m(time="ns-utc", time_name="timestamp"), write_pyarrow,
         {"compression": "snappy"}, {}),
        # No time zone: isAdjustedToUTC=false, the same wall-clock numbers, read as UTC.
        ("minute-us-local.parquet", "minute", m(time="us-local", time_name="timestamp"), write_pyarrow,
         {"compression": "snappy"}, {}),
        # Spark's legacy INT96 timestamps: beyond the list, optional for the reader.
        ("minute-int96.parquet", "minute", m(time="ns-utc"), write_pyarrow,
         {"compression": "snappy", "use_deprecated_int96_timestamps": True}, {"optional": True}),
        ("daily-polars-zstd.parquet", "daily", d(), write_polars, {}, {}),
        ("daily-polars-snappy.parquet", "daily", d(), write_polars, {"compression": "snappy"}, {}),
        ("daily-polars-uncompressed.parquet", "daily", d(), write_polars, {"compression": "uncompressed"}, {}),
        ("daily-polars-nostats.parquet", "daily", d(), write_polars, {"statistics": False}, {}),
        ("daily-polars-rowgroups.parquet", "daily", d(), write_polars,
         {"compression": "snappy", "row_group_size": 17}, {}),
        ("minute-polars-us-utc.parquet", "minute", m(time="us-utc"), write_polars, {}, {}),
    ]


def expected_rows(twin_path, rows_order=None, string_dates=False):
    """The canonical rows read_back.py must print for a fixture made from `twin_path`."""
    with open(twin_path, newline="") as f:
        rows = list(csv.reader(f))[1:]
    out = []
    for r in rows:
        t = r[0]
        if not string_dates:
            fmt = "%Y-%m-%dT%H:%M:%SZ" if "T" in t else "%Y-%m-%d"
            t = str(calendar.timegm(dt.datetime.strptime(t, fmt).timetuple()))
        out.append([t] + r[1:])
    if rows_order == "date,symbol":
        out.sort(key=lambda c: (int(c[0]), c[1]))
    return out


def check_against_twin(path, twin_path, time_name, **kw):
    header, rows = read_back.read_all(path)
    want = expected_rows(twin_path, **kw)
    with open(twin_path, newline="") as f:
        twin_header = next(csv.reader(f))
    want_header = [time_name] + twin_header[1:]
    assert header == want_header, f"{path}: columns {header}, expected {want_header}"
    assert rows == want, f"{path}: rows differ from {twin_path}"
    return header, rows


def clean(out):
    for name in ("folder", "partitioned", "bad"):
        shutil.rmtree(os.path.join(out, name), ignore_errors=True)
    if os.path.isdir(out):
        for name in os.listdir(out):
            if name.endswith((".parquet", ".csv")) or name == "fixtures.json":
                os.remove(os.path.join(out, name))
    os.makedirs(out, exist_ok=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default="Tests/Fixtures/parquet")
    out = ap.parse_args().out
    clean(out)
    p = lambda *parts: os.path.join(out, *parts)  # noqa: E731

    write_csv(p("daily.csv"), HEADER, twin_rows(DAILY, day_text))
    write_csv(p("daily-types.csv"), HEADER + ["vwap"], twin_rows(DAILY, day_text, extra=("vwap",)))
    write_csv(p("minute.csv"), HEADER, twin_rows(MINUTE, minute_text))
    twins = {"daily": "daily.csv", "daily-types": "daily-types.csv", "minute": "minute.csv"}

    manifest = []
    for name, dataset, tbl, writer, options, extra in long_fixtures():
        writer(tbl, p(name), **options)
        facts = inspect(p(name))
        time_name = tbl.schema.field(0).name
        ttype = tbl.schema.field(0).type
        if "int96" in name:
            tlabel = "int96"
        elif pa.types.is_timestamp(ttype):
            tlabel = ttype.unit + ("-utc" if ttype.tz else "-local")
        else:
            tlabel = "date32" if pa.types.is_date32(ttype) else "string"
        check_against_twin(p(name), p(twins[dataset]), time_name, rows_order=extra.get("row_order"),
                           string_dates=tlabel == "string")
        writer_label = PYARROW if writer is write_pyarrow else POLARS
        manifest.append({"file": name, "twin": twins[dataset], "layout": "long", "writer": writer_label,
                         "timestamp": tlabel, "time_column": time_name, **facts, **extra})

    # Per-symbol files without a symbol column.
    os.makedirs(p("folder"))
    files, all_facts = [], []
    for s in SYMBOLS:
        rel = f"folder/{s}.parquet"
        write_pyarrow(table([r for r in DAILY if r["symbol"] == s], symbol=False), p(rel), compression="snappy")
        files.append(rel)
        all_facts.append(inspect(p(rel)))
        header, rows = read_back.read_all(p(rel))
        want = [c for c in expected_rows(p("daily.csv")) if c[1] == s]
        assert header == ["date"] + FIELDS + ["volume"] and rows == [[c[0]] + c[2:] for c in want], rel
    manifest.append(folder_entry("folder", files, all_facts, "daily.csv", "folder", PYARROW, "ms-utc"))

    # Hive-style partitions by month; each file keeps date and symbol.
    files, all_facts, got = [], [], []
    for month in sorted({day_text(r["t"])[5:7] for r in DAILY}):
        rel = f"partitioned/year=2024/month={month}/part-0.parquet"
        os.makedirs(os.path.dirname(p(rel)))
        write_pyarrow(table([r for r in DAILY if day_text(r["t"])[5:7] == month]), p(rel), compression="snappy")
        files.append(rel)
        all_facts.append(inspect(p(rel)))
        got += read_back.read_all(p(rel))[1]
    want = expected_rows(p("daily.csv"))
    assert sorted(got, key=lambda c: (c[1], int(c[0]))) == want, "partitioned rows differ from daily.csv"
    assert len(files) >= 2
    manifest.append(folder_entry("partitioned", files, all_facts, "daily.csv", "partitioned", PYARROW, "ms-utc"))

    # pandas with a time-zone-aware index, as yfinance's daily bars come: each day's instant is the
    # exchange's midnight (05:00 UTC in winter), and only the "pandas" metadata names the zone.
    # Lunar reads these as those days, as it reads "2024-01-02 00:00:00-05:00" in a CSV.
    zone = "America/New_York"
    ny = zoneinfo.ZoneInfo(zone)
    local_midnights = [int(dt.datetime.strptime(day_text(r["t"]), "%Y-%m-%d").replace(tzinfo=ny).timestamp())
                       for r in DAILY]
    tz_type = pa.timestamp("ns", tz=zone)
    tbl = table(DAILY).set_column(0, pa.field("date", tz_type), pa.array([t * 10**9 for t in local_midnights], tz_type))
    pandas_meta = {"index_columns": [], "column_indexes": [], "pandas_version": "2.2.3",
                   "creator": {"library": "pyarrow", "version": pa.__version__},
                   "columns": [{"name": "date", "field_name": "date", "pandas_type": "datetimetz",
                                "numpy_type": "datetime64[ns]", "metadata": {"timezone": zone}}] +
                              [{"name": n, "field_name": n, "pandas_type": "unicode" if n == "symbol" else "float64",
                                "numpy_type": "object" if n == "symbol" else "float64", "metadata": None}
                               for n in tbl.schema.names[1:]]}
    tbl = tbl.replace_schema_metadata({**(tbl.schema.metadata or {}), b"pandas": json.dumps(pandas_meta).encode()})
    write_pyarrow(tbl, p("daily-pandas-tz.parquet"), compression="snappy")
    header, rows = read_back.read_all(p("daily-pandas-tz.parquet"))
    assert [int(r[0]) for r in rows] == local_midnights and min(t % 86400 for t in local_midnights) == 5 * 3600
    manifest.append({"file": "daily-pandas-tz.parquet", "twin": "daily.csv", "layout": "long", "writer": PYARROW,
                     "timestamp": "ns-zone", "time_column": "date", "local_days": zone,
                     **inspect(p("daily-pandas-tz.parquet"))})

    # The same zone with no pandas metadata: pyarrow's and polars' own Arrow schema
    # (ARROW:schema) is the only record of it.
    arrow_tz = tbl.replace_schema_metadata({k: v for k, v in (tbl.schema.metadata or {}).items() if k != b"pandas"})
    for name, writer in (("daily-arrow-tz.parquet", write_pyarrow), ("daily-polars-tz.parquet", write_polars)):
        writer(arrow_tz, p(name), **({"compression": "snappy"} if writer is write_pyarrow else {}))
        meta = pq.ParquetFile(p(name)).metadata.metadata or {}
        assert b"pandas" not in meta and b"ARROW:schema" in meta, f"{name}: metadata {list(meta)}"
        rows = read_back.read_all(p(name))[1]
        assert [int(r[0]) for r in rows] == local_midnights, name
        manifest.append({"file": name, "twin": "daily.csv", "layout": "long", "writer": PYARROW if writer is write_pyarrow else POLARS,
                         "timestamp": "ns-zone" if writer is write_pyarrow else "us-zone", "time_column": "date",
                         "local_days": zone, **inspect(p(name))})

    manifest += bad_fixtures(p)
    check_coverage(manifest)
    with open(p("fixtures.json"), "w") as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
        f.write("\n")
    total = sum(os.path.getsize(os.path.join(d, n)) for d, _, ns in os.walk(out) for n in ns)
    assert total < 1_000_000, f"fixtures take {total} bytes"
    print(f"==> wrote {len(manifest)} fixtures to {out} ({total} bytes)")


def folder_entry(path, files, facts, twin, layout, writer, tlabel):
    merged = {
        "rows": sum(f["rows"] for f in facts),
        "row_groups": sum(f["row_groups"] for f in facts),
        "max_pages_per_chunk": max(f["max_pages_per_chunk"] for f in facts),
        "codec": "+".join(sorted({c for f in facts for c in f["codec"].split("+")})),
        "page": "+".join(sorted({v for f in facts for v in f["page"].split("+")})),
        "dictionary": any(f["dictionary"] for f in facts),
        "encodings": sorted({e for f in facts for e in f["encodings"]}),
        "page_encodings": sorted({e for f in facts for e in f["page_encodings"]}),
        "float32": [], "int32": [],
        "created_by": facts[0]["created_by"],
        "statistics": any(f["statistics"] for f in facts),
    }
    return {"file": path, "files": files, "twin": twin, "layout": layout, "writer": writer,
            "timestamp": tlabel, "time_column": "date", **merged}


def bad_fixtures(p):
    os.makedirs(p("bad"))
    out = []
    write_pyarrow(table(DAILY, nested=True), p("bad", "nested.parquet"), compression="snappy")
    out.append({"file": "bad/nested.parquet", "error_contains": ERR_NESTED_COLUMN,
                "why": f"column '{ERR_NESTED_COLUMN}' is list<double>: nested columns are not supported"})

    write_pyarrow(table(DAILY), p("bad", "whole.tmp"), compression="snappy")
    with open(p("bad", "whole.tmp"), "rb") as f:
        whole = f.read()
    os.remove(p("bad", "whole.tmp"))
    with open(p("bad", "truncated.parquet"), "wb") as f:
        f.write(whole[: len(whole) // 2])
    try:
        pq.ParquetFile(p("bad", "truncated.parquet"))
        raise AssertionError("pyarrow reads the truncated file")
    except pa.ArrowInvalid:
        pass
    out.append({"file": "bad/truncated.parquet", "error_contains": ERR_TRUNCATED,
                "why": f"the first {len(whole) // 2} of {len(whole)} bytes of a valid file: "
                       "starts with PAR1, has no footer"})

    with open(p("bad", "not-parquet.parquet"), "w", newline="") as f:
        f.write("date,symbol,open,high,low,close,volume\n2024-01-02,AAA,1,1,1,1,1\n")
    out.append({"file": "bad/not-parquet.parquet", "error_contains": ERR_NOT_PARQUET,
                "why": "CSV text under a .parquet name: no PAR1 magic"})

    rows = [dict(r) for r in DAILY]
    k = next(i for i, r in enumerate(rows) if r["symbol"] == "BBB" and day_text(r["t"]) == "2024-01-12")
    rows[k]["close"] = -1.0
    write_pyarrow(table(rows), p("bad", "negative-close.parquet"), compression="snappy")
    got = read_back.read_all(p("bad", "negative-close.parquet"))[1]
    assert got[k][1] == "BBB" and got[k][5] == "-1.0"
    out.append({"file": "bad/negative-close.parquet", "error_contains": ERR_NEGATIVE, "column": "close",
                "row": k, "symbol": "BBB", "date": "2024-01-12", "value": -1.0,
                "why": "close -1.0 at 0-based row `row` in file order; every other row as in daily.csv"})
    return out


def check_coverage(manifest):
    good = [m for m in manifest if "error_contains" not in m]
    encodings = {e for m in good for e in m["encodings"] + m["page_encodings"]}
    for e in REQUIRED_ENCODINGS:
        assert e in encodings, f"no fixture uses {e}"
    assert any(e in encodings for e in REQUIRED_DICTIONARY), "no fixture is dictionary-encoded"
    codecs = {c for m in good for c in m["codec"].split("+")}
    for c in REQUIRED_CODECS:
        assert c in codecs, f"no fixture is compressed with {c}"
    pages_seen = {v for m in good for v in m["page"].split("+")}
    for v in REQUIRED_PAGES:
        assert v in pages_seen, f"no fixture has data pages {v}"
    by = {m["file"]: m for m in good}
    # Each file does what its name says.
    for name, codec in (("daily-none", "UNCOMPRESSED"), ("daily-snappy", "SNAPPY"), ("daily-zstd", "ZSTD"),
                        ("daily-gzip", "GZIP"), ("daily-polars-zstd", "ZSTD"),
                        ("daily-polars-snappy", "SNAPPY"), ("daily-polars-uncompressed", "UNCOMPRESSED")):
        assert by[name + ".parquet"]["codec"] == codec, name
    for name in ("daily-v2", "daily-v2-plain", "daily-delta-v2"):
        assert by[name + ".parquet"]["page"] == "v2", name
    for name in ("daily-none", "daily-snappy", "daily-zstd", "daily-gzip", "daily-v2"):
        assert by[name + ".parquet"]["dictionary"], name
    for name in ("daily-plain", "daily-v2-plain", "daily-delta"):
        assert not by[name + ".parquet"]["dictionary"], name
    rg = by["daily-rowgroups.parquet"]
    assert rg["row_groups"] > 1 and rg["max_pages_per_chunk"] > 1, rg
    fb = by["daily-dict-fallback.parquet"]["column_encodings"]
    assert any({"RLE_DICTIONARY", "PLAIN"} <= set(v) for v in fb.values()), fb
    de = by["daily-delta.parquet"]["column_encodings"]
    assert de["date"] == de["volume"] == ["DELTA_BINARY_PACKED"], de
    assert de["symbol"] == ["DELTA_BYTE_ARRAY"], de
    assert all(de[f] == ["BYTE_STREAM_SPLIT"] for f in FIELDS), de
    assert "PLAIN_DICTIONARY" in by["daily-format1.parquet"]["page_encodings"]
    assert by["daily-delta-length.parquet"]["column_encodings"]["symbol"] == ["DELTA_LENGTH_BYTE_ARRAY"]
    assert not by["daily-polars-nostats.parquet"]["statistics"]
    assert by["daily-types.parquet"]["float32"] == ["vwap"] and by["daily-types.parquet"]["int32"] == ["volume"]


if __name__ == "__main__":
    main()
