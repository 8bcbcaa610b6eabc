#!/usr/bin/env python3
"""Generate TA-Lib golden reference files for Lunar's indicator tests.

Deterministic: all random data comes from numpy.random.default_rng(SEED).
Writes into Tests/Fixtures/golden/talib/ (relative to the repo root):

  input.csv        series,bar,open,high,low,close,volume
  <fn>__<p>.csv    series,bar,<outputs>   (one file per indicator/parameter set)
  manifest.csv     file,function,params,inputs,outputs
  README.md        how the files were made + observed TA-Lib conventions

Run through tools/golden/make_talib_golden.sh (it sets up the virtualenv).
"""

import math
import os
import sys
from collections import OrderedDict

import numpy as np
import talib
from talib import abstract

SEED = 20240601
N_BARS = 400
S2_LEADING_NAN = 37

REPO_ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT_DIR = os.path.join(REPO_ROOT, "Tests", "Fixtures", "golden", "talib")

SERIES = ["s0", "s1", "s2", "s3"]
# Cross-series partner used for the CORREL/BETA "close vs other series' close" files.
NEXT_SERIES = {"s0": "s1", "s1": "s2", "s2": "s3", "s3": "s0"}


# --------------------------------------------------------------------------
# Formatting
# --------------------------------------------------------------------------

def fmt(v):
    """Round-trip exact text for a number; NaN -> 'NaN'."""
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return repr(v)  # shortest string that round-trips to the same double


def fmt_param(v):
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, float):
        return repr(v)
    return str(v)


# --------------------------------------------------------------------------
# Input data
# --------------------------------------------------------------------------

def gbm_ohlcv(rng, n, s0, mu, sigma, vol_base):
    """Geometric Brownian motion closes with consistent OHLC and volume.

    Prices are rounded to 4 decimals (tick-like, also creates occasional
    natural ties); volume is integer-valued and > 0.
    """
    rets = rng.normal(mu - 0.5 * sigma * sigma, sigma, size=n)
    close = s0 * np.exp(np.cumsum(rets))
    prev_close = np.concatenate([[s0], close[:-1]])
    open_ = prev_close * np.exp(rng.normal(0.0, sigma * 0.3, size=n))
    hi_ext = np.exp(np.abs(rng.normal(0.0, sigma * 0.6, size=n)))
    lo_ext = np.exp(-np.abs(rng.normal(0.0, sigma * 0.6, size=n)))
    open_ = np.round(open_, 4)
    close = np.round(close, 4)
    high = np.round(np.maximum(open_, close) * hi_ext, 4)
    low = np.round(np.minimum(open_, close) * lo_ext, 4)
    # rounding is monotone, but make the invariants explicit anyway
    high = np.maximum(high, np.maximum(open_, close))
    low = np.minimum(low, np.minimum(open_, close))
    volume = np.round(vol_base * np.exp(rng.normal(0.0, 0.5, size=n)))
    volume = np.maximum(volume, 1.0)
    return {"open": open_, "high": high, "low": low, "close": close, "volume": volume}


def make_inputs():
    rng = np.random.default_rng(SEED)
    data = OrderedDict()
    data["s0"] = gbm_ohlcv(rng, N_BARS, 100.0, 0.0004, 0.015, 1.0e6)
    data["s1"] = gbm_ohlcv(rng, N_BARS, 50.0, -0.0003, 0.025, 2.5e5)
    s2 = gbm_ohlcv(rng, N_BARS, 20.0, 0.0006, 0.02, 5.0e5)
    for k in s2:
        s2[k][:S2_LEADING_NAN] = np.nan
    data["s2"] = s2

    # s3: GBM with flat stretches.
    s3 = gbm_ohlcv(rng, N_BARS, 75.0, 0.0, 0.012, 8.0e5)
    o, h, l, c = s3["open"], s3["high"], s3["low"], s3["close"]
    # (start, length, fully_flat): fully_flat -> open=high=low=close for the
    # whole stretch (zero high-low range); otherwise only the closes are equal
    # (and opens equal the close) while high/low keep some range.
    stretches = [(40, 5, False), (95, 5, True), (160, 5, False),
                 (230, 8, True), (300, 5, False), (350, 12, True)]
    for start, length, fully_flat in stretches:
        level = c[start - 1]
        for i in range(start, start + length):
            c[i] = level
            o[i] = level
            if fully_flat:
                h[i] = level
                l[i] = level
            else:
                h[i] = max(h[i], level)
                l[i] = min(l[i], level)
        # next bar opens at the flat level so there is no artificial gap
        if start + length < N_BARS:
            j = start + length
            o[j] = level
            h[j] = max(h[j], o[j], c[j])
            l[j] = min(l[j], o[j], c[j])
    # A few single-bar repeats of the previous close elsewhere.
    for i in (20, 21, 130, 275, 390):
        c[i] = c[i - 1]
        h[i] = max(h[i], o[i], c[i])
        l[i] = min(l[i], o[i], c[i])
    data["s3"] = s3
    s3_meta = stretches

    # Validate OHLC invariants.
    for name, d in data.items():
        m = ~np.isnan(d["close"])
        assert np.all(d["high"][m] >= np.maximum(d["open"][m], d["close"][m])), name
        assert np.all(d["low"][m] <= np.minimum(d["open"][m], d["close"][m])), name
        assert np.all(d["low"][m] > 0), name
        assert np.all(d["volume"][m] > 0), name
    return data, s3_meta


# --------------------------------------------------------------------------
# Indicator specifications
# --------------------------------------------------------------------------

def P(**kw):
    return OrderedDict(kw)


# function name -> list of parameter sets (non-default matypes are set to 0
# explicitly below for every parameter whose name contains 'matype').
SPECS = [
    ("SMA", [P(timeperiod=2), P(timeperiod=14), P(timeperiod=30)]),
    ("EMA", [P(timeperiod=2), P(timeperiod=14), P(timeperiod=30)]),
    ("WMA", [P(timeperiod=2), P(timeperiod=14)]),
    ("DEMA", [P(timeperiod=2), P(timeperiod=14)]),
    ("TEMA", [P(timeperiod=2), P(timeperiod=14)]),
    ("TRIMA", [P(timeperiod=2), P(timeperiod=3), P(timeperiod=14), P(timeperiod=15)]),
    ("KAMA", [P(timeperiod=2), P(timeperiod=10), P(timeperiod=30)]),
    ("RSI", [P(timeperiod=2), P(timeperiod=14)]),
    ("MACD", [P(fastperiod=2, slowperiod=3, signalperiod=2),
              P(fastperiod=12, slowperiod=26, signalperiod=9),
              P(fastperiod=5, slowperiod=35, signalperiod=5)]),
    ("BBANDS", [P(timeperiod=20, nbdevup=2.0, nbdevdn=2.0),
                P(timeperiod=20, nbdevup=1.5, nbdevdn=2.5),
                P(timeperiod=3, nbdevup=2.0, nbdevdn=2.0)]),
    ("ATR", [P(timeperiod=1), P(timeperiod=2), P(timeperiod=14)]),
    ("NATR", [P(timeperiod=2), P(timeperiod=14)]),
    ("TRANGE", [P()]),
    ("STOCH", [P(fastk_period=5, slowk_period=3, slowd_period=3),
               P(fastk_period=14, slowk_period=3, slowd_period=3),
               P(fastk_period=3, slowk_period=1, slowd_period=2)]),
    ("STOCHF", [P(fastk_period=5, fastd_period=3),
                P(fastk_period=14, fastd_period=3),
                P(fastk_period=2, fastd_period=1)]),
    ("STOCHRSI", [P(timeperiod=14, fastk_period=5, fastd_period=3),
                  P(timeperiod=14, fastk_period=14, fastd_period=3),
                  P(timeperiod=3, fastk_period=3, fastd_period=2)]),
    ("ADX", [P(timeperiod=2), P(timeperiod=14)]),
    ("PLUS_DI", [P(timeperiod=2), P(timeperiod=14)]),
    ("MINUS_DI", [P(timeperiod=2), P(timeperiod=14)]),
    ("PLUS_DM", [P(timeperiod=2), P(timeperiod=14)]),
    ("MINUS_DM", [P(timeperiod=2), P(timeperiod=14)]),
    ("DX", [P(timeperiod=2), P(timeperiod=14)]),
    ("CCI", [P(timeperiod=3), P(timeperiod=14), P(timeperiod=20)]),
    ("WILLR", [P(timeperiod=2), P(timeperiod=14)]),
    ("MOM", [P(timeperiod=1), P(timeperiod=10)]),
    ("ROC", [P(timeperiod=1), P(timeperiod=10)]),
    ("ROCP", [P(timeperiod=1), P(timeperiod=10)]),
    ("OBV", [P()]),
    ("MFI", [P(timeperiod=2), P(timeperiod=14)]),
    ("AD", [P()]),
    ("ADOSC", [P(fastperiod=2, slowperiod=5), P(fastperiod=3, slowperiod=10)]),
    ("STDDEV", [P(timeperiod=2, nbdev=1.0), P(timeperiod=5, nbdev=1.0), P(timeperiod=20, nbdev=1.0)]),
    ("VAR", [P(timeperiod=2, nbdev=1.0), P(timeperiod=5, nbdev=1.0), P(timeperiod=20, nbdev=1.0)]),
    ("LINEARREG", [P(timeperiod=2), P(timeperiod=14)]),
    ("LINEARREG_SLOPE", [P(timeperiod=2), P(timeperiod=14)]),
    ("LINEARREG_INTERCEPT", [P(timeperiod=2), P(timeperiod=14)]),
    ("TSF", [P(timeperiod=2), P(timeperiod=14)]),
    ("CORREL", [P(timeperiod=3), P(timeperiod=30)]),
    ("BETA", [P(timeperiod=3), P(timeperiod=5), P(timeperiod=30)]),
    ("MAX", [P(timeperiod=2), P(timeperiod=5), P(timeperiod=14)]),
    ("MIN", [P(timeperiod=2), P(timeperiod=5), P(timeperiod=14)]),
    ("MAXINDEX", [P(timeperiod=2), P(timeperiod=5), P(timeperiod=14)]),
    ("MININDEX", [P(timeperiod=2), P(timeperiod=5), P(timeperiod=14)]),
    ("SUM", [P(timeperiod=2), P(timeperiod=14)]),
    ("SAR", [P(acceleration=0.02, maximum=0.2), P(acceleration=0.01, maximum=0.1)]),
    ("MIDPOINT", [P(timeperiod=2), P(timeperiod=14)]),
    ("MIDPRICE", [P(timeperiod=2), P(timeperiod=14)]),
    ("AROON", [P(timeperiod=2), P(timeperiod=14), P(timeperiod=25)]),
    ("ULTOSC", [P(timeperiod1=2, timeperiod2=3, timeperiod3=4),
                P(timeperiod1=7, timeperiod2=14, timeperiod3=28)]),
    ("APO", [P(fastperiod=2, slowperiod=3), P(fastperiod=12, slowperiod=26),
             P(fastperiod=12, slowperiod=26, matype=1)]),
    ("PPO", [P(fastperiod=2, slowperiod=3), P(fastperiod=12, slowperiod=26),
             P(fastperiod=12, slowperiod=26, matype=1)]),
    ("TRIX", [P(timeperiod=2), P(timeperiod=15)]),
    ("CMO", [P(timeperiod=2), P(timeperiod=14)]),
    ("WCLPRICE", [P()]),
    ("TYPPRICE", [P()]),
    ("MEDPRICE", [P()]),
    ("AVGPRICE", [P()]),
]

# Functions taking two generic real inputs: handled with explicit pairings.
PAIR_FUNCS = {"CORREL", "BETA"}


def input_names(fn):
    """Ordered list of OHLCV field names the function consumes."""
    info = abstract.Function(fn).info["input_names"]
    names = []
    for v in info.values():
        if isinstance(v, (list, tuple)):
            names.extend(v)
        else:
            names.append(v)
    return names


def full_params(fn, given):
    """All parameters in TA-Lib order, with matype params forced to 0 unless given."""
    f = abstract.Function(fn)
    out = OrderedDict()
    for name, default in f.info["parameters"].items():
        if name in given:
            out[name] = given[name]
        elif "matype" in name:
            out[name] = 0
        else:
            raise ValueError(f"{fn}: parameter {name} not specified")
    extra = set(given) - set(out)
    if extra:
        raise ValueError(f"{fn}: unknown parameters {extra}")
    return out


def param_string(params):
    parts = []
    for name, v in params.items():
        if "matype" in name:
            if v != 0:
                parts.append(f"ma{v}")
            continue
        parts.append(fmt_param(v))
    return "_".join(parts)


def lookback_of(fn, params):
    f = abstract.Function(fn)
    f.parameters = dict(params)
    return f.lookback


def first_valid(*arrays):
    idx = 0
    for a in arrays:
        nz = np.flatnonzero(~np.isnan(a))
        idx = max(idx, int(nz[0]) if len(nz) else len(a))
    return idx


def call(fn, arrays, params):
    res = getattr(talib, fn)(*arrays, **params)
    if not isinstance(res, tuple):
        res = (res,)
    return res


# --------------------------------------------------------------------------
# Generation
# --------------------------------------------------------------------------

def write_csv(path, header, rows):
    with open(path, "w", newline="\n") as fh:
        fh.write(",".join(header) + "\n")
        for r in rows:
            fh.write(",".join(r) + "\n")


def generate(data):
    manifest = []
    skipped = []
    anomalies = []

    jobs = []  # (file_stem, fn, params, inputs_desc, input_fetcher)
    for fn, psets in SPECS:
        if not hasattr(talib, fn):
            skipped.append((fn, "not present in this talib build"))
            continue
        for given in psets:
            try:
                params = full_params(fn, given)
            except Exception as exc:  # pragma: no cover
                skipped.append((fn, f"parameter problem: {exc}"))
                continue
            pstr = param_string(params)
            stem = fn.lower() + (f"__{pstr}" if pstr else "")
            if fn in PAIR_FUNCS:
                jobs.append((stem, fn, params, "close|high",
                             lambda s: [data[s]["close"], data[s]["high"]]))
                jobs.append((fn.lower() + "_xs" + (f"__{pstr}" if pstr else ""), fn, params,
                             "close|close@next",
                             lambda s: [data[s]["close"], data[NEXT_SERIES[s]]["close"]]))
            else:
                names = input_names(fn)
                jobs.append((stem, fn, params, "|".join(names),
                             (lambda names: lambda s: [data[s][n] for n in names])(names)))

    for stem, fn, params, inputs_desc, fetch in jobs:
        outputs = list(abstract.Function(fn).info["output_names"])
        lb = lookback_of(fn, params)
        try:
            per_series = OrderedDict()
            for s in SERIES:
                arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in fetch(s)]
                res = call(fn, arrays, params)
                if len(res) != len(outputs):
                    raise RuntimeError(f"{len(res)} outputs, expected {len(outputs)}")
                start = first_valid(*arrays) + lb
                cols = []
                for oname, arr in zip(outputs, res):
                    arr = np.asarray(arr)
                    if np.issubdtype(arr.dtype, np.integer):
                        # The wrapper fills the lookback region of integer
                        # outputs with 0; write NaN there for uniformity.
                        col = [None if i < start else int(arr[i]) for i in range(N_BARS)]
                    else:
                        col = [float(x) for x in arr]
                        nan_idx = np.flatnonzero(np.isnan(arr))
                        expect = np.arange(min(start, N_BARS))
                        if not np.array_equal(nan_idx, expect):
                            anomalies.append(
                                f"{stem} {s} {oname}: NaN positions {nan_idx.tolist()[:8]}"
                                f"... (count {len(nan_idx)}), expected first {start}")
                        if np.any(np.isinf(arr)):
                            anomalies.append(f"{stem} {s} {oname}: contains +-inf")
                    cols.append(col)
                per_series[s] = cols
        except Exception as exc:
            skipped.append((f"{fn} {dict(params)}", f"{type(exc).__name__}: {exc}"))
            continue

        rows = []
        for s, cols in per_series.items():
            for i in range(N_BARS):
                rows.append([s, str(i)] + [("NaN" if c[i] is None else fmt(c[i])) for c in cols])
        fname = stem + ".csv"
        write_csv(os.path.join(OUT_DIR, fname), ["series", "bar"] + [o.lower() for o in outputs], rows)
        manifest.append([fname, fn,
                         ";".join(f"{k}={fmt_param(v)}" for k, v in params.items()),
                         inputs_desc, "|".join(o.lower() for o in outputs)])
    return manifest, skipped, anomalies


# --------------------------------------------------------------------------
# Convention probes (results go into README.md)
# --------------------------------------------------------------------------

def arr_str(a):
    return "[" + ", ".join(fmt(float(x)) if not (isinstance(x, (int, np.integer))) else str(x) for x in a) + "]"


def maxdiff(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    m = ~(np.isnan(a) | np.isnan(b))
    if not np.array_equal(np.isnan(a), np.isnan(b)):
        return float("nan")
    return float(np.max(np.abs(a[m] - b[m]))) if m.any() else 0.0


def _relmax(a, b):
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    m = ~(np.isnan(a) | np.isnan(b))
    return float(np.max(np.abs(a[m] - b[m]) / np.maximum(np.abs(b[m]), 1e-300)))


def ema_ref(x, p, seed_end):
    """EMA with k=2/(p+1), seeded at index seed_end by SMA(x[seed_end-p+1 .. seed_end])."""
    out = np.full(len(x), np.nan)
    k = 2.0 / (p + 1)
    prev = np.mean(x[seed_end - p + 1: seed_end + 1])
    out[seed_end] = prev
    for i in range(seed_end + 1, len(x)):
        prev = (x[i] - prev) * k + prev
        out[i] = prev
    return out


def probes(data):
    notes = []
    x = data["s0"]["close"].copy()
    h, l, c, v = (data["s0"][k] for k in ("high", "low", "close", "volume"))

    # Interior NaN behaviour
    y = np.arange(1.0, 21.0)
    y[9] = np.nan
    notes.append(("Interior NaN (input 1..20 with x[9]=NaN, period 3)", [
        f"SMA(3): {arr_str(talib.SMA(y, 3))}",
        f"EMA(3): {arr_str(talib.EMA(y, 3))}",
        f"RSI(3): {arr_str(talib.RSI(y, 3))}",
        f"MAX(3): {arr_str(talib.MAX(y, 3))}",
        f"MOM(3): {arr_str(talib.MOM(y, 3))}",
    ]))

    # Leading NaN: wrapper skips leading NaNs; result equals running on trimmed array
    s2 = data["s2"]
    tc = s2["close"][S2_LEADING_NAN:]
    lead = []
    for fn, kw in (("SMA", {"timeperiod": 14}), ("EMA", {"timeperiod": 14}), ("RSI", {"timeperiod": 14})):
        full = getattr(talib, fn)(s2["close"], **kw)
        trimmed = getattr(talib, fn)(tc, **kw)
        same = np.array_equal(full[S2_LEADING_NAN:], trimmed, equal_nan=True)
        first = int(np.flatnonzero(~np.isnan(full))[0])
        lead.append(f"{fn}{tuple(kw.values())} on s2: first non-NaN output at bar {first} "
                    f"(= {S2_LEADING_NAN} leading NaN + lookback {first - S2_LEADING_NAN}); "
                    f"identical to running on the trimmed array: {same}")
    mi_full = talib.MAXINDEX(s2["close"], 5)
    mi_trim = talib.MAXINDEX(tc, 5)
    lead.append("MAXINDEX(5) on s2 equals MAXINDEX on trimmed array + 37 (absolute index into the "
                f"original, untrimmed array) from bar {S2_LEADING_NAN + 4} on: "
                f"{np.array_equal(mi_full[S2_LEADING_NAN + 4:], mi_trim[4:] + S2_LEADING_NAN)}; "
                f"raw wrapper value in the lookback/NaN region: {sorted(set(mi_full[:S2_LEADING_NAN + 4].tolist()))}")
    notes.append(("Leading NaN (series s2)", lead))

    # MAXINDEX / MININDEX semantics and ties
    t = np.array([5.0, 1.0, 2.0, 3.0, 9.0, 1.0, 1.0, 1.0, 4.0, 4.0, 4.0, 4.0, 2.0])
    notes.append(("MAXINDEX / MININDEX (absolute indices, tie handling)", [
        f"input: {arr_str(t)}",
        f"MAXINDEX(3): {arr_str(talib.MAXINDEX(t, 3))}",
        f"MININDEX(3): {arr_str(talib.MININDEX(t, 3))}",
        "Returned values are absolute bar indices into the input array (not offsets within the window). "
        "The wrapper writes 0 (not NaN) in the lookback region of these integer outputs; the golden "
        "files write NaN there instead.",
        "Ties: TA-Lib keeps the tracked extreme while it stays in the window and replaces it when a new "
        "value is >= (MAX) / <= (MIN) it, i.e. the LATEST equal value wins; but when the tracked "
        "extreme leaves the window it rescans the window from the oldest bar with a strict comparison, "
        "so the EARLIEST equal value wins after a rescan. Compare the output above: window [1,1,1] at "
        "bars 5..7 gives 5 (rescan), window [4,4,4] at bars 8..10 gives 10 (latest), bars 9..11 -> 11.",
    ]))

    # EMA seeding
    e = talib.EMA(x, 10)
    notes.append(("EMA seeding", [
        f"EMA(10)[9] == mean(close[0..9]): {e[9] == np.mean(x[:10])} (diff {abs(e[9] - np.mean(x[:10])):.3g})",
        f"max |EMA(10) - ref(seed=SMA of first 10, k=2/(n+1))| = {maxdiff(e, ema_ref(x, 10, 9)):.3g}",
    ]))

    # MACD alignment
    m, ms, mh = talib.MACD(x, 12, 26, 9)
    naive = talib.EMA(x, 12) - talib.EMA(x, 26)
    fast_aligned = ema_ref(x, 12, 25)  # seeded at bar slow-1 with SMA(close[14..25])
    ref_line = fast_aligned - ema_ref(x, 26, 25)
    ref_line_nan = ref_line.copy()
    ref_line_nan[:33] = np.nan
    # signal: EMA(9) of the macd line, seeded with SMA of macd[25..33]
    sig = np.full(len(x), np.nan)
    sig_seed_src = ref_line.copy()
    sig[33:] = ema_ref(np.where(np.isnan(sig_seed_src), 0, sig_seed_src), 9, 33)[33:]
    notes.append(("MACD alignment", [
        "Lookback = (slow-1) + (signal-1) = 33 for 12/26/9; first macd value at bar 33.",
        f"max |macd - (EMA12 - EMA26)| over valid bars = {maxdiff(m[33:], naive[33:]):.3g} "
        "(NOT zero: the fast EMA is not the standalone EMA(12))",
        f"max |macd - (fastEMA seeded at bar 25 with SMA(close[14..25]) - EMA26)| = {maxdiff(m, ref_line_nan):.3g}",
        f"max |macdsignal - EMA9(macd line seeded at bar 33 with SMA(macd[25..33]))| = {maxdiff(ms[33:], sig[33:]):.3g}",
        f"macdhist == macd - macdsignal: max diff {maxdiff(mh, m - ms):.3g}",
        "I.e. both EMAs start at bar slow-1: the fast EMA's SMA seed is taken over the fast-period "
        "window ending at bar slow-1 (bars slow-fast .. slow-1), not over the first `fast` bars. "
        "The signal EMA is seeded with the SMA of the first `signal` macd values (bars slow-1 .. slow+signal-2) "
        "and output starts at its seed bar. (fastperiod/slowperiod are swapped if fast > slow.)",
    ]))

    # APO/PPO with EMA
    apo1 = talib.APO(x, 12, 26, 1)
    notes.append(("APO / PPO", [
        "The Python wrapper's default matype for APO/PPO is 1 (EMA) in this version (abstract info and "
        "signature say matype=1); the golden files use matype=0 (SMA) as requested, plus one extra "
        "file each with matype=1 (suffix `_ma1`).",
        f"APO(12,26,EMA) == standalone EMA(12) - EMA(26) (no MACD-style seed alignment): max diff "
        f"{maxdiff(apo1, talib.EMA(x, 12) - talib.EMA(x, 26)):.3g}; first APO value at bar "
        f"{int(np.flatnonzero(~np.isnan(apo1))[0])} (lookback slow-1). Versus the MACD line: max diff "
        f"{maxdiff(apo1[33:], talib.MACD(x, 12, 26, 9)[0][33:]):.3g} (so APO-EMA != MACD early on).",
        f"APO(12,26,SMA) == SMA(12) - SMA(26): max diff {maxdiff(talib.APO(x, 12, 26, 0), talib.SMA(x, 12) - talib.SMA(x, 26)):.3g}; "
        f"PPO(12,26,EMA) vs 100*(EMA12-EMA26)/EMA26: max diff "
        f"{maxdiff(talib.PPO(x, 12, 26, 1), 100 * (talib.EMA(x, 12) - talib.EMA(x, 26)) / talib.EMA(x, 26)):.3g}",
        "PPO = 100 * (fastMA - slowMA) / slowMA (0 when slowMA is 0).",
    ]))

    # RSI
    r = talib.RSI(x, 14)
    d = np.diff(x)
    g = np.where(d > 0, d, 0.0)
    lo = np.where(d < 0, -d, 0.0)
    ag, al = g[:14].mean(), lo[:14].mean()
    rr = np.full(len(x), np.nan)
    rr[14] = 100 * ag / (ag + al)
    for i in range(15, len(x)):
        ag = (ag * 13 + g[i - 1]) / 14
        al = (al * 13 + lo[i - 1]) / 14
        rr[i] = 100 * ag / (ag + al)
    flat = np.full(30, 7.0)
    notes.append(("RSI", [
        f"Wilder: first value at bar n = 100*avgGain/(avgGain+avgLoss) with simple averages of the first n changes, "
        f"then avg = (prev*(n-1)+cur)/n. max diff vs that reference: {maxdiff(r, rr):.3g}",
        f"Constant input (no gains, no losses): RSI(14) = {fmt(talib.RSI(flat, 14)[-1])} (TA-Lib returns 0, not 50/NaN).",
        f"CMO on constant input: {fmt(talib.CMO(flat, 14)[-1])}.",
    ]))

    # Zero-range handling
    hh = np.full(30, 5.0)
    vv = np.full(30, 100.0)
    notes.append(("Zero high-low range / zero deviation", [
        f"STOCHF(5,3) fastk on constant H=L=C: {fmt(talib.STOCHF(hh, hh, hh, 5, 3)[0][-1])}",
        f"STOCH(5,3,3) slowk on constant H=L=C: {fmt(talib.STOCH(hh, hh, hh, 5, 3, 0, 3, 0)[0][-1])}",
        f"WILLR(14) on constant H=L=C: {fmt(talib.WILLR(hh, hh, hh, 14)[-1])}",
        f"CCI(14) on constant H=L=C: {fmt(talib.CCI(hh, hh, hh, 14)[-1])}",
        f"AD on constant H=L=C (bar contributes 0 when high==low): {fmt(talib.AD(hh, hh, hh, vv)[-1])}",
        f"MFI(14) on constant input: {fmt(talib.MFI(hh, hh, hh, vv, 14)[-1])}",
        f"ADX(14) / PLUS_DI(14) / DX(14) on constant input: {fmt(talib.ADX(hh, hh, hh, 14)[-1])} / "
        f"{fmt(talib.PLUS_DI(hh, hh, hh, 14)[-1])} / {fmt(talib.DX(hh, hh, hh, 14)[-1])}",
        f"ULTOSC(7,14,28) on constant input: {fmt(talib.ULTOSC(hh, hh, hh, 7, 14, 28)[-1])}",
        f"STOCHRSI(14,5,3) fastk on constant input: {fmt(talib.STOCHRSI(hh, 14, 5, 3, 0)[0][-1])}",
        f"CORREL(10) of constant vs varying: {fmt(talib.CORREL(hh, np.arange(30.0), 10)[-1])}",
        f"BETA(5) of constant vs varying: {fmt(talib.BETA(hh, np.arange(1.0, 31.0), 5)[-1])}; varying vs constant: {fmt(talib.BETA(np.arange(1.0, 31.0), hh, 5)[-1])}",
        f"NATR(14) on constant input: {fmt(talib.NATR(hh, hh, hh, 14)[-1])}",
        f"BBANDS(5) on constant input: {[fmt(b[-1]) for b in talib.BBANDS(hh, 5, 2, 2, 0)]}",
        f"LINEARREG_SLOPE(5) on constant input: {fmt(talib.LINEARREG_SLOPE(hh, 5)[-1])}",
        "All the fixture files were checked: no NaN appears after the lookback region and no +-inf "
        "anywhere (see 'Generation checks' below), including on the flat stretches of s3.",
    ]))

    # OBV
    ob = talib.OBV(c, v)
    ref = np.empty_like(c)
    ref[0] = v[0]
    for i in range(1, len(c)):
        ref[i] = ref[i - 1] + (v[i] if c[i] > c[i - 1] else (-v[i] if c[i] < c[i - 1] else 0.0))
    notes.append(("OBV / AD / ADOSC", [
        f"OBV[0] = volume[0] (not 0): {ob[0] == v[0]}; equal closes add nothing; max diff vs reference {maxdiff(ob, ref):.3g}. "
        "On s2 the first OBV value (bar 37) is volume[37].",
    ]))
    ad = talib.AD(h, l, c, v)
    clv = np.where(h > l, ((c - l) - (h - c)) / np.where(h > l, h - l, 1.0), 0.0)
    notes[-1][1].append(f"AD = cumulative sum of CLV*volume starting at bar 0 (AD[0] = CLV[0]*vol[0]): "
                        f"max diff {maxdiff(ad, np.cumsum(clv * v)):.3g}")
    ados = talib.ADOSC(h, l, c, v, 3, 10)
    # reference: EMAs of AD seeded with AD[0] (no SMA seed), both started at bar 0, output from slow-1
    def ema_seed_first(a, p):
        k = 2.0 / (p + 1)
        o = np.empty_like(a)
        o[0] = a[0]
        for i in range(1, len(a)):
            o[i] = (a[i] - o[i - 1]) * k + o[i - 1]
        return o
    ref_ados = ema_seed_first(ad, 3) - ema_seed_first(ad, 10)
    ref_ados[:9] = np.nan
    notes[-1][1].append(
        "ADOSC = EMA_fast(AD) - EMA_slow(AD) where BOTH EMAs are seeded with the first AD value "
        "(AD[0]) at bar 0 - not with an SMA - and the output starts at bar slow-1: "
        f"max diff vs that reference {maxdiff(ados, ref_ados):.3g}")

    # ATR / TRANGE
    tr = talib.TRANGE(h, l, c)
    pc = np.concatenate([[np.nan], c[:-1]])
    trr = np.maximum(h, pc) - np.minimum(l, pc)
    trr[0] = np.nan
    atr = talib.ATR(h, l, c, 14)
    aref = np.full(len(c), np.nan)
    aref[14] = np.mean(trr[1:15])
    for i in range(15, len(c)):
        aref[i] = (aref[i - 1] * 13 + trr[i]) / 14
    notes.append(("TRANGE / ATR / NATR", [
        f"TRANGE[0] is NaN (lookback 1, needs a previous close): {np.isnan(tr[0])}; max diff vs max(h,prevC)-min(l,prevC): {maxdiff(tr, trr):.3g}",
        f"ATR(n): first value at bar n = SMA of TRANGE[1..n], then Wilder (prev*(n-1)+tr)/n: max diff {maxdiff(atr, aref):.3g}",
        f"ATR(1) == TRANGE: {np.array_equal(talib.ATR(h, l, c, 1), tr, equal_nan=True)}",
        f"NATR = 100*ATR/close: max diff {maxdiff(talib.NATR(h, l, c, 14), 100 * atr / c):.3g}",
    ]))

    # Stats
    sd = talib.STDDEV(x, 20, 1)
    ref_sd = np.full(len(x), np.nan)
    for i in range(19, len(x)):
        ref_sd[i] = np.std(x[i - 19:i + 1])  # population (ddof=0)
    bu, bm, bl = talib.BBANDS(x, 20, 2, 2, 0)
    notes.append(("STDDEV / VAR / BBANDS", [
        f"STDDEV/VAR use the population formula (divide by n), VAR = E[x^2]-E[x]^2 on running sums: "
        f"max |STDDEV(20) - np.std(ddof=0)| = {maxdiff(sd, ref_sd):.3g}",
        f"BBANDS middle = SMA, bands = middle +- nbdev*population stddev: max diff {maxdiff(bu, bm + 2 * ref_sd):.3g}",
        f"STDDEV multiplies by nbdev (STDDEV(5,2) == 2*STDDEV(5,1): max diff "
        f"{maxdiff(talib.STDDEV(x, 5, 2), 2 * talib.STDDEV(x, 5, 1)):.3g}); VAR ignores nbdev "
        f"(VAR(5,1) vs VAR(5,2) max diff {maxdiff(talib.VAR(x, 5, 1), talib.VAR(x, 5, 2)):.3g}).",
    ]))

    # BETA
    b = talib.BETA(x, h, 5)
    rx = x[1:] / x[:-1] - 1
    ry = h[1:] / h[:-1] - 1
    bref = np.full(len(x), np.nan)
    for i in range(5, len(x)):
        X = rx[i - 5:i]
        Y = ry[i - 5:i]
        n = 5
        bref[i] = (n * (X * Y).sum() - X.sum() * Y.sum()) / (n * (X * X).sum() - X.sum() ** 2)
    notes.append(("BETA / CORREL", [
        "BETA(real0, real1, n) = OLS slope of real1's returns on real0's returns (returns = p[i]/p[i-1]-1), "
        f"i.e. cov(r0,r1)/var(r0) over the last n returns, lookback n (first value at bar n): max diff vs reference {maxdiff(b, bref):.3g}.",
        "CORREL = Pearson correlation of the raw values (not returns), lookback n-1.",
        "Files `correl_xs__*` / `beta_xs__*` pair real0 = close of the row's series with real1 = close of "
        "the 'next' series (s0->s1, s1->s2, s2->s3, s3->s0). Where either input has leading NaNs "
        "(s1 with s2, s2 with s3) the wrapper starts both at the later first-valid bar (37).",
    ]))

    # SAR
    def sar_ref(high, low, acc, amax):
        n = len(high)
        out = np.full(n, np.nan)
        diff_p = high[1] - high[0]
        diff_m = low[0] - low[1]
        minus_dm = diff_m if (diff_m > 0 and diff_p < diff_m) else 0.0
        is_long = not (minus_dm > 0)
        af = acc
        if is_long:
            ep, sar = high[1], low[0]
        else:
            ep, sar = low[1], high[0]
        # TA-Lib 'cheats' on the first iteration: bar t-1 is taken to be bar 1 itself
        new_low, new_high = low[1], high[1]
        for t in range(1, n):
            prev_low, prev_high = new_low, new_high
            new_low, new_high = low[t], high[t]
            if is_long:
                if new_low <= sar:
                    is_long = False
                    sar = max(ep, prev_high, new_high)
                    out[t] = sar
                    af = acc
                    ep = new_low
                    sar = sar + af * (ep - sar)
                    sar = max(sar, prev_high, new_high)
                else:
                    out[t] = sar
                    if new_high > ep:
                        ep = new_high
                        af = min(af + acc, amax)
                    sar = sar + af * (ep - sar)
                    sar = min(sar, prev_low, new_low)
            else:
                if new_high >= sar:
                    is_long = True
                    sar = min(ep, prev_low, new_low)
                    out[t] = sar
                    af = acc
                    ep = new_high
                    sar = sar + af * (ep - sar)
                    sar = min(sar, prev_low, new_low)
                else:
                    out[t] = sar
                    if new_low < ep:
                        ep = new_low
                        af = min(af + acc, amax)
                    sar = sar + af * (ep - sar)
                    sar = max(sar, prev_high, new_high)
        return out

    sar_lines = [
        "Lookback 1 (first value at bar 1). Initial direction from bar 1 vs bar 0: short if -DM > 0 and "
        "-DM > +DM (-DM = low[0]-low[1], +DM = high[1]-high[0]), else long. Long start: SAR = low[0], "
        "EP = high[1]; short start: SAR = high[0], EP = low[1]; AF starts at `acceleration`.",
        "Each bar t: if the bar penetrates the SAR (long: low[t] <= SAR; short: high[t] >= SAR) the position "
        "flips, the output is the old EP clamped to not be inside the range of bars t-1 and t "
        "(long->short: max(EP, high[t-1], high[t]); short->long: min(EP, low[t-1], low[t])), AF resets and "
        "EP becomes low[t] / high[t]; otherwise the output is the current SAR and EP/AF are updated "
        "(AF += acceleration on a new extreme, capped at `maximum`). The next SAR = SAR + AF*(EP-SAR), then "
        "clamped by the lows (long) / highs (short) of bars t-1 and t. Exception: on the first output bar "
        "(bar 1) 'bar t-1' is bar 1 itself, not bar 0 (TA-Lib primes prevHigh/prevLow with bar 1). "
        "If acceleration > maximum, acceleration is lowered to maximum.",
    ]
    for s_name in ("s0", "s1", "s3"):
        dd = data[s_name]
        for acc, amax in ((0.02, 0.2), (0.01, 0.1)):
            sar_lines.append(f"reference above vs talib.SAR on {s_name} ({acc}, {amax}): max diff "
                             f"{maxdiff(talib.SAR(dd['high'], dd['low'], acc, amax), sar_ref(dd['high'], dd['low'], acc, amax)):.3g}")
    notes.append(("SAR", sar_lines))

    notes.append(("Numerics", [
        "TA-Lib uses running sums (add newest, subtract oldest) for SMA/SUM/STDDEV/VAR/CORREL/LINEARREG etc., "
        "so values differ from naive per-window sums in the last bits; compare with a tolerance rather than "
        "exact equality. Measured on s0 close: max relative |SMA(14) - per-window np.mean| = "
        f"{_relmax(talib.SMA(x, 14), np.array([np.nan] * 13 + [np.mean(x[i - 13:i + 1]) for i in range(13, len(x))])):.3g}; "
        "max relative |SAR - straightforward re-implementation| = "
        f"{_relmax(talib.SAR(h, l, 0.02, 0.2), sar_ref(h, l, 0.02, 0.2)):.3g}. A relative tolerance of 1e-9 "
        "(with a small absolute floor, e.g. 1e-9, for values near 0 such as oscillators and slopes) is safe.",
        "Unstable period settings are all at their default (0) and compatibility is the default (not Metastock).",
    ]))
    return notes


def write_readme(manifest, skipped, anomalies, notes, s3_meta):
    ta_version = getattr(talib, "__ta_version__", None)
    if isinstance(ta_version, bytes):
        ta_version = ta_version.decode()
    lines = []
    lines.append("# TA-Lib golden reference files")
    lines.append("")
    lines.append("Generated by `tools/golden/make_talib_golden.sh` (which creates `.build-venv-talib/`, "
                 "installs `numpy` and `ta-lib==0.8.*` from PyPI and runs `tools/golden/talib_golden.py`).")
    lines.append("Re-running it reproduces the files byte for byte (numpy seeded, "
                 f"`numpy.random.default_rng({SEED})`).")
    lines.append("")
    lines.append(f"- Python wrapper `talib.__version__`: `{talib.__version__}`")
    lines.append(f"- C library `talib.__ta_version__`: `{ta_version}`")
    lines.append(f"- numpy: `{np.__version__}`, Python: `{sys.version.split()[0]}`")
    lines.append("")
    lines.append("## Files")
    lines.append("")
    lines.append(f"- `input.csv`: `series,bar,open,high,low,close,volume`, 4 series x {N_BARS} bars.")
    lines.append("  - `s0`, `s1`: geometric Brownian motion (different drift/vol), prices rounded to 4 decimals, "
                 "valid OHLC (high >= max(open,close), low <= min(open,close), all > 0), integer volume > 0.")
    lines.append(f"  - `s2`: same kind, but bars 0..{S2_LEADING_NAN - 1} are NaN in every column (late listing).")
    lines.append("  - `s3`: same kind with flat stretches (equal consecutive closes, open = close): "
                 + ", ".join(f"bars {a}..{a + n - 1}" + (" (fully flat: open=high=low=close)" if ff else " (closes only)")
                             for a, n, ff in s3_meta)
                 + "; plus single-bar close repeats at bars 20, 21, 130, 275, 390.")
    lines.append("- `<function>__<params>.csv`: `series,bar,<outputs>`; one row per series per bar "
                 f"({4 * N_BARS} rows). `<params>` are the parameter values in TA-Lib order joined by `_`; "
                 "MA-type parameters are omitted when 0 (SMA) and written as `ma<k>` otherwise. "
                 "Functions without parameters have no `__` part (e.g. `obv.csv`).")
    lines.append("- `correl_xs__*.csv`, `beta_xs__*.csv`: cross-series pairing (see BETA / CORREL below).")
    lines.append("- `manifest.csv`: `file,function,params,inputs,outputs`; params as `name=value;...` with "
                 "TA-Lib's parameter names (all of them, including `matype=0`), inputs as the OHLCV column "
                 "names in the order they are passed (`close|close@next` = close of this series, close of the next series).")
    lines.append("- Numbers are Python `repr()` of the double (shortest text that round-trips exactly); NaN is `NaN`. "
                 "Integer outputs (MAXINDEX, MININDEX) are written as integers.")
    lines.append("- NaN marks the lookback region (first-valid bar + lookback). For MAXINDEX/MININDEX the wrapper "
                 "itself returns 0 there; the files write NaN instead.")
    lines.append("- Hilbert-transform functions (HT_*) were skipped on purpose.")
    lines.append("")
    lines.append("## Skipped")
    lines.append("")
    if skipped:
        for what, why in skipped:
            lines.append(f"- {what}: {why}")
    else:
        lines.append("- Nothing from the requested list failed or was missing (HT_* skipped by design).")
    lines.append("- Extras beyond the requested list: PLUS_DM, MINUS_DM, MIDPRICE, ATR(1), APO/PPO with matype=1.")
    lines.append("")
    lines.append("## Generation checks")
    lines.append("")
    if anomalies:
        lines.append("Float outputs whose NaN pattern is not exactly `[0, first-valid + lookback)`:")
        for a in anomalies:
            lines.append(f"- {a}")
    else:
        lines.append("Every float output is NaN exactly on `[0, first-valid + lookback)` and finite afterwards "
                     "(no +-inf) for every series, including s2 (leading NaN) and s3 (flat stretches).")
    lines.append("")
    lines.append("## Observed TA-Lib conventions")
    lines.append("")
    lines.append("All statements below were measured by `talib_golden.py` when these files were generated "
                 "(the numbers are the measured values / max absolute differences).")
    for title, items in notes:
        lines.append("")
        lines.append(f"### {title}")
        lines.append("")
        for it in items:
            lines.append(f"- {it}")
    lines.append("")
    lines.append("### Interior NaN summary")
    lines.append("")
    lines.append("- The wrapper only skips LEADING NaNs. An interior NaN is passed to the C code and the "
                 "effect is function-specific: SMA and EMA (running sum / recursive state) output NaN from "
                 "the first window containing it on, forever; RSI outputs 0.0 from that bar on, forever "
                 "MAX simply skips the NaN (comparisons "
                 "with NaN are false); MOM is NaN only where the NaN is one of its two operands. "
                 "None of this is worth emulating; none of the golden series contain an interior NaN.")
    lines.append("")
    with open(os.path.join(OUT_DIR, "README.md"), "w", newline="\n") as fh:
        fh.write("\n".join(lines))


def main():
    os.makedirs(OUT_DIR, exist_ok=True)
    # remove stale generated csv files so the folder reflects exactly this run
    for f in os.listdir(OUT_DIR):
        if f.endswith(".csv"):
            os.remove(os.path.join(OUT_DIR, f))
    data, s3_meta = make_inputs()

    rows = []
    for s, d in data.items():
        for i in range(N_BARS):
            rows.append([s, str(i)] + [fmt(d[k][i]) for k in ("open", "high", "low", "close", "volume")])
    write_csv(os.path.join(OUT_DIR, "input.csv"), ["series", "bar", "open", "high", "low", "close", "volume"], rows)

    manifest, skipped, anomalies = generate(data)
    write_csv(os.path.join(OUT_DIR, "manifest.csv"), ["file", "function", "params", "inputs", "outputs"], manifest)
    notes = probes(data)
    write_readme(manifest, skipped, anomalies, notes, s3_meta)

    total = sum(os.path.getsize(os.path.join(OUT_DIR, f)) for f in os.listdir(OUT_DIR))
    print(f"talib {talib.__version__} / {getattr(talib, '__ta_version__', '?')}")
    print(f"wrote {len(manifest)} indicator files + input.csv, manifest.csv, README.md to {OUT_DIR}")
    print(f"total size: {total / 1e6:.2f} MB")
    if skipped:
        print("skipped:", skipped)
    if anomalies:
        print(f"{len(anomalies)} NaN-pattern anomalies (see README.md)")


if __name__ == "__main__":
    main()
