-- acme.momentum: how fast prices move.
local ta = require "ta"

local M = {}

--- Rate of change: the fractional move over n bars.
-- x / x[n bars ago] - 1, so 0.05 is a 5 % rise. NaN for the first n bars.
-- @param x a price series
-- @param n bars back (default 10)
-- @return a float series
function M.roc(x, n)
  n = n or 10
  return x / ta.shift(x, n) - 1
end

--- Momentum turning up: the rate of change crosses above a threshold.
-- @param x a price series
-- @param n bars back (default 10)
-- @param threshold the level to cross (default 0)
-- @return a bool series
function M.turning_up(x, n, threshold)
  return ta.crossover(M.roc(x, n), threshold or 0)
end

return M
