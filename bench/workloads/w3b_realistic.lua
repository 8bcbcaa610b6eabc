-- W3b (lunar bench): a realistic per-bar strategy — it reads two indicators, keeps the previous
-- values in ctx.state (two writes per bar), calls a small local helper, and reads ctx.past once
-- per symbol. Its plain-Lua floor is w3b_floor.lua. Not a trading idea.
local ta = require "ta"

local function crossed(a_before, b_before, a, b)
  return a_before <= b_before and a > b
end

return strategy {
  name = "w3b_realistic",
  params = { fast = 10, slow = 30 },
  indicators = function(bars, p)
    return { fast = ta.sma(bars.close, p.fast), slow = ta.sma(bars.close, p.slow) }
  end,
  on_bar = function(ctx, p)
    local s = ctx.state
    if s.fast == nil then s.start = ctx.past.close[1] end   -- once per symbol (NaN on its first bar)
    local fast, slow = ctx.fast, ctx.slow
    if s.fast ~= nil then
      if ctx.position == 0 and crossed(s.fast, s.slow, fast, slow) then ctx:buy()
      elseif ctx.position > 0 and crossed(s.slow, s.fast, slow, fast) then ctx:sell() end
    end
    s.fast, s.slow = fast, slow
  end,
}
