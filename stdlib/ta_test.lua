-- Tests for stdlib/ta.lua's helpers; run with `lunar test stdlib/`.
local ta = require "ta"

-- a and b cross twice: a goes above b at bar 3 and back below at bar 5.
local function crossing()
  return panel {
    close = { 1, 1, 1, 1, 1, 1 },
    a = { 1, 2, 4, 5, 2, 1 },
    b = { 3, 3, 3, 3, 3, 3 },
  }
end

test("cross fires on both crossings and nowhere else", function()
  local p = crossing()
  expect_series(ta.cross(p.a, p.b), p).to_equal { false, false, true, false, true, false }
  expect_series(ta.crossover(p.a, p.b), p).to_equal { false, false, true, false, false, false }
  expect_series(ta.crossunder(p.a, p.b), p).to_equal { false, false, false, false, true, false }
end)

test("above and below need n bars in a row", function()
  local p = crossing()
  expect_series(ta.above(p.a, p.b), p).to_equal { false, false, true, true, false, false }
  expect_series(ta.above(p.a, p.b, 2), p).to_equal { nan, false, false, true, false, false }
  expect_series(ta.below(p.a, p.b), p).to_equal { true, true, false, false, true, true }
  -- The first n-1 bars look back past the data: unknown, not false.
  expect_series(ta.below(p.a, p.b, 2), p).to_equal { nan, true, false, false, false, true }
end)

test("between includes both bounds", function()
  local p = panel { close = { 1, 2, 3, 4, 5 } }
  expect_series(ta.between(p.close, 2, 4), p).to_equal { false, true, true, true, false }
  expect_series(ta.between(p.close, p.close, p.close), p).to_equal { true, true, true, true, true }
end)

test("helpers compose with natives over several symbols", function()
  local p = panel { symbols = { "UP", "DOWN" }, close = { { 1, 2, 3, 4 }, { 4, 3, 2, 1 } } }
  local rising = ta.above(p.close, ta.shift(p.close, 1))
  expect_series(rising, p).to_equal { { nan, true, true, true }, { nan, false, false, false } }
  expect_series(ta.sma(p.close, 2), p).near({ { nan, 1.5, 2.5, 3.5 }, { nan, 3.5, 2.5, 1.5 } }, 1e-12)
end)

test("unknown helpers are reported with a suggestion", function()
  expect(function() return ta.crossovr end).to_fail("did you mean 'ta.crossover'")
end)
