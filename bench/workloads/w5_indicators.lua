-- W5: ten different indicators, all feeding the signals (so none is dead code).
local ta = require "ta"

return strategy {
  name = "w5_indicators",
  description = "Benchmark workload: ema, rsi, macd, bbands, atr, stoch, adx, cci, obv and mfi combined.",
  signals = function(bars, p)
    local c, h, l, v = bars.close, bars.high, bars.low, bars.volume
    local ema = ta.ema(c, 20)
    local rsi = ta.rsi(c, 14)
    local _, _, hist = ta.macd(c, 12, 26, 9)
    local upper, _, lower = ta.bbands(c, 20, 2, 2)
    local atr = ta.atr(h, l, c, 14)
    local k, d = ta.stoch(h, l, c, 14, 3, 3)
    local adx = ta.adx(h, l, c, 14)
    local cci = ta.cci(h, l, c, 20)
    local obv = ta.obv(c, v)
    local mfi = ta.mfi(h, l, c, v, 14)
    local entries = c:gt(ema) & rsi:lt(70) & hist:gt(0) & c:lt(upper) & atr:gt(0) & k:gt(d)
      & adx:gt(20) & cci:gt(-100) & obv:gt(ta.sma(obv, 20)) & mfi:lt(80)
    return { entries = entries, exits = c:lt(lower) | rsi:gt(80) }
  end,
}
