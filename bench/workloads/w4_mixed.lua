-- W4: a 30-node graph mixing rolling, recursive and elementwise nodes, with one rank.
-- Used by `lunar bench`; not a trading idea.
local ta = require "ta"

return strategy {
  name = "w4_mixed",
  description = "Benchmark graph: momentum ranked across symbols, filtered by trend and volatility.",
  params = { fast = 10, slow = 50, vol = 20 },
  signals = function(bars, p)
    local c = bars.close
    local fast, slow = ta.ema(c, p.fast), ta.sma(c, p.slow)
    local trend = (fast - slow) / slow
    local ret = ta.diff(c, 1) / ta.shift(c, 1)
    local vol = ta.stdev(ret, p.vol)
    local mom = ta.sma(ret, p.vol) / vol
    local r = ta.rank(mom)
    local range = (ta.highest(bars.high, p.vol) - ta.lowest(bars.low, p.vol)) / c
    local quiet = range:lt(ta.sma(range, p.slow))
    local up = trend:gt(0) & quiet
    return {
      entries = r:gt(0.8) & up,
      exits = r:lt(0.5) | ta.crossunder(fast, slow),
    }
  end,
}
