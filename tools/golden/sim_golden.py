#!/usr/bin/env python3
"""Golden reference files for Lunar's simulator, made with vectorbt and backtesting.py.

Deterministic: the same package versions give byte-identical files. Run through
tools/golden/make_sim_golden.sh, which builds the virtualenv .build-venv-sim/.

Writes into Tests/Fixtures/golden/sim/ (or --out):
  prices.csv, signals.csv,
  vbt_default_{summary,trades,value}.csv     case A  vectorbt from_signals, fill at close
  bt_next_open_{summary,trades,equity}.csv   case B  backtesting.py, trade_on_close=False
  bt_close_{summary,trades,equity}.csv       case B2 backtesting.py, trade_on_close=True
  vbt_stops_{summary,trades,value}.csv       case C  vectorbt, sl_stop=0.05, tp_stop=0.10, OHLC given
  vbt_trail_{summary,trades,value}.csv       case C2 vectorbt, sl_stop=0.03, sl_trail=True, OHLC given
  meta.json                                  versions, options, edge-case counts, self-check results

Besides producing the files, the script re-simulates every case with a small independent
pure-Python model of the semantics described in README.md and asserts that it agrees with the
libraries, so the README's rules are checked, not guessed.
"""

import argparse
import json
import math
import os
import sys
import warnings
from importlib import metadata

import numpy as np
import pandas as pd

warnings.filterwarnings("ignore")
os.environ.setdefault("TQDM_DISABLE", "1")  # backtesting.py's progress bars

import vectorbt as vbt  # noqa: E402
from golden_csv import r, write_csv  # noqa: E402
from backtesting import Backtest, Strategy  # noqa: E402

N_SYMBOLS = 60
N_BARS = 600
START = "2020-01-01"
SEED = 20240517
FAST, SLOW = 10, 50
INIT_CASH = 10000.0
FEES = 0.001
SL, TP = 0.05, 0.10
TRAIL_SL = 0.03
N_VALUE_SYMBOLS = 3

vbt.settings.returns["year_freq"] = "365 days"  # vectorbt's default, made explicit


# --------------------------------------------------------------------------- data


def make_prices():
    rng = np.random.default_rng(SEED)
    dates = pd.bdate_range(START, periods=N_BARS)
    dt = 1.0 / 252.0
    mus = np.linspace(-0.2, 0.3, N_SYMBOLS)
    sigmas = np.linspace(0.15, 0.6, N_SYMBOLS)
    rng.shuffle(sigmas)  # decouple drift from vol
    frames = {}
    for s in range(N_SYMBOLS):
        mu, sigma = mus[s], sigmas[s]
        p0 = float(rng.uniform(20.0, 200.0))
        sd = sigma * math.sqrt(dt)
        z = rng.standard_normal(N_BARS)
        logret = (mu - 0.5 * sigma * sigma) * dt + sd * z
        gap = rng.standard_normal(N_BARS) * 0.25 * sd  # overnight part of the move
        close = p0 * np.exp(np.cumsum(logret))
        prev_close = np.concatenate([[p0], close[:-1]])
        open_ = prev_close * np.exp(gap)
        up = np.abs(rng.standard_normal(N_BARS)) * 0.5 * sd
        dn = np.abs(rng.standard_normal(N_BARS)) * 0.5 * sd
        high = np.maximum(open_, close) * np.exp(up)
        low = np.minimum(open_, close) * np.exp(-dn)
        volume = np.floor(rng.lognormal(mean=13.0, sigma=0.5, size=N_BARS)).astype(np.int64) + 1
        assert np.all(high >= np.maximum(open_, close)) and np.all(low <= np.minimum(open_, close))
        assert np.all(low > 0) and np.all(volume > 0)
        frames[f"SYM{s:03d}"] = pd.DataFrame(
            {"Open": open_, "High": high, "Low": low, "Close": close, "Volume": volume}, index=dates
        )
    return dates, frames, mus, sigmas


def read_back_prices(path):
    """Read prices.csv back, so the simulations use exactly the written (repr'd) values."""
    df = pd.read_csv(path, dtype={"symbol": str, "date": str}, float_precision="round_trip")
    out = {}
    for sym, g in df.groupby("symbol", sort=True):
        g = g.reset_index(drop=True)
        idx = pd.DatetimeIndex(pd.to_datetime(g["date"]))
        out[sym] = pd.DataFrame(
            {
                "Open": g["open"].to_numpy(float),
                "High": g["high"].to_numpy(float),
                "Low": g["low"].to_numpy(float),
                "Close": g["close"].to_numpy(float),
                "Volume": g["volume"].to_numpy(np.int64),
            },
            index=idx,
        )
    return out


# --------------------------------------------------------------------------- reference re-sim


def ref_vbt(close, entries, exits, o=None, h=None, l=None, sl=None, tp=None, trail=False):
    """Independent model of vbt from_signals (long only, size=inf, fees, no slippage)."""
    n = len(close)
    cash, shares = INIT_CASH, 0.0
    value = np.empty(n)
    trades = []  # dicts
    base = sl_base = None
    cur = None
    for i in range(n):
        stop_price, reason = math.nan, None
        if shares > 0 and (sl is not None or tp is not None):
            if sl is not None:
                lvl = sl_base * (1 - sl)
                if o[i] <= lvl:
                    stop_price, reason = o[i], "sl_gap"
                elif l[i] <= lvl <= h[i]:
                    stop_price, reason = lvl, "sl"
            if math.isnan(stop_price) and tp is not None:
                lvl = base * (1 + tp)
                if lvl <= o[i]:
                    stop_price, reason = o[i], "tp_gap"
                elif l[i] <= lvl <= h[i]:
                    stop_price, reason = lvl, "tp"
            if sl is not None and trail and h[i] > sl_base:
                sl_base = h[i]
        if not math.isnan(stop_price):
            px = stop_price
            proceeds = shares * px
            fee = proceeds * FEES
            cash += proceeds - fee
            cur.update(exit_idx=i, exit_price=px, exit_fees=fee, status="closed", exit_reason=reason)
            trades.append(cur)
            cur, shares = None, 0.0
        else:
            en, ex = bool(entries[i]), bool(exits[i])
            if en and ex:
                en = ex = False  # upon_long_conflict='ignore'
            if en and shares == 0:
                px = close[i]
                req = cash / (1 + FEES)
                fee = cash - req
                shares = req / px
                cash = 0.0
                cur = dict(entry_idx=i, entry_price=px, size=shares, entry_fees=fee)
                base = sl_base = close[i]
            elif ex and shares > 0:
                px = close[i]
                proceeds = shares * px
                fee = proceeds * FEES
                cash += proceeds - fee
                cur.update(exit_idx=i, exit_price=px, exit_fees=fee, status="closed", exit_reason="signal")
                trades.append(cur)
                cur, shares = None, 0.0
        value[i] = cash + shares * close[i]
    if cur is not None:
        cur.update(exit_idx=n - 1, exit_price=close[-1], exit_fees=0.0, status="open", exit_reason="none")
        trades.append(cur)
    for t in trades:
        entry_val = t["size"] * t["entry_price"]
        t["pnl"] = (t["size"] * t["exit_price"] - entry_val) - t["entry_fees"] - t["exit_fees"]
        t["return"] = t["pnl"] / entry_val
    return trades, value


def ref_bt(df, entries, exits, trade_on_close):
    """Independent model of backtesting.py with buy()/position.close(), whole shares."""
    o, c = df["Open"].to_numpy(), df["Close"].to_numpy()
    n = len(c)
    cash, size, entry_price, entry_bar = INIT_CASH, 0, None, None
    trades = []
    pending = None  # ("buy"|"close", placed_at)
    for i in range(1, n):  # next() first runs at bar 1 (boolean indicators have no NaN)
        if pending is not None:
            kind, placed = pending
            px = c[placed] if trade_on_close else o[i]
            bar = placed if trade_on_close else i
            if kind == "buy":
                adj = px + (1 * px * FEES)  # price + commission per unit
                size = int((cash * (1 - sys.float_info.epsilon)) // adj)
                if size > 0:
                    cash -= size * px * FEES
                    entry_price, entry_bar = px, bar
            else:
                pl = size * (px - entry_price)
                cash += pl - size * px * FEES
                trades.append(
                    dict(entry_bar=entry_bar, exit_bar=bar, entry_price=entry_price, exit_price=px,
                         size=size, pnl=pl - size * px * FEES - size * entry_price * FEES)
                )
                size = 0
            pending = None
        if entries[i] and size == 0:
            pending = ("buy", i)
        elif exits[i] and size > 0:
            pending = ("close", i)
    equity_final = cash + (size * (c[-1] - entry_price) if size else 0.0)
    return trades, equity_final, (size, entry_bar, entry_price)


def close_rel(a, b, tol):
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    a, b = float(a), float(b)
    if math.isnan(a) and math.isnan(b):
        return True
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


# --------------------------------------------------------------------------- vectorbt cases


def vbt_case(name, outdir, syms, close, entries, exits, ohlc, kwargs, edge):
    pf = vbt.Portfolio.from_signals(
        close, entries, exits, init_cash=INIT_CASH, fees=FEES, freq="1D", **ohlc, **kwargs
    )
    tr = pf.trades  # exit trades (default trades_type)
    rec = tr.values
    closed = tr.closed.count()
    open_ = tr.open.count()
    total_return = pf.total_return()
    final_value = pf.final_value()
    mdd = pf.max_drawdown()
    sharpe = pf.sharpe_ratio()
    value = pf.value()
    with_stops = "sl_stop" in kwargs
    o = ohlc.get("open")
    h = ohlc.get("high")
    l = ohlc.get("low")

    srows, trows, vrows = [], [], []
    maxdiff = {"value": 0.0, "trade": 0.0, "sharpe": 0.0, "mdd": 0.0}
    reasons = {}
    for ci, sym in enumerate(syms):
        srows.append([sym, int(closed[sym]), int(open_[sym]), total_return[sym], final_value[sym],
                      mdd[sym], sharpe[sym]])
        recs = rec[rec["col"] == ci]
        # independent re-simulation
        ref_trades, ref_value = ref_vbt(
            close[sym].to_numpy(), entries[sym].to_numpy(), exits[sym].to_numpy(),
            o[sym].to_numpy() if o is not None else None,
            h[sym].to_numpy() if h is not None else None,
            l[sym].to_numpy() if l is not None else None,
            sl=kwargs.get("sl_stop"), tp=kwargs.get("tp_stop"), trail=kwargs.get("sl_trail", False),
        )
        assert len(ref_trades) == len(recs), (name, sym, len(ref_trades), len(recs))
        v = value[sym].to_numpy()
        maxdiff["value"] = max(maxdiff["value"], float(np.max(np.abs(v - ref_value) / v)))
        rets = np.empty(len(v))
        rets[0] = (v[0] - INIT_CASH) / INIT_CASH
        rets[1:] = (v[1:] - v[:-1]) / v[:-1]
        sd = np.std(rets, ddof=1)
        ref_sharpe = np.inf if sd == 0 else np.mean(rets) / sd * math.sqrt(365)
        if np.isfinite(ref_sharpe):
            maxdiff["sharpe"] = max(maxdiff["sharpe"], abs(ref_sharpe - sharpe[sym]) / max(1, abs(ref_sharpe)))
        peak = np.maximum.accumulate(np.concatenate([[INIT_CASH], v]))[1:]
        ref_mdd = float(np.min(v / np.maximum(peak, v) - 1))
        ref_mdd2 = float(np.min(v / np.maximum.accumulate(v) - 1))
        maxdiff["mdd"] = max(maxdiff["mdd"], abs(ref_mdd2 - mdd[sym]))
        if ref_mdd != ref_mdd2:
            edge["mdd_init_cash_matters"] = edge.get("mdd_init_cash_matters", 0) + 1
        for t, rt in zip(recs, ref_trades):
            status = "closed" if t["status"] == 1 else "open"
            assert status == rt["status"], (name, sym)
            assert int(t["entry_idx"]) == rt["entry_idx"] and int(t["exit_idx"]) == rt["exit_idx"], (name, sym, t, rt)
            for k in ("entry_price", "exit_price", "size", "entry_fees", "exit_fees", "pnl", "return"):
                maxdiff["trade"] = max(maxdiff["trade"], abs(t[k] - rt[k]) / max(1.0, abs(rt[k])))
            row = [sym, int(t["entry_idx"]), int(t["exit_idx"]), t["entry_price"], t["exit_price"],
                   t["size"], t["entry_fees"], t["exit_fees"], t["pnl"], t["return"], status]
            if with_stops:
                row.append(rt["exit_reason"])
                reasons[rt["exit_reason"]] = reasons.get(rt["exit_reason"], 0) + 1
                if rt["exit_reason"] not in ("signal", "none") and exits[sym].iloc[int(t["exit_idx"])]:
                    edge["stop_and_exit_signal_same_bar"] = edge.get("stop_and_exit_signal_same_bar", 0) + 1
                if rt["exit_reason"] not in ("signal", "none") and entries[sym].iloc[int(t["exit_idx"])]:
                    edge["stop_and_entry_signal_same_bar"] = edge.get("stop_and_entry_signal_same_bar", 0) + 1
            trows.append(row)
        if ci < N_VALUE_SYMBOLS:
            for i, x in enumerate(v):
                vrows.append([sym, i, x])

    write_csv(os.path.join(outdir, f"{name}_summary.csv"),
              ["symbol", "closed_trades", "open_trades", "total_return", "final_value", "max_drawdown",
               "sharpe_365"], srows)
    theader = ["symbol", "entry_bar", "exit_bar", "entry_price", "exit_price", "size", "entry_fees",
               "exit_fees", "pnl", "return", "status"]
    if with_stops:
        theader.append("exit_reason")
    write_csv(os.path.join(outdir, f"{name}_trades.csv"), theader, trows)
    write_csv(os.path.join(outdir, f"{name}_value.csv"), ["symbol", "bar", "value"], vrows)
    for k, x in maxdiff.items():
        assert x < 1e-12, (name, k, x)
    return {"trades": len(trows), "closed": int(closed.sum()), "open": int(open_.sum()),
            "max_rel_diff_vs_reference_model": maxdiff, "exit_reasons": reasons}


# --------------------------------------------------------------------------- backtesting.py cases


def make_strategy(entry_arr, exit_arr):
    class CrossSignals(Strategy):
        def init(self):
            self.entry = self.I(lambda: entry_arr, name="entry", overlay=False)
            self.exit = self.I(lambda: exit_arr, name="exit", overlay=False)

        def next(self):
            if self.entry[-1] and not self.position:
                self.buy()
            elif self.exit[-1] and self.position.is_long:
                self.position.close()

    return CrossSignals


def bt_case(name, outdir, syms, frames, entries, exits, trade_on_close, edge):
    srows, trows, erows = [], [], []
    maxdiff = 0.0
    n_closed = n_open = 0
    warm = set()
    for ci, sym in enumerate(syms):
        df = frames[sym]
        ent = entries[sym].to_numpy().copy()
        ext = exits[sym].to_numpy().copy()
        bt = Backtest(df, make_strategy(ent, ext), cash=INIT_CASH, commission=FEES,
                      trade_on_close=trade_on_close, exclusive_orders=False)
        st = bt.run()
        strat = st["_strategy"]
        from backtesting._util import _indicator_warmup_nbars
        warm.add(1 + int(_indicator_warmup_nbars(strat)))
        tdf = st["_trades"]
        open_trades = list(strat._broker.trades)
        n_closed += len(tdf)
        n_open += len(open_trades)
        ot = open_trades[0] if open_trades else None
        srows.append([sym, int(st["# Trades"]), st["Equity Final [$]"], st["Return [%]"], len(open_trades),
                      int(ot.size) if ot else 0, int(ot.entry_bar) if ot else -1,
                      float(ot.entry_price) if ot else math.nan])
        ref_trades, ref_eq, ref_open = ref_bt(df, ent, ext, trade_on_close)
        assert len(ref_trades) == len(tdf), (name, sym)
        maxdiff = max(maxdiff, abs(ref_eq - st["Equity Final [$]"]) / ref_eq)
        assert (ref_open[0] or 0) == (int(ot.size) if ot else 0), (name, sym)
        for (_, t), rt in zip(tdf.iterrows(), ref_trades):
            assert int(t["EntryBar"]) == rt["entry_bar"] and int(t["ExitBar"]) == rt["exit_bar"], (name, sym)
            assert int(t["Size"]) == rt["size"], (name, sym, t["Size"], rt["size"])
            for k, rk in (("EntryPrice", "entry_price"), ("ExitPrice", "exit_price"), ("PnL", "pnl")):
                maxdiff = max(maxdiff, abs(t[k] - rt[rk]) / max(1.0, abs(rt[rk])))
            trows.append([sym, int(t["EntryBar"]), int(t["ExitBar"]), float(t["EntryPrice"]),
                          float(t["ExitPrice"]), int(t["Size"]), float(t["PnL"])])
        if ent[-1] or ext[-1]:
            edge[f"{name}_signal_on_last_bar"] = edge.get(f"{name}_signal_on_last_bar", 0) + 1
        if ci < N_VALUE_SYMBOLS:
            for i, x in enumerate(st["_equity_curve"]["Equity"].to_numpy()):
                erows.append([sym, i, float(x)])
    write_csv(os.path.join(outdir, f"{name}_summary.csv"),
              ["symbol", "closed_trades", "equity_final", "return_pct", "open_trades", "open_size",
               "open_entry_bar", "open_entry_price"], srows)
    write_csv(os.path.join(outdir, f"{name}_trades.csv"),
              ["symbol", "entry_bar", "exit_bar", "entry_price", "exit_price", "size", "pnl"], trows)
    write_csv(os.path.join(outdir, f"{name}_equity.csv"), ["symbol", "bar", "equity"], erows)
    assert maxdiff < 1e-12, (name, maxdiff)
    return {"closed": n_closed, "open": n_open, "first_next_bar": sorted(warm),
            "max_rel_diff_vs_reference_model": maxdiff}



# --------------------------------------------------------------------------- edge probes


def edge_probes():
    """Tiny synthetic runs that pin down rules the random data may not exercise."""
    out = {}
    idx = pd.bdate_range(START, periods=8)
    c = pd.Series([10.0, 11.0, 12.0, 11.5, 12.5, 13.0, 12.0, 12.8], index=idx)
    o = c.shift(1).fillna(10.0) * 1.001
    h = np.maximum(o, c) * 1.01
    lo = np.minimum(o, c) * 0.99

    def sig(*bars):
        a = np.zeros(len(c), dtype=bool)
        a[list(bars)] = True
        return pd.Series(a, index=idx)

    def vtr(en, ex, **kw):
        pf = vbt.Portfolio.from_signals(c, en, ex, init_cash=INIT_CASH, fees=FEES, freq="1D", **kw)
        return [(int(t["entry_idx"]), int(t["exit_idx"]), "closed" if t["status"] == 1 else "open")
                for t in pf.trades.values]

    out["vbt_entry_on_last_bar"] = vtr(sig(7), sig())
    out["vbt_entry_and_exit_same_bar_when_flat"] = vtr(sig(2), sig(2))
    out["vbt_entry_and_exit_same_bar_when_long"] = vtr(sig(1, 3), sig(3, 5))
    out["vbt_exit_while_flat_then_entry"] = vtr(sig(3), sig(1))
    out["vbt_second_entry_while_long_ignored"] = vtr(sig(1, 2), sig(4))
    # stop fires on bar 3 (close 11.5 < 12*0.95? no) -> use a tight stop so bar 3 hits
    out["vbt_stop_bar_with_entry_signal"] = vtr(sig(2, 3), sig(), open=o, high=h, low=lo, sl_stop=0.02)
    out["vbt_stop_without_ohlc_checks_close_only"] = vtr(sig(2), sig(), sl_stop=0.05)
    out["vbt_stop_without_ohlc_exit_price"] = float(vbt.Portfolio.from_signals(
        c, sig(2), sig(), init_cash=INIT_CASH, fees=FEES, freq="1D", sl_stop=0.03).trades.values["exit_price"][0])

    df = pd.DataFrame({"Open": o, "High": h, "Low": lo, "Close": c, "Volume": 1000})

    def btr(en, ex, toc, sma=False):
        base = make_strategy(en.to_numpy(), ex.to_numpy())
        if sma:
            class S(base):
                def init(self):
                    super().init()
                    self.sma = self.I(lambda x: pd.Series(x).rolling(3).mean().to_numpy(), self.data.Close)
            strat = S
        else:
            strat = base
        st = Backtest(df, strat, cash=INIT_CASH, commission=FEES, trade_on_close=toc).run()
        from backtesting._util import _indicator_warmup_nbars
        closed = [(int(t.EntryBar), int(t.ExitBar), "closed") for t in st["_trades"].itertuples()]
        opened = [(int(t.entry_bar), None, "open") for t in st["_strategy"]._broker.trades]
        return {"trades": closed + opened, "first_next_bar": 1 + int(_indicator_warmup_nbars(st["_strategy"]))}

    for toc in (False, True):
        k = "close" if toc else "next_open"
        out[f"bt_{k}_entry_on_last_bar"] = btr(sig(7), sig(), toc)
        out[f"bt_{k}_entry_on_second_last_bar"] = btr(sig(6), sig(), toc)
        out[f"bt_{k}_exit_on_last_bar"] = btr(sig(2), sig(7), toc)
        out[f"bt_{k}_entry_on_bar0_never_seen"] = btr(sig(0), sig(), toc)
        out[f"bt_{k}_with_sma3_indicator_too"] = btr(sig(1, 3), sig(), toc, sma=True)
    return out


# --------------------------------------------------------------------------- main


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Fixtures",
                                                  "golden", "sim"))
    args = ap.parse_args()
    outdir = os.path.abspath(args.out)
    os.makedirs(outdir, exist_ok=True)

    dates, gen_frames, mus, sigmas = make_prices()
    syms = list(gen_frames)
    rows = []
    for sym in syms:
        f = gen_frames[sym]
        for d, (op, hi, lo, cl, vo) in zip(dates, f[["Open", "High", "Low", "Close", "Volume"]].itertuples(index=False)):
            rows.append([sym, d.strftime("%Y-%m-%d"), float(op), float(hi), float(lo), float(cl), int(vo)])
    write_csv(os.path.join(outdir, "prices.csv"), ["symbol", "date", "open", "high", "low", "close", "volume"], rows)

    frames = read_back_prices(os.path.join(outdir, "prices.csv"))
    for sym in syms:
        assert np.array_equal(frames[sym].to_numpy(), gen_frames[sym].to_numpy()), sym  # repr round-trips
    close = pd.DataFrame({s: frames[s]["Close"] for s in syms})
    open_ = pd.DataFrame({s: frames[s]["Open"] for s in syms})
    high = pd.DataFrame({s: frames[s]["High"] for s in syms})
    low = pd.DataFrame({s: frames[s]["Low"] for s in syms})

    # ---- signals
    fast = vbt.MA.run(close, FAST, short_name="fast").ma
    slow = vbt.MA.run(close, SLOW, short_name="slow").ma
    fast.columns = slow.columns = close.columns
    entries = fast.vbt.crossed_above(slow)
    exits = fast.vbt.crossed_below(slow)
    # the signals do not depend on how the SMA is summed: compare with pandas and a direct sum
    edge = {"stop_and_exit_signal_same_bar": 0, "stop_and_entry_signal_same_bar": 0, "mdd_init_cash_matters": 0}
    for alt_fast, alt_slow, label in (
        (close.rolling(FAST).mean(), close.rolling(SLOW).mean(), "pandas_rolling"),
        (close.rolling(FAST).apply(lambda a: sum(a) / len(a), raw=True),
         close.rolling(SLOW).apply(lambda a: sum(a) / len(a), raw=True), "direct_sum"),
    ):
        assert alt_fast.vbt.crossed_above(alt_slow).equals(entries), label
        assert alt_fast.vbt.crossed_below(alt_slow).equals(exits), label
    # backtesting.py's crossover (a[i-1] < b[i-1] and a[i] > b[i]) agrees here
    bt_like = (fast.shift(1) < slow.shift(1)) & (fast > slow)
    edge["bt_crossover_equals_vbt"] = bool(bt_like.equals(entries))
    gap = ((fast - slow).abs() / slow).to_numpy()
    edge["min_rel_gap_fast_slow"] = float(np.nanmin(gap))
    edge["exact_ties_fast_eq_slow"] = int(np.sum(fast.to_numpy() == slow.to_numpy()))
    edge["first_bar_with_slow_sma"] = int(np.argmax(~np.isnan(slow.iloc[:, 0].to_numpy())))
    edge["first_signal_bar"] = int(min(np.argmax((entries | exits)[s].to_numpy()) for s in syms))
    edge["entries_total"] = int(entries.to_numpy().sum())
    edge["exits_total"] = int(exits.to_numpy().sum())
    edge["entry_and_exit_same_bar"] = int((entries & exits).to_numpy().sum())
    edge["signals_on_last_bar"] = int((entries | exits).iloc[-1].sum())

    srows = []
    for ci, sym in enumerate(syms):
        e, x = entries[sym].to_numpy(), exits[sym].to_numpy()
        for i in np.nonzero(e | x)[0]:
            srows.append([sym, int(i), int(e[i]), int(x[i])])
    write_csv(os.path.join(outdir, "signals.csv"), ["symbol", "bar", "entry", "exit"], srows)

    results = {}
    results["vbt_default"] = vbt_case("vbt_default", outdir, syms, close, entries, exits, {}, {}, edge)
    results["vbt_stops"] = vbt_case("vbt_stops", outdir, syms, close, entries, exits,
                                    {"open": open_, "high": high, "low": low},
                                    {"sl_stop": SL, "tp_stop": TP}, edge)
    results["vbt_trail"] = vbt_case("vbt_trail", outdir, syms, close, entries, exits,
                                    {"open": open_, "high": high, "low": low},
                                    {"sl_stop": TRAIL_SL, "sl_trail": True}, edge)
    results["bt_next_open"] = bt_case("bt_next_open", outdir, syms, frames, entries, exits, False, edge)
    results["bt_close"] = bt_case("bt_close", outdir, syms, frames, entries, exits, True, edge)

    meta = {
        "versions": {p: metadata.version(p) for p in ("vectorbt", "backtesting", "numpy", "pandas", "numba")},
        "python": sys.version.split()[0],
        "seed": SEED,
        "symbols": N_SYMBOLS,
        "bars": N_BARS,
        "start": START,
        "gbm": {"dt": "1/252", "mu_annual": [float(m) for m in mus], "sigma_annual": [float(s) for s in sigmas]},
        "sma": [FAST, SLOW],
        "init_cash": INIT_CASH,
        "fees": FEES,
        "stops": {"sl_stop": SL, "tp_stop": TP, "trail_sl_stop": TRAIL_SL},
        "edge_counts": edge,
        "results": results,
        "probes": edge_probes(),
    }
    with open(os.path.join(outdir, "meta.json"), "w") as f:
        json.dump(meta, f, indent=1, sort_keys=True)
        f.write("\n")
    print(json.dumps({"edge_counts": edge, "results": results, "probes": meta["probes"]}, indent=1))


if __name__ == "__main__":
    main()
