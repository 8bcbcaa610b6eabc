"""W1 with vectorbt: SMA(10)/SMA(50) crossover, fees 0.001, three stats, on lunar's CSVs.

Usage: python w1_vectorbt.py CSV_DIR [RUNS]
Prints one JSON line with the medians (ms) and peak memory. Numba is warmed up first.
"""
import json
import resource
import statistics
import sys
import time

import vectorbt as vbt

from peer_data import load_closes


def w1(close):
    t0 = time.perf_counter()
    fast = vbt.MA.run(close, 10, short_name="fast")
    slow = vbt.MA.run(close, 50, short_name="slow")
    entries = fast.ma_crossed_above(slow)
    exits = fast.ma_crossed_below(slow)
    t1 = time.perf_counter()
    pf = vbt.Portfolio.from_signals(close, entries, exits, fees=0.001,
                                    init_cash=100_000 / close.shape[1], freq="1D")
    t2 = time.perf_counter()
    stats = (pf.total_return(), pf.sharpe_ratio(), pf.max_drawdown())
    t3 = time.perf_counter()
    return (t1 - t0, t2 - t1, t3 - t2), stats


def main():
    folder = sys.argv[1]
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    t = time.perf_counter()
    close = load_closes(folder)
    load_s = time.perf_counter() - t
    w1(close)  # warm-up: numba compiles here
    samples = [w1(close)[0] for _ in range(runs)]
    med = [statistics.median(s[k] for s in samples) * 1000 for k in range(3)]
    print(json.dumps({
        "symbols": close.shape[1], "bars": close.shape[0], "load_ms": load_s * 1000,
        "indicators_ms": med[0], "portfolio_ms": med[1], "stats_ms": med[2], "total_ms": sum(med),
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "vectorbt": vbt.__version__,
    }))


if __name__ == "__main__":
    main()
