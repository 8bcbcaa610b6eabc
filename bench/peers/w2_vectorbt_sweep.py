"""W2 with vectorbt: the SMA-crossover sweep, on lunar's CSVs.

fast 5..50 step 5 x slow 20..200 step 10 with fast < slow (174 combinations), every
combination over every symbol in ONE vectorized call: the two MA indicators are run with
aligned window lists, so their columns are (fast, slow, symbol) = 174 x symbols; entries and
exits are the crossings; `Portfolio.from_signals` simulates all columns at once with fees
0.001 and 100000 / symbols of cash per column; then total return and Sharpe per column.

Usage: python w2_vectorbt_sweep.py CSV_DIR [RUNS]
Prints one JSON line with the medians (ms) and peak memory. Numba is warmed up first.
"""
import json
import resource
import statistics
import sys
import time

import numpy as np
import vectorbt as vbt

from peer_data import load_closes

FAST = range(5, 51, 5)
SLOW = range(20, 201, 10)
PAIRS = [(f, s) for f in FAST for s in SLOW if f < s]


def w2(close):
    t0 = time.perf_counter()
    fast = vbt.MA.run(close, window=[f for f, _ in PAIRS], short_name="fast")
    slow = vbt.MA.run(close, window=[s for _, s in PAIRS], short_name="slow")
    entries = fast.ma_crossed_above(slow)
    exits = fast.ma_crossed_below(slow)
    t1 = time.perf_counter()
    # fast.close is the close tiled to the indicator's columns (combinations x symbols).
    pf = vbt.Portfolio.from_signals(fast.close, entries, exits, fees=0.001,
                                    init_cash=100_000 / close.shape[1], freq="1D")
    t2 = time.perf_counter()
    stats = (pf.total_return(), pf.sharpe_ratio())
    t3 = time.perf_counter()
    return (t1 - t0, t2 - t1, t3 - t2), stats, pf


def main():
    folder = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    t = time.perf_counter()
    close = load_closes(folder)
    load_s = time.perf_counter() - t
    _, (tr, sr), pf = w2(close)  # warm-up: numba compiles here
    columns = tr.shape[0]
    trades = int(pf.trades.count().sum())
    del pf
    samples = [w2(close)[0] for _ in range(runs)]
    med = [statistics.median(s[k] for s in samples) * 1000 for k in range(3)]
    print(json.dumps({
        "symbols": close.shape[1], "bars": close.shape[0], "combinations": len(PAIRS),
        "columns": columns, "trades": trades, "mean_total_return": float(np.nanmean(tr.values)),
        "load_ms": load_s * 1000,
        "indicators_ms": med[0], "portfolio_ms": med[1], "stats_ms": med[2], "total_ms": sum(med),
        "runs_ms": [sum(s) * 1000 for s in samples],
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "vectorbt": vbt.__version__,
    }))


if __name__ == "__main__":
    main()
