-- The ACME desk's trend strategy: buy momentum that is not yet stretched.
local momentum = require "acme.momentum"
local bands = require "acme.bands"

return strategy {
  name = "acme_trend",
  description = "Buy when 10-bar momentum turns up while the price is under 2 deviations above its mean; sell when momentum turns negative.",
  params = {
    lookback = 10,   -- 2..60 bars of momentum
    window = 20,     -- 5..100 bars in the z-score window
    stretch = 2,     -- 0.5..4 largest z-score at entry
  },
  signals = function(bars, p)
    local roc = momentum.roc(bars.close, p.lookback)
    local z = bands.zscore(bars.close, p.window)
    return {
      entries = momentum.turning_up(bars.close, p.lookback) & z:lt(p.stretch),
      exits = roc:lt(0),
    }
  end,
}
