local m = require "m"
return strategy { signals = function(b, p) return { entries = b.close:gt(m.level) } end }
return { level = 10 }
