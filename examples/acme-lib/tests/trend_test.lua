-- The desk strategy on a hand-made panel: one entry on the upturn, one exit on the downturn.
test("acme_trend trades the upturn and leaves when momentum turns negative", function()
  local closes = {}
  for i = 1, 12 do closes[i] = 100 - i end          -- falling: roc < 0
  for i = 13, 24 do closes[i] = 88 + (i - 12) end   -- rising: roc turns up at bar 13
  closes[25] = 90                                   -- sharp drop: roc < 0, exit
  local p = panel { close = closes }
  local r = run_strategy("../acme/strategies/trend.lua", p, { lookback = 1, window = 5, stretch = 4 }, { capital = 1000 })
  expect(#r.trades).to_equal(1)
  local t = r.trades[1]
  expect(t.entry_bar).to_equal(13)
  expect(t.exit_bar).to_equal(25)
  expect(t.open).to_be_false()
  expect(t.pnl).to_be_near(1000 / 89 * 90 - 1000, 1e-9)
  expect(r.metrics.trades).to_equal(1)
end)

test("stretch filters out an entry that is already far above the mean", function()
  -- The upturn bar jumps to 9: its z-score over [8, 7, 6, 5, 9] is 2 / sqrt(2), about 1.41.
  local p = panel { close = { 10, 9, 8, 7, 6, 5, 9 } }
  local loose = run_strategy("../acme/strategies/trend.lua", p, { lookback = 1, window = 5, stretch = 4 })
  expect(#loose.trades).to_equal(1)
  expect(loose.trades[1].entry_bar).to_equal(7)
  expect(loose.trades[1].open).to_be_true()
  local strict = run_strategy("../acme/strategies/trend.lua", p, { lookback = 1, window = 5, stretch = 1.4 })
  expect(#strict.trades).to_equal(0)
end)
