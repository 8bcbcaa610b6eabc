#!/usr/bin/env python3
"""Golden files from backtesting.py's canonical SmaCross on the real prices it ships.

Runs (backtesting.py 0.6.6):

    class SmaCross(Strategy):            # SMA 10 / 20, as in backtesting.py's own tests
        def init(self):
            self.sma1 = self.I(SMA, self.data.Close, 10)
            self.sma2 = self.I(SMA, self.data.Close, 20)
        def next(self):
            if crossover(self.sma1, self.sma2):
                self.position.close(); self.buy()
            elif crossover(self.sma2, self.sma1):
                self.position.close(); self.sell()

    Backtest(data, SmaCross, commission=.002, cash=10_000, exclusive_orders=True).run()

on GOOG.csv and EURUSD.csv as read by backtesting.test (pd.read_csv(index_col=0,
parse_dates=True)), and writes for each NAME in --out:

  NAME_trades.csv  every trade in entry order: closed ones from stats['_trades'], then the ones
                   still open at the end (open=1; exit_bar = last bar, exit_price = last close,
                   pnl = backtesting.py's Trade.pl at the last close, which carries no commission
                   for an open trade; commission = the entry commission it paid)
  NAME_equity.csv  bar, equity, drawdown_pct  (stats['_equity_curve'])
  NAME_stats.csv   key, value: every scalar of the stats Series (numbers as %.17g, times and
                   durations as pandas prints them), plus derived keys prefixed with '_'
                   (_first_next_bar, _annual_trading_days, _bars, _day_returns, ...)
  versions.csv     package versions

Numbers are written with %.17g so they read back to the same doubles; the output is
deterministic (no dates of the run, no random state).
"""
import argparse
import csv
import math
import os
import sys
import warnings
from importlib import metadata

os.environ.setdefault("TQDM_DISABLE", "1")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from backtesting import Backtest, Strategy  # noqa: E402
from backtesting.lib import crossover  # noqa: E402
from backtesting.test import SMA  # noqa: E402
from backtesting._util import _indicator_warmup_nbars, _data_period  # noqa: E402


COMMISSION = .002


class SmaCross(Strategy):
    fast = 10
    slow = 20

    def init(self):
        self.sma1 = self.I(SMA, self.data.Close, self.fast)
        self.sma2 = self.I(SMA, self.data.Close, self.slow)

    def next(self):
        if crossover(self.sma1, self.sma2):
            self.position.close()
            self.buy()
        elif crossover(self.sma2, self.sma1):
            self.position.close()
            self.sell()


def g(x):
    """A cell: %.17g for numbers, '' for NaN/None, str() otherwise."""
    if x is None:
        return ""
    if isinstance(x, (bool, np.bool_)):
        return "1" if x else "0"
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, (float, np.floating)):
        return "" if math.isnan(x) else "%.17g" % float(x)
    return str(x)


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for r in rows:
            w.writerow([g(x) for x in r])


def run(name, csv_path, out):
    data = pd.read_csv(csv_path, index_col=0, parse_dates=True)
    bt = Backtest(data, SmaCross, commission=COMMISSION, cash=10_000, exclusive_orders=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Some trades remain open ..."
        st = bt.run()
    strat = st["_strategy"]
    broker = strat._broker
    close = data["Close"].to_numpy()
    last = len(data) - 1

    rows = []
    for _, t in st["_trades"].iterrows():
        rows.append([0, int(t["EntryBar"]), int(t["ExitBar"]), float(t["EntryPrice"]), float(t["ExitPrice"]),
                     int(t["Size"]), float(t["PnL"]), float(t["Commission"]), float(t["ReturnPct"])])
    for t in broker.trades:  # still open: not in stats (finalize_trades=False)
        entry_fee = COMMISSION * abs(t.size) * t.entry_price   # what _open_trade took from cash
        rows.append([1, int(t.entry_bar), last, float(t.entry_price), float(close[-1]), int(t.size),
                     float(t.pl), float(entry_fee), float(t.pl_pct)])
    write_csv(os.path.join(out, f"{name}_trades.csv"),
              ["open", "entry_bar", "exit_bar", "entry_price", "exit_price", "size", "pnl", "commission",
               "return_pct"], rows)

    eq = st["_equity_curve"]
    write_csv(os.path.join(out, f"{name}_equity.csv"), ["bar", "equity", "drawdown_pct"],
              [[i, float(e), float(d)] for i, (e, d) in enumerate(zip(eq["Equity"], eq["DrawdownPct"]))])

    srows = []
    for k, v in st.items():
        if k.startswith("_"):
            continue
        srows.append([k, v])
    # Inputs of the formulas in docs/semantics.md ("Metrics beside backtesting.py").
    index = data.index
    freq_days = _data_period(index).days
    have_weekends = index.day_of_week.to_series().between(5, 6).mean() > 2 / 7 * .6
    annual = (52 if freq_days == 7 else 12 if freq_days == 31 else 1 if freq_days == 365
              else (365 if have_weekends else 252))
    freq = {7: "W", 31: "ME", 365: "YE"}.get(freq_days, "D")
    day_returns = eq["Equity"].resample(freq).last().dropna().pct_change().dropna()
    srows += [["_first_next_bar", 1 + int(_indicator_warmup_nbars(strat))],
              ["_bars", len(data)],
              ["_annual_trading_days", annual],
              ["_day_returns", len(day_returns)],
              ["_day_returns_mean", float(day_returns.mean())],
              ["_day_returns_var_ddof1", float(day_returns.var(ddof=1))],
              ["_open_trades", len(broker.trades)],
              ["_cash_final", float(broker._cash)]]
    write_csv(os.path.join(out, f"{name}_stats.csv"), ["key", "value"], srows)
    return len(st["_trades"]), len(broker.trades), float(st["Equity Final [$]"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True, help="folder with GOOG.csv and EURUSD.csv")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    for name in ("GOOG", "EURUSD"):
        closed, open_, final = run(name, os.path.join(a.data, f"{name}.csv"), a.out)
        print(f"{name}: {closed} closed trades, {open_} open, equity final {final:.17g}", file=sys.stderr)
    write_csv(os.path.join(a.out, "versions.csv"), ["package", "version"],
              [[p, metadata.version(p)] for p in ("backtesting", "pandas", "numpy")])


if __name__ == "__main__":
    main()
