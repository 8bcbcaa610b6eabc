-- `lunar test examples/acme-lib`: the library's own folder is a root, so acme.* resolves.
local momentum = require "acme.momentum"
local bands = require "acme.bands"

test("roc is the fractional change over n bars", function()
  local p = panel { close = { 100, 110, 121, 108.9 } }
  expect_series(momentum.roc(p.close, 1), p).near({ nan, 0.1, 0.1, -0.1 }, 1e-12)
  expect_series(momentum.roc(p.close, 2), p).near({ nan, nan, 0.21, -0.01 }, 1e-12)
end)

test("turning_up fires once when momentum crosses the threshold", function()
  local p = panel { close = { 10, 9, 8, 9, 10, 11 } }
  expect_series(momentum.turning_up(p.close, 1), p).to_equal { nan, false, false, true, false, false }
end)

test("zscore is NaN on a flat window and signed elsewhere", function()
  local p = panel { close = { 5, 5, 5, 1, 9 } }
  -- window 3: [5,5,5] is flat; [5,5,1] mean 11/3; [5,1,9] mean 5.
  local sd1 = math.sqrt(((5 - 11 / 3) ^ 2 * 2 + (1 - 11 / 3) ^ 2) / 3)
  expect_series(bands.zscore(p.close, 3), p).near({ nan, nan, nan, (1 - 11 / 3) / sd1, 4 / math.sqrt(32 / 3) }, 1e-12)
end)
