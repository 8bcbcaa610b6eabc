-- Long while the fast simple moving average is above the slow one.
local ta = require "ta"

return strategy {
  name = "sma_cross",
  description = "Buy when the fast SMA crosses above the slow SMA; sell when it crosses back below.",
  params = {
    fast = 10,   -- bars in the fast average
    slow = 50,   -- bars in the slow average
  },
  signals = function(bars, p)
    local fast, slow = ta.sma(bars.close, p.fast), ta.sma(bars.close, p.slow)
    return { entries = ta.crossover(fast, slow), exits = ta.crossunder(fast, slow) }
  end,
}
