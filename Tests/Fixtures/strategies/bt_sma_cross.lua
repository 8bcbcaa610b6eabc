-- backtesting.py's canonical SmaCross, as Lunar settings: always in the market after the first
-- cross (a cross up buys, a cross down sells short, each reversing the position), orders fill at
-- the next bar's open in whole units, 0.2 % commission on both sides, 10 000 of cash.
-- Checked against backtesting.py 0.6.6 by Tests/LunarTests/BacktestingRealDataTests.swift.
local ta = require "ta"

return strategy {
  name = "bt_sma_cross",
  description = "SMA 10/20 cross, stop and reverse (backtesting.py's SmaCross with exclusive_orders=True).",
  params = {
    fast = 10,   -- bars in the fast average
    slow = 20,   -- bars in the slow average
  },
  capital = 10000,
  fees = 0.002,
  fill = "next_open",
  integer = true,
  reverse = true,
  signals = function(bars, p)
    local fast, slow = ta.sma(bars.close, p.fast), ta.sma(bars.close, p.slow)
    return { entries = ta.crossover(fast, slow), short_entries = ta.crossunder(fast, slow) }
  end,
}
