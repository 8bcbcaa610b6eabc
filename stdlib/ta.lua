-- ta: technical-analysis primitives for strategies.
--
-- Every function of the engine's registry is native (see `lunar list indicators` and
-- docs/indicators.md); series arguments come first, then numeric parameters, e.g.
-- ta.sma(bars.close, 20). This module adds helpers composed from them; they need no kernel.
-- A line starting with three dashes right above a `function ta.NAME` documents it in
-- docs/indicators.md.

local ta = _LUNAR.ta

-- Signals ------------------------------------------------------------------------------------

--- cross(a, b): true on a bar where a crosses b in either direction.
function ta.cross(a, b)
  return ta.crossover(a, b) | ta.crossunder(a, b)
end

--- above(a, b, n): true when a has been above b for the last n bars (n defaults to 1).
function ta.above(a, b, n)
  n = n or 1
  local cond = a:gt(b)
  for k = 1, n - 1 do cond = cond & ta.shift(a, k):gt(ta.shift(b, k)) end
  return cond
end

--- below(a, b, n): true when a has been below b for the last n bars (n defaults to 1).
function ta.below(a, b, n)
  return ta.above(b, a, n)   -- a < b is b > a, NaN included
end

--- between(x, lo, hi): lo <= x <= hi.
function ta.between(x, lo, hi)
  return x:ge(lo) & x:le(hi)
end

--- rising(x, n): x rose on each of the last n bars (n defaults to 1).
function ta.rising(x, n)
  return ta.above(x, ta.shift(x, 1), n)
end

--- falling(x, n): x fell on each of the last n bars (n defaults to 1).
function ta.falling(x, n)
  return ta.below(x, ta.shift(x, 1), n)
end

--- recent(cond, n): cond was true on at least one of the last n bars, this one included (NaN until cond is first true).
function ta.recent(cond, n)
  return ta.barssince(cond):le(n - 1)
end

-- Session-anchored ---------------------------------------------------------------------------

local anchored_vwap = ta.anchored_vwap

--- vwap(high, low, close, volume, anchor): volume-weighted average price since the start of the current period of `anchor` — "1D" (each session, the default), "1W", "1M", "1Q" or "1Y", in the run's time zone and session.
function ta.vwap(high, low, close, volume, anchor)
  anchor = anchor or "1D"
  local problem = type(anchor) ~= "string" and "expects a timeframe such as \"1D\"" or _LUNAR.timeframe_problem(anchor)
  if problem then error("ta.vwap: " .. problem, 2) end
  return anchored_vwap(high, low, close, volume, _LUNAR.period_start(anchor))
end

-- Prices (TA-Lib's price transforms) ---------------------------------------------------------

--- typprice(high, low, close): typical price (h + l + c)/3 (TA-Lib TYPPRICE).
function ta.typprice(high, low, close)
  return (high + low + close) / 3
end

--- medprice(high, low): median price (h + l)/2 (TA-Lib MEDPRICE).
function ta.medprice(high, low)
  return (high + low) / 2
end

--- wclprice(high, low, close): weighted close (h + l + 2c)/4 (TA-Lib WCLPRICE).
function ta.wclprice(high, low, close)
  return (high + low + close * 2) / 4
end

--- avgprice(open, high, low, close): (o + h + l + c)/4 (TA-Lib AVGPRICE).
function ta.avgprice(open, high, low, close)
  return (open + high + low + close) / 4
end

--- midpoint(x, n): (highest + lowest)/2 of x over n bars (TA-Lib MIDPOINT).
function ta.midpoint(x, n)
  return (ta.highest(x, n) + ta.lowest(x, n)) / 2
end

--- midprice(high, low, n): (highest high + lowest low)/2 over n bars (TA-Lib MIDPRICE).
function ta.midprice(high, low, n)
  return (ta.highest(high, n) + ta.lowest(low, n)) / 2
end

-- Filters and oscillators composed from kernels ----------------------------------------------

--- tsf(x, n): time-series forecast, the regression line one bar ahead (TA-Lib TSF).
function ta.tsf(x, n)
  local value, slope = ta.linreg(x, n)
  return value + slope
end

--- trix(x, n): 1-bar rate of change of a triple EMA, in percent (TA-Lib TRIX).
function ta.trix(x, n)
  return ta.roc(ta.ema(ta.ema(ta.ema(x, n), n), n), 1)
end

--- apo(x, fast, slow): absolute price oscillator sma(fast) − sma(slow) (TA-Lib APO, matype 0).
function ta.apo(x, fast, slow)
  fast, slow = fast or 12, slow or 26
  return ta.sma(x, fast) - ta.sma(x, slow)
end

--- ppo(x, fast, slow): percentage price oscillator 100·(sma(fast) − sma(slow))/sma(slow), 0 where sma(slow) is 0 (TA-Lib PPO, matype 0).
function ta.ppo(x, fast, slow)
  fast, slow = fast or 12, slow or 26
  local s = ta.sma(x, slow)
  return ta.where(s:eq(0), 0, (ta.sma(x, fast) - s) * 100 / s)
end

--- ultosc(high, low, close, p1, p2, p3): ultimate oscillator 100·(4·a1 + 2·a2 + a3)/7, ak = Σ(c − true low)/Σ true range over pk bars (TA-Lib ULTOSC; defaults 7, 14, 28).
function ta.ultosc(high, low, close, p1, p2, p3)
  p1, p2, p3 = p1 or 7, p2 or 14, p3 or 28
  local prev = ta.shift(close, 1)
  local true_low = ta.min(low, prev)
  local pressure, range = close - true_low, ta.max(high, prev) - true_low
  local function avg(n)
    local r = ta.sum(range, n)
    return ta.where(r:eq(0), 0, ta.sum(pressure, n) / r)
  end
  return (avg(p1) * 4 + avg(p2) * 2 + avg(p3)) * 100 / 7
end

--- percent_b(x, n, k): where x sits in its Bollinger bands, 0 at the lower band and 1 at the upper.
function ta.percent_b(x, n, k)
  local upper, _, lower = ta.bbands(x, n or 20, k or 2, k or 2)
  return (x - lower) / (upper - lower)
end

return ta
