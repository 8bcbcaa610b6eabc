return { params = { n = 3 }, signals = function(b, p) return { entries = b.close:gt(p.n) } end }
