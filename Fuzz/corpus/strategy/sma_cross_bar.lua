-- sma_cross written bar by bar: the same trades as the vectorized strategies/sma_cross.lua.
local ta = require "ta"

return strategy {
  name = "sma_cross_bar",
  description = "The fast/slow SMA crossover, decided in on_bar (vectorbt's crossing rule, kept in ctx.state).",
  params = {
    fast = 10,   -- bars in the fast average
    slow = 50,   -- bars in the slow average
  },
  indicators = function(bars, p)
    return { fast = ta.sma(bars.close, p.fast), slow = ta.sma(bars.close, p.slow) }
  end,
  on_bar = function(ctx, p)
    local s, f, l = ctx.state, ctx.fast, ctx.slow
    if f ~= f or l ~= l then            -- NaN: the averages are warming up; the crossing state resets
      s.below, s.above, s.was_above, s.prev = false, false, false, nil
      return
    end
    -- crossover: f > l on the first bar after f <= l, once f < l has been seen (likewise crossunder)
    local up = f > l and s.below and s.prev ~= "above"
    local down = f < l and s.above and s.prev ~= "below"
    if f < l then s.below = true elseif f > l then s.above = true end
    s.prev = (f > l) and "above" or ((f < l) and "below" or "equal")
    if up and ctx.position == 0 then ctx:buy()
    elseif down and ctx.position > 0 then ctx:sell() end
  end,
}
