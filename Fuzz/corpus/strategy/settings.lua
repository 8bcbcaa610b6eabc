return strategy {
  fees = 0.001, slippage = 0.0005, fill = "next_open", sizing = "fraction:0.5",
  stop_loss = 0.1, rebalance = "weekly", top = 3, portfolio = "shared", benchmark = "AAA",
  indicators = function(bars, p) return { hi = ta.highest(bars.high, 20) } end,
  on_bar = function(ctx, p) if ctx.close > ctx.hi then ctx.buy() end end,
}
