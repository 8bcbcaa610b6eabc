-- _LUNAR.hint (the "did you mean" native) compares two 100,000-byte names: 10^10 steps
-- inside one Swift call, where the instruction budget cannot stop it.
local a, b = ("a"):rep(100000), ("b"):rep(100000)
_LUNAR.hint(a, { b })
return strategy { signals = function(bars, p) return { entries = bars.close:gt(1) } end }
