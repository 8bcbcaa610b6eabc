-- Mean reversion on Wilder's RSI (TA-Lib's definition).
local ta = require "ta"

return strategy {
  name = "rsi_reversion",
  description = "Buy when RSI falls below the oversold level; sell when it rises back above the exit level.",
  params = {
    period = 14,     -- RSI look-back in bars
    oversold = 30,   -- enter when RSI crosses below this
    exit = 55,       -- leave when RSI crosses above this
  },
  signals = function(bars, p)
    local rsi = ta.rsi(bars.close, p.period)
    return { entries = ta.crossunder(rsi, p.oversold), exits = ta.crossover(rsi, p.exit) }
  end,
}
