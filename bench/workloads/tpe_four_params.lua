-- The TPE benchmark's four-parameter strategy: an SMA cross filtered by a weekly trend and an
-- RSI ceiling. Used by `lunar bench --workloads TPE`; not a trading idea.
local ta = require "ta"

return strategy {
  name = "tpe_four_params",
  params = { fast = 10, slow = 50, trend = 10, ceiling = 70 },
  signals = function(bars, p)
    local weekly = bars:timeframe("1W")
    local uptrend = weekly.close:gt(ta.sma(weekly.close, p.trend))
    local fast, slow = ta.sma(bars.close, p.fast), ta.sma(bars.close, p.slow)
    local calm = ta.rsi(bars.close, 14):lt(p.ceiling)
    return { entries = ta.crossover(fast, slow) & uptrend & calm, exits = ta.crossunder(fast, slow) }
  end,
}
