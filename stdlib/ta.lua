-- ta: technical-analysis primitives for strategies.
--
-- Every function of the engine's registry is native (see `lunar list indicators` and
-- docs/indicators.md); series arguments come first, then numeric parameters, e.g.
-- ta.sma(bars.close, 20). This module adds helpers composed from them; they need no kernel.

local ta = _LUNAR.ta

--- cross(a, b): true on a bar where a crosses b in either direction.
function ta.cross(a, b)
  return ta.crossover(a, b) | ta.crossunder(a, b)
end

--- above(a, b, n): true when a has been above b for the last n bars (n defaults to 1).
function ta.above(a, b, n)
  n = n or 1
  local cond = a:gt(b)
  for k = 1, n - 1 do cond = cond & ta.shift(a, k):gt(ta.shift(b, k)) end
  return cond
end

--- below(a, b, n): true when a has been below b for the last n bars (n defaults to 1).
function ta.below(a, b, n)
  n = n or 1
  local cond = a:lt(b)
  for k = 1, n - 1 do cond = cond & ta.shift(a, k):lt(ta.shift(b, k)) end
  return cond
end

--- between(x, lo, hi): lo <= x <= hi.
function ta.between(x, lo, hi)
  return x:ge(lo) & x:le(hi)
end

return ta
