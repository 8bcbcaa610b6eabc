"""W3 with nautilus_trader's BacktestEngine: the trailing-stop breakout of strategies/trailing_breakout.lua.

The same decisions as w3_perbar.py (and Lunar): enter when the close is above the highest high
of the 20 PRIOR bars; then track the peak close since entry and exit when the close falls below
peak * (1 - 0.08). All-in, filled at the signal bar's close, fees 0.001 of traded value.

nautilus_trader specifics (low-level API, one BacktestEngine per symbol, single-threaded):
  - venue SIM: OmsType.NETTING, AccountType.CASH, 100000 USD, bar_execution=True (the default),
    no latency model, the default FillModel (no slippage) and MakerTakerFeeModel (the
    instrument's taker_fee = 0.001 for market orders).
  - instrument: an Equity S0000.SIM (whole units, like backtesting.py; size
    floor(cash / (close * 1.001))), price precision 15 (the wheel's 128-bit fixed point allows
    16): the CSV doubles come back from Price.as_double() within ~1e-15 relative.
  - bars: <sym>.SIM-1-DAY-LAST-EXTERNAL, one per CSV row, ts_event = ts_init = the date.
  - fills: in BacktestEngine's loop the exchange processes a bar (its matching engine walks
    open, high, low, close, so the L1 book ends at the close), then the strategy's on_bar runs,
    then the exchange drains its message queue at the same timestamp: a market order submitted
    in on_bar fills at that bar's close, Lunar's `--fill close`. bar_adaptive_high_low_ordering
    only matters for resting orders (stops/limits), which this strategy does not use.
  - the prior-20-bar high: nautilus's DonchianChannel(20) (its upper band is the max high of the
    last 20 bars including the current one), registered for the bars so it is updated before
    on_bar; the strategy compares with the upper band as it was after the PREVIOUS bar.
  - logging bypassed; no data or execution clients (nothing connects anywhere).

Usage: python w3_nautilus.py CSV_DIR SYMBOLS [RUNS]
Prints one JSON line like w3_perbar.py: the median time of a pass over the first SYMBOLS
symbols (after a warm-up on the first symbol). Two timings per pass:
  run_s:   BacktestEngine.run() only (the per-bar loop, fills, the end-of-run analysis) -> bars_per_s
  whole_s: per symbol, everything after the Bar objects exist: engine construction, venue,
           instrument, data, strategy, run(), reading the round trips, dispose -> bars_per_s_whole
CSV parsing and building the Bar objects are outside both (reported as prep_s).
Closed positions (PositionClosed events: round trips) per symbol, and every symbol's
(entry bar, exit bar) indices, 0-based like Lunar's trades.csv, for the cross-check.
"""
import json
import math
import resource
import statistics
import sys
import time
import warnings
from decimal import Decimal

import numpy as np

from peer_data import read_symbols

import nautilus_trader
from nautilus_trader.backtest.engine import BacktestEngine, BacktestEngineConfig
from nautilus_trader.config import LoggingConfig, StrategyConfig
from nautilus_trader.indicators import DonchianChannel
from nautilus_trader.model.currencies import USD
from nautilus_trader.model.data import Bar, BarType
from nautilus_trader.model.enums import AccountType, OmsType, OrderSide
from nautilus_trader.model.identifiers import InstrumentId, Symbol, TraderId, Venue
from nautilus_trader.model.instruments import Equity
from nautilus_trader.model.objects import Money, Price, Quantity
from nautilus_trader.trading.strategy import Strategy

LOOKBACK = 20
TRAIL = 0.08
FEES = 0.001
CASH = 100_000.0
PREC = 15
VENUE = Venue("SIM")


class TrailingBreakoutConfig(StrategyConfig, frozen=True):
    instrument_id: InstrumentId
    bar_type: BarType
    lookback: int = LOOKBACK
    trail: float = TRAIL


class TrailingBreakout(Strategy):
    def __init__(self, config: TrailingBreakoutConfig):
        super().__init__(config)
        self.iid = config.instrument_id
        self.bar_type = config.bar_type
        self.trail = config.trail
        self.dc = DonchianChannel(config.lookback)
        self.hi_prev = math.nan   # DonchianChannel's upper band after the previous bar
        self.peak = 0.0
        self.rejected = 0
        self.closed = []   # (ts_opened, ts_closed) per PositionClosed event

    def on_start(self):
        self.instrument = self.cache.instrument(self.iid)
        self.account = self.portfolio.account(VENUE)
        self.register_indicator_for_bars(self.bar_type, self.dc)
        self.subscribe_bars(self.bar_type)

    def on_bar(self, bar: Bar):
        c = bar.close.as_double()
        if self.portfolio.is_flat(self.iid):
            if c > self.hi_prev:   # False while hi_prev is NaN (fewer than 20 prior bars)
                cash = self.account.balance_free(USD).as_double()
                units = math.floor(cash / (c * (1 + FEES)))
                if units > 0:
                    self.submit_order(self.order_factory.market(self.iid, OrderSide.BUY, Quantity(units, 0)))
                    self.peak = c
        else:
            self.peak = max(self.peak, c)
            if c < self.peak * (1 - self.trail):
                self.close_all_positions(self.iid)
        if self.dc.initialized:
            self.hi_prev = self.dc.upper

    def on_order_rejected(self, event):
        self.rejected += 1

    def on_order_denied(self, event):
        self.rejected += 1

    def on_position_closed(self, event):
        self.closed.append((event.ts_opened, event.ts_closed))


def make_instrument(sym):
    return Equity(
        instrument_id=InstrumentId(Symbol(sym), VENUE),
        raw_symbol=Symbol(sym),
        currency=USD,
        price_precision=PREC,
        price_increment=Price(10.0 ** -PREC, PREC),
        lot_size=Quantity.from_int(1),
        taker_fee=Decimal(str(FEES)),
        maker_fee=Decimal(str(FEES)),
        ts_event=0,
        ts_init=0,
    )


def make_bars(sym, df):
    bar_type = BarType.from_str(f"{sym}.SIM-1-DAY-LAST-EXTERNAL")
    ts = df.index.values.astype("datetime64[ns]").astype(np.int64)
    o, h, l, c = (df[k].to_numpy(dtype=float) for k in ("open", "high", "low", "close"))
    v = df["volume"].to_numpy(dtype=float) if "volume" in df else np.zeros(len(df))
    bars = [Bar(bar_type, Price(o[i], PREC), Price(h[i], PREC), Price(l[i], PREC), Price(c[i], PREC),
                Quantity(max(v[i], 0.0), 0), int(ts[i]), int(ts[i])) for i in range(len(df))]
    return bar_type, bars, {int(t): i for i, t in enumerate(ts)}


def run_one(sym, bar_type, bars, index):
    """One symbol's backtest. Returns ((entry_bar, exit_bar) per closed position, run() seconds, rejected)."""
    engine = BacktestEngine(BacktestEngineConfig(
        trader_id=TraderId("BENCH-001"),
        logging=LoggingConfig(bypass_logging=True),
    ))
    engine.add_venue(
        venue=VENUE,
        oms_type=OmsType.NETTING,
        account_type=AccountType.CASH,
        starting_balances=[Money(CASH, USD)],
        base_currency=USD,
        bar_execution=True,
    )
    instrument = make_instrument(sym)
    engine.add_instrument(instrument)
    engine.add_data(bars)
    strategy = TrailingBreakout(TrailingBreakoutConfig(instrument_id=instrument.id, bar_type=bar_type))
    engine.add_strategy(strategy)
    t0 = time.perf_counter()
    engine.run()
    run_s = time.perf_counter() - t0
    # NETTING reuses one position id per instrument, so the cache holds one position that is
    # reopened after each close; a round trip is one PositionClosed event.
    closed = [(index[a], index[b]) for a, b in strategy.closed]
    rejected = strategy.rejected
    engine.dispose()
    return closed, run_s, rejected


def main():
    folder, n = sys.argv[1], int(sys.argv[2])
    runs = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    warnings.filterwarnings("ignore")
    p0 = time.perf_counter()
    data = [(sym,) + make_bars(sym, df) for sym, df in read_symbols(folder, n)]
    prep = time.perf_counter() - p0
    run_one(*data[0])   # warm-up: imports, first-call costs
    walls, cpus, run_ss, trades, rejected = [], [], [], None, 0
    for _ in range(runs):
        w0, c0 = time.perf_counter(), time.process_time()
        results = [run_one(*d) for d in data]
        walls.append(time.perf_counter() - w0)
        cpus.append(time.process_time() - c0)
        run_ss.append(sum(r[1] for r in results))
        trades = [r[0] for r in results]
        rejected = sum(r[2] for r in results)
    nbars = sum(len(d[2]) for d in data)
    wall, cpu, run_s = statistics.median(walls), statistics.median(cpus), statistics.median(run_ss)
    print(json.dumps({
        "peer": "nautilus_trader " + nautilus_trader.__version__, "symbols": len(data), "bars": nbars,
        "runs": runs, "run_s": run_s, "whole_s": wall, "cpu_s": cpu, "prep_s": prep,
        "bars_per_s": nbars / run_s, "bars_per_s_whole": nbars / wall, "bars_per_s_cpu": nbars / cpu,
        "run_s_all": run_ss, "whole_s_all": walls,
        "rejected_orders": rejected,
        "trades_per_symbol": {d[0]: len(t) for d, t in zip(data, trades)},
        "first_symbol_trades": trades[0],
        "trades": {d[0]: t for d, t in zip(data, trades)},
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


if __name__ == "__main__":
    main()
