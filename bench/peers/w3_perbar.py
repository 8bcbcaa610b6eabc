"""W3 with per-bar Python engines: the trailing-stop breakout of strategies/trailing_breakout.lua.

Enter when the close is above the highest high of the 20 PRIOR bars (the 20-bar high up to
the previous bar); then track the peak close since entry and exit when the close falls below
peak * (1 - 0.08). All-in, filled at this bar's close, fees 0.001 of traded value.

  backtesting.py: trade_on_close=True, commission=0.001, buy() with the default all-in size
                  (whole units; cash 100000 per symbol so the rounding hardly matters).
  backtrader:     broker.set_coc(True) (cheat-on-close), commission 0.001, fractional size
                  cash / (close * 1.001), like Lunar's `sizing all`.

Each symbol is one backtest (both engines are single-threaded), on lunar's CSVs.

Usage: python w3_perbar.py CSV_DIR backtesting|backtrader SYMBOLS [RUNS]
Prints one JSON line: the median time of a pass over the first SYMBOLS symbols (after a
warm-up on the first symbol), bars per second (wall and CPU time), closed trades per symbol,
and the first symbol's trades (entry and exit bar indices) for a cross-check with Lunar.
CSV parsing is outside the timing; everything the engine does (its indicator, the per-bar
loop, its statistics) is inside.
"""
import json
import resource
import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd

from peer_data import read_symbols

LOOKBACK = 20
TRAIL = 0.08
FEES = 0.001
CASH = 100_000.0


def load(folder, n):
    out = read_symbols(folder, n)
    for _, df in out:
        df.columns = [c.capitalize() for c in df.columns]   # Open High Low Close Volume
    return out


def prior_highest(high, n):
    """max(high[t-n .. t-1]): the n-bar high up to the previous bar (NaN until defined)."""
    return pd.Series(high).rolling(n).max().shift(1).to_numpy()


# --- backtesting.py ---------------------------------------------------------------------

def make_backtesting():
    from backtesting import Backtest, Strategy

    class TrailingBreakout(Strategy):
        lookback = LOOKBACK
        trail = TRAIL

        def init(self):
            self.hi = self.I(prior_highest, self.data.High, self.lookback)
            self.peak = 0.0

        def next(self):
            c = self.data.Close[-1]
            if not self.position:
                if c > self.hi[-1]:
                    self.buy()
                    self.peak = c
            else:
                self.peak = max(self.peak, c)
                if c < self.peak * (1 - self.trail):
                    self.position.close()

    def run_one(df):
        bt = Backtest(df, TrailingBreakout, cash=CASH, commission=FEES, trade_on_close=True)
        stats = bt.run()
        trades = stats["_trades"]
        return [(int(a), int(b)) for a, b in zip(trades["EntryBar"], trades["ExitBar"])]

    import backtesting
    return run_one, "backtesting.py " + backtesting.__version__


# --- backtrader -------------------------------------------------------------------------

def make_backtrader():
    import backtrader as bt

    class TrailingBreakout(bt.Strategy):
        params = dict(lookback=LOOKBACK, trail=TRAIL)

        def __init__(self):
            self.hi = bt.ind.Highest(self.data.high, period=self.p.lookback)
            self.peak = 0.0
            self.trades = []

        def notify_trade(self, trade):
            if trade.isclosed:
                self.trades.append((trade.baropen, trade.barclose))

        def next(self):
            if len(self.data) <= self.p.lookback:   # hi[-1] needs 20 prior bars
                return
            c = self.data.close[0]
            if not self.position:
                if c > self.hi[-1]:
                    # A hair under all-in: cash / (c * 1.001) exactly is rejected (Margin) about
                    # half the time, when rounding makes price * size + commission exceed cash.
                    self.buy(size=self.broker.getcash() / (c * (1 + FEES)) * (1 - 1e-9))
                    self.peak = c
            else:
                self.peak = max(self.peak, c)
                if c < self.peak * (1 - self.p.trail):
                    self.close()

    def run_one(df):
        cerebro = bt.Cerebro(stdstats=False)
        cerebro.adddata(bt.feeds.PandasData(dataname=df))
        cerebro.addstrategy(TrailingBreakout)
        cerebro.broker.setcash(CASH)
        cerebro.broker.setcommission(commission=FEES)
        cerebro.broker.set_coc(True)
        strat = cerebro.run()[0]
        # baropen/barclose are len(data) (1-based) of the cycle that executed the order; with
        # cheat-on-close that is the bar after the signal, filled at the signal bar's close.
        # Subtract 2 to get the 0-based index of the signal (= fill-price) bar, like Lunar's.
        return [(a - 2, b - 2) for a, b in strat.trades]

    return run_one, "backtrader " + bt.__version__


def main():
    folder, peer, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    runs = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    warnings.filterwarnings("ignore")
    run_one, version = {"backtesting": make_backtesting, "backtrader": make_backtrader}[peer]()
    data = load(folder, n)
    run_one(data[0][1])   # warm-up: imports, first-call costs
    walls, cpus, trades = [], [], None
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        trades = [run_one(df) for _, df in data]
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
    bars = sum(len(df) for _, df in data)
    wall, cpu = statistics.median(walls), statistics.median(cpus)
    print(json.dumps({
        "peer": version, "symbols": len(data), "bars": bars, "runs": runs,
        "wall_s": wall, "cpu_s": cpu, "bars_per_s": bars / wall, "bars_per_s_cpu": bars / cpu,
        "trades_per_symbol": {name: len(t) for (name, _), t in zip(data, trades)},
        "first_symbol_trades": trades[0],
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
