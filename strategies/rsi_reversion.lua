-- Mean reversion on a Wilder-style momentum oscillator built from primitives.
local ta = require "ta"

return strategy {
  name = "rsi_reversion",
  description = "Buy when RSI falls below the oversold level; sell when it rises above the exit level.",
  params = {
    period = 14,     -- RSI look-back in bars
    oversold = 30,   -- enter below this RSI
    exit = 55,       -- leave above this RSI
  },
  signals = function(bars, p)
    -- RSI from average gains and losses (an EMA of each; TA-Lib's Wilder RSI arrives with ta.rsi).
    local change = ta.diff(bars.close, 1)
    local gain = ta.max(change, 0)
    local loss = ta.max(-change, 0)
    local n = 2 * p.period - 1                      -- EMA with alpha 1/period, i.e. Wilder's smoothing
    local ag, al = ta.ema(gain, n), ta.ema(loss, n)
    local rsi = 100 * ag / (ag + al)
    return { entries = ta.crossunder(rsi, p.oversold), exits = ta.crossover(rsi, p.exit) }
  end,
}
