-- Trend following: buy a breakout above the recent high, sell a breakdown below the recent low.
local ta = require "ta"

return strategy {
  name = "donchian_breakout",
  description = "Buy when the close breaks above the prior N-bar high; sell below the prior M-bar low.",
  params = {
    entry = 55,   -- breakout channel length in bars
    exit = 20,    -- exit channel length in bars
  },
  signals = function(bars, p)
    local upper = ta.shift(ta.highest(bars.high, p.entry), 1)   -- the prior bars only: no look-ahead
    local lower = ta.shift(ta.lowest(bars.low, p.exit), 1)
    return { entries = bars.close:gt(upper), exits = bars.close:lt(lower) }
  end,
}
