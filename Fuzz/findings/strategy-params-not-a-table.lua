-- Found by Fuzz/FuzzStrategy: a strategy table not built by strategy{} skips the prelude's
-- checks, and the loader walked `params` with lua_next although it is a number (a segfault).
return { params = 5, signals = function(bars, p) return { entries = bars.close:gt(1) } end }
