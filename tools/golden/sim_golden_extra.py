#!/usr/bin/env python3
"""Extra simulator golden files: short selling, stop-and-reverse, fixed fees with slippage,
and stops on shorts, made with vectorbt 1.2.0 from the committed prices.csv and signals.csv.

Run through tools/golden/make_sim_golden.sh (after sim_golden.py). Deterministic. Writes into
Tests/Fixtures/golden/sim/ (or --out):
  vbt_reverse_{summary,trades}.csv      D  entries = crossover, short_entries = crossunder, no exits,
                                           upon_opposite_entry='reverse' (always in the market)
  vbt_costs_{summary,trades}.csv        E  long only, fees=0.001, fixed_fees=1, slippage=0.002
  vbt_short_stops_{summary,trades}.csv  F  short only: short_entries = crossunder, short_exits =
                                           crossover, sl_stop=0.05, tp_stop=0.10, OHLC given
  vbt_default_metrics.csv                  case A's annualized return, volatility, Sortino, Calmar and
                                           closed-trade win rate, profit factor, expectancy, SQN
  vbt_topn_{summary,value}.csv          G  from_orders targetpercent, cash shared by all 60 symbols:
                                           top 20 by close/close[126 bars ago], weight 1/20, on the
                                           first bar of each month; fees 0; init_cash 600000
D–F: init_cash=10000 per symbol, fees=0.001, freq='1D', one column per symbol.
"""

import argparse
import os
import warnings

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")
import vectorbt as vbt  # noqa: E402
from golden_csv import r, write_csv  # noqa: E402

INIT_CASH = 10000.0
FEES = 0.001
TOP = 20


def load(outdir):
    p = pd.read_csv(os.path.join(outdir, "prices.csv"))
    syms = sorted(p.symbol.unique())
    dates = pd.DatetimeIndex(pd.to_datetime(p[p.symbol == syms[0]].date.values))
    frame = {k: pd.DataFrame({s: p[p.symbol == s][k].values for s in syms}, index=dates)
             for k in ("open", "high", "low", "close")}
    s = pd.read_csv(os.path.join(outdir, "signals.csv"))
    en = pd.DataFrame(False, index=dates, columns=syms)
    ex = en.copy()
    for row in s.itertuples():
        if row.entry == 1:
            en.iloc[row.bar, syms.index(row.symbol)] = True
        if row.exit == 1:
            ex.iloc[row.bar, syms.index(row.symbol)] = True
    return syms, frame, en, ex


def dump(name, outdir, syms, pf):
    summary = []
    tr = pf.trades.records
    rows = []
    for j, s in enumerate(syms):
        t = tr[tr["col"] == j].to_dict("records")
        closed = sum(1 for x in t if x["status"] == 1)
        summary.append([s, closed, len(t) - closed, pf.total_return()[s], pf.final_value()[s]])
        for x in t:
            rows.append([s, int(x["entry_idx"]), int(x["exit_idx"]), x["entry_price"], x["exit_price"], x["size"],
                         x["entry_fees"], x["exit_fees"], x["pnl"], x["return"],
                         "short" if x["direction"] == 1 else "long", "closed" if x["status"] == 1 else "open"])
    write_csv(os.path.join(outdir, f"{name}_summary.csv"),
              ["symbol", "closed_trades", "open_trades", "total_return", "final_value"], summary)
    write_csv(os.path.join(outdir, f"{name}_trades.csv"),
              ["symbol", "entry_bar", "exit_bar", "entry_price", "exit_price", "size", "entry_fees", "exit_fees",
               "pnl", "return", "direction", "status"], rows)
    return len(rows)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="Tests/Fixtures/golden/sim")
    out = ap.parse_args().out
    syms, f, en, ex = load(out)
    none = en & False
    common = dict(init_cash=INIT_CASH, fees=FEES, freq="1D")
    pf = vbt.Portfolio.from_signals(f["close"], en, none, short_entries=ex, short_exits=none,
                                    upon_opposite_entry="reverse", **common)
    print("vbt_reverse", dump("vbt_reverse", out, syms, pf))
    pf = vbt.Portfolio.from_signals(f["close"], en, ex, fixed_fees=1.0, slippage=0.002, **common)
    print("vbt_costs", dump("vbt_costs", out, syms, pf))
    pf = vbt.Portfolio.from_signals(f["close"], none, none, short_entries=ex, short_exits=en,
                                    open=f["open"], high=f["high"], low=f["low"], sl_stop=0.05, tp_stop=0.10, **common)
    print("vbt_short_stops", dump("vbt_short_stops", out, syms, pf))

    # A's figures beyond the summary: vectorbt's own metric functions (365-day year, closed trades).
    pf = vbt.Portfolio.from_signals(f["close"], en, ex, **common)
    closed = pf.trades.closed
    figures = [pf.annualized_return(), pf.annualized_volatility(), pf.sortino_ratio(), pf.calmar_ratio(),
               closed.win_rate(), closed.profit_factor(), closed.expectancy(), closed.sqn()]
    write_csv(os.path.join(out, "vbt_default_metrics.csv"),
              ["symbol", "cagr", "volatility", "sortino", "calmar", "win_rate", "profit_factor", "expectancy", "sqn"],
              [[s] + [fig[s] for fig in figures] for s in syms])

    # G: shared cash, top 20 by 126-bar momentum, equal weight, rebalanced on each month's first bar.
    close = f["close"]
    mom = close / close.shift(126) - 1
    first_of_month = pd.Series(close.index.to_period("M"), index=close.index)
    first_of_month = (first_of_month != first_of_month.shift(1)).values
    size = pd.DataFrame(np.nan, index=close.index, columns=syms)
    for t in range(len(close)):
        row = mom.iloc[t]
        if not first_of_month[t] or row.isna().all():
            continue
        valid = [(-row.iloc[j], j) for j in range(len(syms)) if not np.isnan(row.iloc[j])]
        chosen = [j for _, j in sorted(valid)[:TOP]]   # best first, ties to the lower column
        w = np.zeros(len(syms))
        w[chosen] = 1.0 / TOP
        size.iloc[t] = w
    pf = vbt.Portfolio.from_orders(close, size, size_type="targetpercent", group_by=True, cash_sharing=True,
                                   call_seq="auto", init_cash=INIT_CASH * len(syms), fees=0.0, freq="1D")
    value = pf.value()
    write_csv(os.path.join(out, "vbt_topn_value.csv"), ["bar", "value"],
              [[t, value.iloc[t]] for t in range(len(value))])
    orders = pf.orders.records
    write_csv(os.path.join(out, "vbt_topn_summary.csv"), ["orders", "rebalance_bars", "total_return", "final_value"],
              [[len(orders), int(size.notna().any(axis=1).sum()), pf.total_return(), pf.final_value()]])
    print("vbt_topn", len(orders))


if __name__ == "__main__":
    main()
