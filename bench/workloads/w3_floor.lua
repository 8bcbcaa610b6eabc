-- W3's floor: strategies/trailing_breakout.lua's decisions (lookback 20, trail 0.08) as a plain
-- Lua loop over arrays, setting four fields of one reused table per bar. Returns its entries.
return function(n, close, hi)
  local ctx, trail = {}, 0.08
  local position, peak, trades = 0, 0, 0
  for t = 1, n do
    ctx.close, ctx.hi, ctx.position, ctx.t = close[t], hi[t], position, t
    if position == 0 then
      if t > 1 and ctx.close > hi[t - 1] then position = 1; peak = ctx.close; trades = trades + 1 end
    else
      peak = math.max(peak, ctx.close)
      if ctx.close < peak * (1 - trail) then position = 0 end
    end
  end
  return trades
end
