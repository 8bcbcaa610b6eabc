-- W8: W1's daily SMA cross, entries only while the weekly close is above its 10-week SMA.
-- The weekly nodes run on the weekly calendar (about a fifth of the bars) and reach the
-- daily bars through one gather: the target is W8 ≤ 1.3× W1 in the same run.
local ta = require "ta"

return strategy {
  name = "w8_weekly_trend",
  params = { fast = 10, slow = 50, trend = 10 },
  signals = function(bars, p)
    local weekly = bars:timeframe("1W")
    local uptrend = weekly.close:gt(ta.sma(weekly.close, p.trend))
    local fast, slow = ta.sma(bars.close, p.fast), ta.sma(bars.close, p.slow)
    return { entries = ta.crossover(fast, slow) & uptrend, exits = ta.crossunder(fast, slow) }
  end,
}
