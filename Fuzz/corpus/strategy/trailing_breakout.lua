-- Hybrid: vectorized channel indicators, a per-bar decision with a trailing stop that remembers its peak.
local ta = require "ta"

return strategy {
  name = "trailing_breakout",
  description = "Buy a close above the prior N-bar high; exit when the close falls a fraction below its peak since entry.",
  params = {
    lookback = 20,   -- breakout channel length in bars
    trail = 0.08,    -- exit this fraction below the highest close since entry
  },
  indicators = function(bars, p)
    return { hi = ta.highest(bars.high, p.lookback) }
  end,
  on_bar = function(ctx, p)
    local s = ctx.state
    if ctx.position == 0 then
      if ctx.close > ctx.past.hi[1] then     -- the prior bars' high: no look-ahead
        ctx:buy()
        s.peak = ctx.close
      end
    else
      s.peak = math.max(s.peak, ctx.close)
      if ctx.close < s.peak * (1 - p.trail) then ctx:sell() end
    end
  end,
}
