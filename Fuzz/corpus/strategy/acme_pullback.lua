-- A project strategy built on the ACME library (resolved through ../lunar.toml).
local momentum = require "acme.momentum"
local bands = require "acme.bands"

return strategy {
  name = "acme_pullback",
  description = "Buy a pullback (z-score below -1) while 20-bar momentum is positive; sell when the price is back above its mean.",
  params = {
    momentum = 20,   -- 5..100 bars of momentum
    window = 10,     -- 5..50 bars in the z-score window
  },
  signals = function(bars, p)
    local z = bands.zscore(bars.close, p.window)
    return {
      entries = momentum.roc(bars.close, p.momentum):gt(0) & z:lt(-1),
      exits = z:gt(0),
    }
  end,
}
