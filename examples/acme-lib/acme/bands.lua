-- acme.bands: where a price sits within its recent range.
local ta = require "ta"

local B = {}

--- Rolling z-score: how many standard deviations x is from its n-bar mean.
-- NaN during the first n-1 bars, and where the window is flat (the deviation is 0).
-- @param x a series
-- @param n window length in bars (default 20)
-- @return a float series
function B.zscore(x, n)
  n = n or 20
  local sd = ta.stdev(x, n)
  return ta.where(sd:gt(0), (x - ta.sma(x, n)) / sd, 0 / 0)
end

return B
