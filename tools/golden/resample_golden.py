"""Golden files for Lunar's timeframes: pandas' resample, then merge_asof on each coarser bar's
completion time, the reference for `bars:timeframe(tf)` and its alignment (issue 16).

Cases (inputs are read from, or written to, --out):
  synthetic: a seeded daily universe written here (business days with calendar-wide holidays,
             a symbol listed late, one with holes, a month whose last trading day is the 28th,
             data ending mid-week) -> 1W, 1M
  goog:      backtesting.py's GOOG.csv (daily) -> 1W, 1M
  eurusd:    backtesting.py's EURUSD.csv (hourly, UTC), days in America/New_York -> 1D, 4h

A period is a calendar week (Monday-Sunday), month or local day that holds at least one bar of
the calendar (the union of every symbol's dates). It is complete at the calendar's last bar in
it; the data's last period only when no trading time is left in it after the data end. At a bar
the aligned value is that of the last period complete at or before it: merge_asof(direction=
"backward") on completion times. Aggregates: open first, high max, low min, close last, volume
sum, NaN skipped (sum of nothing is NaN: min_count=1).
"""
import argparse, os
import numpy as np
import pandas as pd

FIELDS = ["open", "high", "low", "close", "volume"]
AGG = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
RULE = {"1W": "W-MON", "1M": "MS", "1D": "D", "4h": "4h"}


def synthetic():
    rng = np.random.default_rng(16)
    days = pd.bdate_range("2024-01-02", "2024-12-18")          # ends on a Wednesday
    holidays = pd.to_datetime(["2024-01-15", "2024-03-29", "2024-05-27", "2024-07-04", "2024-09-02",
                               "2024-11-28", "2024-07-01", "2024-07-02", "2024-07-03", "2024-07-05"])
    days = days[~days.isin(holidays)]                           # 1-5 July 2024: a week without one trading day
    # June 2024's last trading day is the 28th (a Friday); a whole week off stays absent.
    rows = []
    for k, sym in enumerate(["AAA", "BBB", "CCC", "DDD"]):
        px = 50 + 20 * k
        for i, d in enumerate(days):
            px *= 1 + 0.015 * rng.standard_normal()
            if sym == "CCC" and i < 40:
                continue                                       # listed late
            if sym == "DDD" and rng.random() < 0.08:
                continue                                       # holes, some on a week's last day
            o = px * (1 + 0.004 * rng.standard_normal())
            rows.append((d, sym, round(o, 4), round(max(o, px) * 1.01, 4), round(min(o, px) * 0.99, 4),
                         round(px, 4), float(rng.integers(100, 10_000))))
    df = pd.DataFrame(rows, columns=["date", "symbol"] + FIELDS)
    return df


def read_bt(path):
    raw = pd.read_csv(path, index_col=0, parse_dates=True)
    raw.columns = [c.lower() for c in raw.columns]
    raw = raw.reset_index().rename(columns={raw.index.name or "index": "date"})
    raw = raw.rename(columns={raw.columns[0]: "date"})
    raw["symbol"] = os.path.splitext(os.path.basename(path))[0]
    return raw[["date", "symbol"] + FIELDS]


def label(wall, tf):
    """The resample bin (period) a wall-clock time falls in."""
    return pd.Series([0], index=pd.DatetimeIndex([wall])).resample(RULE[tf], closed="left", label="left").sum().index[0]


def completion(cal, tf, daily):
    """Per period with calendar bars: its label and the UTC instant of its last bar; and
    whether the data's last period is complete (no trading time left in it)."""
    done_at = cal.set_index("wall")["utc"].resample(RULE[tf], closed="left", label="left").max().dropna()
    end = cal["wall"].iloc[-1]
    nxt = pd.bdate_range(end + pd.Timedelta(days=1), periods=1)[0] if daily else end + cal["wall"].diff().median()
    return done_at, label(nxt, tf) != label(end, tf)


def case(name, df, tfs, tz, out, daily):
    df = df.sort_values(["symbol", "date"]).reset_index(drop=True)
    utc = pd.DatetimeIndex(df["date"])
    # Periods follow the exchange's wall clock (local time without the offset), as Lunar's do.
    df["wall"] = utc.tz_localize("UTC").tz_convert(tz).tz_localize(None) if tz else utc
    df["utc"] = utc
    cal = df[["utc", "wall"]].drop_duplicates("utc").sort_values("utc").reset_index(drop=True)
    fmt = "%Y-%m-%d" if daily else "%Y-%m-%d %H:%M:%S"
    if name == "synthetic":   # the others are read from btreal/ as committed
        df[["symbol", "date"] + FIELDS].to_csv(os.path.join(out, f"{name}_input.csv"), index=False, date_format=fmt)
    aligned = []
    for tf in tfs:
        done_at, last_complete = completion(cal, tf, daily)
        if not last_complete:
            done_at = done_at.iloc[:-1]                          # still forming when the data stop
        periods = []
        for sym, g in df.groupby("symbol"):
            agg = g.set_index("wall")[FIELDS].resample(RULE[tf], closed="left", label="left").agg(
                {f: (lambda x: x.sum(min_count=1)) if AGG[f] == "sum" else AGG[f] for f in FIELDS})
            agg = agg.reindex(done_at.index)                    # the calendar's periods only
            agg["completed_at"] = done_at.values
            agg["symbol"] = sym
            periods.append(agg.reset_index(names="period"))
            merged = pd.merge_asof(g[["utc"]].sort_values("utc"), agg.sort_values("completed_at"),
                                   left_on="utc", right_on="completed_at", direction="backward")
            merged["symbol"], merged["tf"] = sym, tf
            aligned.append(merged[["tf", "symbol", "utc"] + FIELDS])
        p = pd.concat(periods)
        p["period"] = p["period"].dt.strftime("%Y-%m-%d %H:%M")
        p["completed_at"] = p["completed_at"].dt.strftime("%Y-%m-%d %H:%M:%S")
        p[["symbol", "period", "completed_at"] + FIELDS].to_csv(
            os.path.join(out, f"{name}_{tf}_periods.csv"), index=False, na_rep="nan")
    a = pd.concat(aligned)
    a["utc"] = a["utc"].dt.strftime("%Y-%m-%d %H:%M:%S")
    a.to_csv(os.path.join(out, f"{name}_aligned.csv"), index=False, na_rep="nan")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bt", required=True, help="folder with backtesting.py's GOOG.csv and EURUSD.csv")
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    case("synthetic", synthetic(), ["1W", "1M"], None, a.out, daily=True)
    case("goog", read_bt(os.path.join(a.bt, "GOOG.csv")), ["1W", "1M"], None, a.out, daily=True)
    case("eurusd", read_bt(os.path.join(a.bt, "EURUSD.csv")), ["1D", "4h"], "America/New_York", a.out, daily=False)
    with open(os.path.join(a.out, "versions.csv"), "w") as f:
        f.write("package,version\n")
        f.write(f"pandas,{pd.__version__}\nnumpy,{np.__version__}\n")


if __name__ == "__main__":
    main()
