-- Hold the 20 symbols with the best 6-month momentum, equal weight, rebalanced monthly.
--
-- Cross-sectional selection is done by the simulator: `score` ranks the symbols at each
-- rebalance bar and the `top` best-scored ones are held at weight 1/top each (a symbol
-- without a score yet, NaN, is never picked). See docs/semantics.md, "Portfolios".
local ta = require "ta"

return strategy {
  name = "momentum_topn",
  description = "Top-N by 6-month momentum, equal weight, monthly rebalance, shared cash.",
  params = {
    lookback = 126,   -- bars of momentum (about 6 months of trading days)
  },
  portfolio = "shared",
  top = 20,
  rebalance = "monthly",
  signals = function(bars, p)
    return { score = bars.close / ta.shift(bars.close, p.lookback) - 1 }
  end,
}
