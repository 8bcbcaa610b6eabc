#!/usr/bin/env python3
"""Writes the seed corpora under Fuzz/corpus/<target>/ (committed; rerun after changing this file).

Seeds are small, valid-or-nearly-valid inputs of each format: real files of the repository
(strategies/, examples/, stdlib/) and generated ones. libFuzzer mutates from them.
"""
import json
import os
import shutil
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "Fuzz", "corpus")


def out(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def reset(target):
    shutil.rmtree(os.path.join(CORPUS, target), ignore_errors=True)


# --- CSV: one-symbol files (split at form feeds into a folder) and long files -----------
reset("csv")
FF = "\x0c"
out("csv", "one_symbol.csv", "date,open,high,low,close,volume\n2020-01-02,10,11,9,10.5,1000\n2020-01-03,10.5,12,10,11.25,1200\n2020-01-06,11,11.5,10.1,10.2,900\n")
out("csv", "mixed_case_extra.csv", "Date,Close,Open,High,Low,Volume,Note\n2020-01-02,10,9,11,8,100,1\n2020-01-03,11,10,12,9,200,2\n")
out("csv", "adj_close.csv", "Date,Open,High,Low,Close,Adj Close,Volume\n2020-01-02,10,12,8,10,5,100\n2020-01-03,11,12,9,11,5.5,110\n")
out("csv", "epoch_intraday.csv", "timestamp,open,high,low,close,volume\n1700000000,1,1,1,1,1\n1700000060,2,2,2,2,2\n1700000120,1.5,2.5,1,2,3\n")
out("csv", "iso_times.csv", "datetime,open,high,low,close,volume\n2021-03-01T09:30:00Z,1,2,0.5,1.5,10\n2021-03-01 09:31:15.250+05:30,1.5,2,1,1.75,NaN\n2021-03-01T10:00-04:00,2,3,1,2,\n")
out("csv", "quoted_long.csv", '"date","symbol","open","high","low","close","volume"\n"2020-01-02","A""B, Inc",1,1,1,"1.5",10\n" 2020-01-03 ","A""B, Inc",1,1,1,1.6,10\n2020-01-02,plain,1,1,1,2,10\n')
out("csv", "long_two_symbols.csv", "symbol,date,open,high,low,close,volume\nX,2020-01-02,1,1,1,1,1\nY,2020-01-02,2,2,2,2,2\nX,2020-01-03,3,3,3,3,3\nY,2020-01-03,4,4,4,4,4\n\n")
out("csv", "crlf_bom.csv", "\ufeffdate,open,high,low,close,volume\r\n2020-02-28,1,1,1,1,1\r\n2020-02-29,1,1,1,1,null\r\n2020-03-31,1e0,1.0e+0,0.1e1,1,n/a\r\n")
out("csv", "numbers.csv", "date,open,high,low,close,volume\n2020-01-02,0.000000000000000000001,123456789012345678901234,1.7976931348623157e308,0x1p4,-0\n2020-01-03,12345678.12345678,99999999999999999,4.9e-324,inf,0\n")
out("csv", "two_files.csv", "date,open,high,low,close,volume\n2020-01-02,1,1,1,1,1\n2020-01-03,2,2,2,2,2\n" + FF +
    "date,open,high,low,close,volume,extra\n2020-01-03,5,5,5,5,5,1\n2020-01-06,6,6,6,6,6,2\n")
out("csv", "three_files_bad_third.csv", "date,open,high,low,close,volume\n2020-01-02,1,1,1,1,1\n" + FF +
    "date,open,high,low,close,volume\n2020-01-02,1,1,1,1,1\n" + FF + "date,open,high,low,close\n2020-01-02,1,1,1,1\n")
# Layouts of docs/semantics.md "Data": pandas index, yfinance, newest first, Date+Time, ; and tab.
out("csv", "pandas_index.csv", ",Open,High,Low,Close,Volume\n2017-04-19 09:00:00+00:00,1.0716,1.0722,1.07083,1.07219,1413\n2017-04-19 10:00:00+00:00,1.07214,1.07296,1.07214,1.0726,1241\n")
out("csv", "yfinance_actions.csv", "Price,Close,High,Low,Open,Volume,Dividends,Stock Splits\nTicker,X,X,X,X,X,X,X\nDate,,,,,,,\n2020-01-02 00:00:00-05:00,10,11,9,10,100,0.0,0.0\n2020-01-03 00:00:00-05:00,5,6,4,5,200,0.25,2.0\n")
out("csv", "newest_first.csv", "timestamp,open,high,low,close,volume\n2020-01-06,3,3,3,3,3\n2020-01-03,2,2,2,2,2\n2020-01-02,1,1,1,1,1\n")
out("csv", "stooq_date_time.csv", "<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>\nX.US,5,20200102,093000,1,2,0.5,1.5,10,0\nX.US,5,20200102,093500,1.5,2,1,1.75,12,0\n")
out("csv", "semicolon.csv", "Date;Time;Open;High;Low;Close;Volume\n2020-01-02;09:30;1;2;0.5;1.5;10\n2020-01-02;09:31;1.5;2;1;\"1,75\";12\n")
out("csv", "tabs.csv", "date\topen\thigh\tlow\tclose\tvolume\n1577923200000\t1\t1\t1\t1\t1\n1578009600000\t2\t2\t2\t2\t2\n")
with open(os.path.join(ROOT, "Tests/Fixtures/golden/sim/prices.csv")) as f:
    head = [next(f) for _ in range(12)]
out("csv", "golden_prices_head.csv", "".join(head))

# --- Panel cache: the column store's manifest (FuzzPanelCache replaces a small store's) ----
reset("panelcache")
std = ["close", "high", "low", "open", "volume"]


def store_manifest(fields, symbols=("A", "B"), bars=3):
    return json.dumps({"bars": bars, "fields": fields, "fingerprint": "7", "format": "lunar-store",
                       "source": "fuzz", "symbols": list(symbols), "version": 1}, indent=2, sort_keys=True)


f64 = [{"file": "fields/%d.f64" % i, "name": n, "type": "float64"} for i, n in enumerate(std)]
out("panelcache", "two_by_three.json", store_manifest(f64))
out("panelcache", "float32_field.json", store_manifest(f64[:4] + [{"file": "fields/5.f32", "name": "volume", "type": "float32"}]))

# --- Manifests: lunar-lib.toml and lunar.toml -------------------------------------------
reset("manifest")
for rel in ["stdlib/lunar-lib.toml", "examples/acme-lib/lunar-lib.toml", "examples/research/lunar.toml"]:
    with open(os.path.join(ROOT, rel), "rb") as f:
        out("manifest", rel.replace("/", "_"), f.read())
out("manifest", "project_pins.toml", 'name = "desk"\nlibraries = ["~/libs/acme", "/abs/path", "../x/../y"]\nstrategies = ["strategies", "more"]\n\n[requires]\nacme = ">=1.2, <2.0"\nrisk = "~0.3"\n\n[pins]\nta = "stdlib"\n"acme.momentum" = "acme"\n')
out("manifest", "library_prerelease.toml", 'name = "risk-tools_2"\nversion = "0.3.1-beta.2+build.7"\nlunar = ">= 0.1 <1"\nexports = []\n[requires]\nstdlib = "*"\nacme = "=1.2.0"\nother = "^0.0.3"\n')
out("manifest", "types.toml", 'name = 5\nversion = 1.5\nexports = [1, "a", true, 1979-05-27T07:32:00Z, {a = 1}]\nrequires = "x"\n[[pins]]\nx = [[1], [2.5e3, inf, nan]]\n')
out("manifest", "versions.txt", "^1.2.3\n~1\n>=1.0, <2.0-rc.1\n0.0.1-alpha.10.beta\n1.2.3.4\n^0.0\n")

# --- Strategies: Lua source, and 0x01 + choices for the table builder -----------------
reset("strategy")
for d in ["strategies", "examples/acme-lib/acme/strategies", "examples/research/strategies"]:
    for name in sorted(os.listdir(os.path.join(ROOT, d))):
        if name.endswith(".lua"):
            with open(os.path.join(ROOT, d, name), "rb") as f:
                out("strategy", name, f.read())
out("strategy", "with_module.lua", 'local m = require "m"\nreturn strategy { signals = function(b, p) return { entries = b.close:gt(m.level) } end }\n' + FF + "return { level = 10 }\n")
out("strategy", "plain_table.lua", 'return { params = { n = 3 }, signals = function(b, p) return { entries = b.close:gt(p.n) } end }\n')
out("strategy", "settings.lua", 'return strategy {\n  fees = 0.001, slippage = 0.0005, fill = "next_open", sizing = "fraction:0.5",\n  stop_loss = 0.1, rebalance = "weekly", top = 3, portfolio = "shared", benchmark = "AAA",\n  indicators = function(bars, p) return { hi = ta.highest(bars.high, 20) } end,\n  on_bar = function(ctx, p) if ctx.close > ctx.hi then ctx.buy() end end,\n}\n')
for i, choice in enumerate([b"\x00", b"\x03\x00\x01\x02\x03\x04\x05\x06\x07", bytes(range(1, 64)), bytes(range(255, 0, -3)),
                            b"\x09" * 40, b"\x05\x00\x00\x03\x03\x02\x01\x04\x00\x08\x01\x00\x02\x07\x09\x03"]):
    out("strategy", "builder_%d.bin" % i, b"\x01" + choice)

# --- Patterns: op/init byte, pattern length, replacement length, repeats, then the bytes -
reset("pattern")
cases = [
    (0, "%a+", "", 0, "hello world 123"),
    (1, ".", "", 0, "a.b-c"),
    (2, "(%w+)=(%w+)", "", 0, "key=value"),
    (3, "%d+", "", 2, "a1b22c333 "),
    (4, "(a)(b)", "%2%1%0%%", 0, "abab ab"),
    (5, "x*", "-", 0, "xxaxx"),
    (6, "%a", "A", 0, "a b ab"),
    (7, "%s", "_", 0, "x y  z"),
    (0, "%b()", "", 0, "(a(b)c) ((()))"),
    (2, "%f[%w]%w+", "", 0, "THE (quick) fox"),
    (2, "()a()", "", 0, "xxa"),
    (0, "^(a-)(b?)$", "", 0, "aaab"),
    (2, "[%]%-a-c^]+", "", 0, "ab]c-^"),
    (2, "(.)%1", "", 0, "abccd"),
    (0, ".-.-.-b", "", 63, "aaaa"),
    (2, "(a*)*b", "", 40, "aaaaaaaa"),
    (4, "[", "", 0, "x"),
    (2, "%", "", 0, "x"),
    (2, "(()", "", 0, "x"),
    (2, "%z", "", 0, "a\0b"),
]
for i, (op, p, r, rep, s) in enumerate(cases):
    init_sel = (i * 3) % 14
    out("pattern", "case_%02d.bin" % i, bytes([op | (init_sel << 3), len(p.encode()), len(r.encode()), rep]) + p.encode() + r.encode() + s.encode())
# --- Parquet: fixtures of Tests/Fixtures/parquet (pyarrow and polars), under 8 KiB each ----
# Every codec (the uncompressed ones let mutations reach the pages' encodings directly), pages
# v1 and v2, dictionary, delta and BYTE_STREAM_SPLIT encodings, the date types, a truncated file.
reset("parquet")
for rel in ["daily-none.parquet", "daily-polars-uncompressed.parquet", "daily-snappy.parquet", "daily-zstd.parquet",
            "daily-gzip.parquet", "daily-v2.parquet", "daily-v2-plain.parquet", "daily-format1.parquet",
            "daily-delta.parquet", "daily-delta-v2.parquet", "daily-delta-length.parquet", "daily-types.parquet",
            "daily-required.parquet", "minute-int96.parquet", "minute-ns-utc.parquet", "bad/truncated.parquet"]:
    with open(os.path.join(ROOT, "Tests/Fixtures/parquet", rel), "rb") as f:
        out("parquet", rel.replace("/", "_"), f.read())
print("seeds written under", CORPUS)
