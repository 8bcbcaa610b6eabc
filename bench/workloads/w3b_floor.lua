-- W3b's floor: w3b_realistic.lua's decisions as a plain Lua loop over arrays, setting four
-- fields of one reused table per bar (as an engine must). Returns the entries it made, which
-- `lunar bench` checks against the per-bar run's trades.
return function(n, close, fast, slow)
  local ctx = {}
  local function crossed(a_before, b_before, a, b) return a_before <= b_before and a > b end
  local position, trades, fast_before, slow_before = 0, 0, nil, nil
  for t = 1, n do
    ctx.close, ctx.fast, ctx.slow, ctx.position = close[t], fast[t], slow[t], position
    local f, s = ctx.fast, ctx.slow
    if fast_before ~= nil then
      if position == 0 and crossed(fast_before, slow_before, f, s) then position = 1; trades = trades + 1
      elseif position > 0 and crossed(slow_before, fast_before, s, f) then position = 0 end
    end
    fast_before, slow_before = f, s
  end
  return trades
end
