import Foundation
import Lunar
import LunarData
import LunarSim
import LunarTestSupport
import Testing

/// backtesting.py's canonical SmaCross on the real prices it ships (GOOG daily, EURUSD hourly),
/// loaded exactly as shipped by Lunar's own CSV loader and run through `Backtest.run`, against
/// backtesting.py 0.6.6's own results (Tests/Fixtures/golden/btreal, made by
/// tools/golden/make_bt_real_golden.sh). docs/semantics.md, "Metrics beside backtesting.py",
/// has the metrics whose definitions differ; the tests below check both formulas on these runs.
@Suite struct BacktestingRealDataTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let folder = root.appendingPathComponent("Tests/Fixtures/golden/btreal")
    static let files = ["GOOG", "EURUSD"]

    static func records(_ name: String) throws -> [[String: String]] {
        let text = try String(contentsOf: folder.appendingPathComponent("expected/\(name)"), encoding: .utf8)
        var lines = text.split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let header = lines.removeFirst()
        return lines.map { Dictionary(uniqueKeysWithValues: zip(header, $0)) }
    }

    /// backtesting.py's stats: key → text.
    static func stats(_ name: String) throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try records("\(name)_stats.csv").map { ($0["key"]!, $0["value"]!) })
    }

    static func number(_ s: [String: String], _ key: String) -> Double { Double(s[key]!)! }

    /// Days in a pandas Timedelta as printed (`3116 days 00:00:00`, `294 days 06:00:00`).
    static func days(_ text: String) -> Double {
        let parts = text.split(separator: " ")
        let hms = parts[2].split(separator: ":").map { Double($0)! }
        return Double(parts[0])! + (hms[0] * 3600 + hms[1] * 60 + hms[2]) / 86_400
    }

    static func run(_ name: String) throws -> (Panel, BacktestResult) {
        let panel = try CSVLoader.load(path: folder.appendingPathComponent("\(name).csv").path)
        var o = BacktestOptions()
        o.stdlib = root.appendingPathComponent("stdlib").path
        o.simulation.threads = 1
        let r = try Backtest.run(strategyPath: root.appendingPathComponent("Tests/Fixtures/strategies/bt_sma_cross.lua").path,
                                 panel: panel, options: o)
        return (panel, r)
    }

    @Test("the shipped CSVs load as pandas reads them", arguments: files)
    func loadsAsShipped(_ name: String) throws {
        let panel = try CSVLoader.load(path: Self.folder.appendingPathComponent("\(name).csv").path)
        let s = try Self.stats(name)
        #expect(panel.symbols == [name])
        #expect(panel.barCount == Int(s["_bars"]!)!)
        #expect(panel.timestamps.first == Calendar.parse(Substring(s["Start"]!)))
        #expect(panel.timestamps.last == Calendar.parse(Substring(s["End"]!)))
        #expect(panel.isDaily == (name == "GOOG"))
        // Through DataSource (the CLI's `--data FILE`), from a copy so the binary cache it
        // writes stays out of the source tree: the same panel, parsed and then from the cache.
        let dir = Fixtures.tempDir()
        let copy = URL(fileURLWithPath: dir).appendingPathComponent("\(name).csv").path
        try FileManager.default.copyItem(atPath: Self.folder.appendingPathComponent("\(name).csv").path, toPath: copy)
        for _ in 0 ..< 2 {
            let p = try DataSource.load(copy)
            #expect(p.symbols == panel.symbols && p.timestamps == panel.timestamps)
            #expect(p.fields["close"]! == panel.fields["close"]! && p.fields["volume"]! == panel.fields["volume"]!)
        }
        #expect(ColumnStore.isStore(PanelCache.file(for: copy)))
        // The equity curve's first bars are the cash; the loaded closes are what pandas read
        // (the Buy & Hold return from the first bar next() runs on reproduces backtesting.py's).
        let close = panel.fields["close"]!, first = Int(s["_first_next_bar"]!)! - 1
        let bh = (close.last! - close[first]) / close[first] * 100
        #expect(isClose(bh, Self.number(s, "Buy & Hold Return [%]"), rel: 1e-12))
    }

    @Test("every closed trade: bars, prices, signed size, pnl, commissions", arguments: files)
    func closedTrades(_ name: String) throws {
        let (_, r) = try Self.run(name)
        let golden = try Self.records("\(name)_trades.csv")
        let ref = golden.filter { $0["open"] == "0" }
        let mine = r.runs[0].trades.filter { !$0.isOpen }
        #expect(mine.count == ref.count, "\(name): \(mine.count) closed trades vs \(ref.count)")
        #expect(ref.count == (name == "GOOG" ? 93 : 262))   // README.md's table
        #expect(mine.contains(where: \.isShort) && mine.contains(where: { !$0.isShort }))
        #expect(r.symbolMetrics[0].closedTrades == Int(try Self.stats(name)["# Trades"]!)!)
        for (t, g) in zip(mine, ref) {
            let at = "\(name) trade entered on bar \(g["entry_bar"]!)"
            #expect(t.entryBar == Int(g["entry_bar"]!)! && t.exitBar == Int(g["exit_bar"]!)!, "\(at): bars \(t.entryBar)–\(t.exitBar)")
            #expect((t.isShort ? -t.size : t.size) == Double(g["size"]!)!, "\(at): size")
            #expect(isClose(t.entryPrice, Double(g["entry_price"]!)!, rel: 1e-12), "\(at): entry price")
            #expect(isClose(t.exitPrice, Double(g["exit_price"]!)!, rel: 1e-12), "\(at): exit price")
            #expect(isClose(t.pnl, Double(g["pnl"]!)!, rel: 1e-9, floor: 1e-6), "\(at): pnl \(t.pnl) vs \(g["pnl"]!)")
            #expect(isClose(t.entryFees + t.exitFees, Double(g["commission"]!)!, rel: 1e-9), "\(at): commissions")
            #expect(isClose(t.returnFraction, Double(g["return_pct"]!)!, rel: 1e-9, floor: 1e-9), "\(at): return")
        }
    }

    @Test("the trade open at the end, and the equity curve bar for bar", arguments: files)
    func openTradeAndEquity(_ name: String) throws {
        let (panel, r) = try Self.run(name)
        let s = try Self.stats(name), T = panel.barCount
        let openRef = try Self.records("\(name)_trades.csv").filter { $0["open"] == "1" }
        let open = r.runs[0].trades.filter(\.isOpen)
        #expect(open.count == openRef.count && open.count == Int(s["_open_trades"]!)!)
        if let t = open.first, let g = openRef.first {
            #expect(t.entryBar == Int(g["entry_bar"]!)! && t.exitBar == Int(g["exit_bar"]!)!)
            #expect((t.isShort ? -t.size : t.size) == Double(g["size"]!)!)
            #expect(isClose(t.entryPrice, Double(g["entry_price"]!)!, rel: 1e-12))
            #expect(isClose(t.exitPrice, Double(g["exit_price"]!)!, rel: 1e-12))   // the last close
            // backtesting.py's Trade.pl of an open trade leaves its commission out (it is in
            // `_commissions` only once the trade closes); Lunar's pnl of an open trade is net
            // of the entry fee it paid, with no exit fee.
            #expect(t.exitFees == 0)
            #expect(isClose(t.entryFees, Double(g["commission"]!)!, rel: 1e-9))
            #expect(isClose(t.pnl, Double(g["pnl"]!)! - Double(g["commission"]!)!, rel: 1e-9))
        }
        let eq = try Self.records("\(name)_equity.csv")
        #expect(eq.count == r.runs[0].equity.count && eq.count == T)
        var worst = 0.0, worstBar = -1
        for row in eq {
            let t = Int(row["bar"]!)!, ref = Double(row["equity"]!)!
            let d = abs(r.runs[0].equity[t] - ref) / abs(ref)
            if d > worst { worst = d; worstBar = t }
        }
        #expect(worst <= 1e-9, "\(name): equity differs by \(worst) (relative) at bar \(worstBar)")
        let m = r.symbolMetrics[0]
        #expect(isClose(m.finalEquity, Self.number(s, "Equity Final [$]"), rel: 1e-9))
        #expect(isClose(m.totalReturn * 100, Self.number(s, "Return [%]"), rel: 1e-9))
    }

    /// The metrics defined alike: win rate, SQN, best/worst trade, max drawdown, final equity.
    @Test("metrics defined the same way agree", arguments: files)
    func sameMetrics(_ name: String) throws {
        let (_, r) = try Self.run(name)
        let s = try Self.stats(name), m = r.symbolMetrics[0]
        #expect(isClose(m.winRate * 100, Self.number(s, "Win Rate [%]"), rel: 1e-12))
        #expect(isClose(m.sqn, Self.number(s, "SQN"), rel: 1e-9))
        #expect(isClose(m.bestTrade * 100, Self.number(s, "Best Trade [%]"), rel: 1e-9))
        #expect(isClose(m.worstTrade * 100, Self.number(s, "Worst Trade [%]"), rel: 1e-9))
        #expect(isClose(m.maxDrawdown * 100, Self.number(s, "Max. Drawdown [%]"), rel: 1e-9))
    }

    /// Each row of docs/semantics.md's "Metrics beside backtesting.py": backtesting.py's
    /// formula, applied to its own inputs, gives its number; Lunar's formula, applied to the
    /// same run, gives Lunar's.
    @Test("metrics defined differently: both formulas, side by side", arguments: files)
    func differentMetrics(_ name: String) throws {
        let (panel, r) = try Self.run(name)
        let s = try Self.stats(name), m = r.symbolMetrics[0]
        let trades = r.runs[0].trades, T = panel.barCount
        let equity = try Self.records("\(name)_equity.csv").map { Double($0["equity"]!)! }
        let initial = 10_000.0, A = Calendar.barsPerYear(panel.timestamps)

        // Exposure: backtesting.py marks bars entry…exit inclusive of its *closed* trades;
        // Lunar counts the bars that end with a position (an exit at the next open ends none).
        var have = [Bool](repeating: false, count: T)
        for t in trades where !t.isOpen { for i in t.entryBar ... t.exitBar { have[i] = true } }
        let btExposure = Double(have.filter { $0 }.count) / Double(T) * 100
        #expect(isClose(btExposure, Self.number(s, "Exposure Time [%]"), rel: 1e-12))
        var held = [Bool](repeating: false, count: T)
        for t in trades { for i in t.entryBar ..< (t.isOpen ? T : t.exitBar) { held[i] = true } }
        #expect(isClose(m.exposure, Double(held.filter { $0 }.count) / Double(T), rel: 1e-12))

        // Commissions: backtesting.py sums its closed trades'; Lunar's fees_paid is every fee
        // paid, the open trade's entry fee included.
        let openFees = trades.filter(\.isOpen).map(\.entryFees).reduce(0, +)
        #expect(isClose(m.feesPaid - openFees, Self.number(s, "Commissions [$]"), rel: 1e-9))
        #expect(openFees > 0)

        // # Trades: closed only there; Lunar's `trades` adds the open one.
        #expect(m.trades == Int(s["# Trades"]!)! + Int(s["_open_trades"]!)!)

        // Return (Ann.), Volatility (Ann.), Sharpe, Sortino, Calmar: backtesting.py works on
        // the day-resampled equity with the geometric mean g of day returns and its own year
        // (252, or 365 with weekends) — `(1+g)^A − 1`, √((var + (1+g)²)^A − (1+g)^(2A)).
        let Ab = Self.number(s, "_annual_trading_days")
        let retAnn = Self.number(s, "Return (Ann.) [%]") / 100
        let g = pow(1 + retAnn, 1 / Ab) - 1
        let vol = ((Self.number(s, "_day_returns_var_ddof1") + (1 + g) * (1 + g)).power(Ab) - (1 + g).power(2 * Ab)).squareRoot()
        #expect(isClose(vol * 100, Self.number(s, "Volatility (Ann.) [%]"), rel: 1e-9))
        #expect(isClose(retAnn / vol, Self.number(s, "Sharpe Ratio"), rel: 1e-9))
        let mdd = -Self.number(s, "Max. Drawdown [%]") / 100
        #expect(isClose(retAnn / mdd, Self.number(s, "Calmar Ratio"), rel: 1e-9))
        // CAGR: calendar years (Start → End over 365.25 days) there, bars over A here.
        let years = Self.days(s["Duration"]!) / 365.25
        #expect(isClose((pow(equity.last! / initial, 1 / years) - 1) * 100, Self.number(s, "CAGR [%]"), rel: 1e-9))
        #expect(isClose(m.cagr, pow(equity.last! / initial, A / Double(T)) - 1, rel: 1e-9))
        // Lunar: arithmetic mean of every bar's return over its std, × √A; Sortino's downside
        // over all bars; Calmar = CAGR / |max drawdown|.
        var rets = [Double]()
        for (i, v) in equity.enumerated() { rets.append(v / (i == 0 ? initial : equity[i - 1]) - 1) }
        let mean = rets.reduce(0, +) / Double(T)
        let sd = (rets.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(T - 1)).squareRoot()
        let down = (rets.map { min($0, 0) * min($0, 0) }.reduce(0, +) / Double(T)).squareRoot()
        #expect(isClose(m.volatility, sd * A.squareRoot(), rel: 1e-9))
        #expect(isClose(m.sharpe, mean / sd * A.squareRoot(), rel: 1e-9))
        #expect(isClose(m.sortino, mean / down * A.squareRoot(), rel: 1e-9))
        #expect(isClose(m.calmar, m.cagr / mdd, rel: 1e-9))
        #expect(A == (name == "GOOG" ? 252 : 252 * 24) && Ab == 252)

        // backtesting.py's day returns, rebuilt: the equity's last value of each calendar day
        // (days without a bar dropped), then pct_change. Their geometric mean gives its
        // Return (Ann.); its Sortino divides that by the root mean square of the negative ones.
        var dayEquity: [Double] = []
        var lastDay = Int64.min
        for (i, t) in panel.timestamps.enumerated() {
            let d = Int64((Double(t) / 86_400).rounded(.down))
            if d == lastDay { dayEquity[dayEquity.count - 1] = equity[i] } else { dayEquity.append(equity[i]); lastDay = d }
        }
        let day = zip(dayEquity.dropFirst(), dayEquity).map { $0 / $1 - 1 }
        #expect(day.count == Int(s["_day_returns"]!)!)
        let gmean = exp(day.map { log1p($0) }.reduce(0, +) / Double(day.count)) - 1
        #expect(isClose(pow(1 + gmean, Ab) - 1, retAnn, rel: 1e-9))
        let dayDown = (day.map { min($0, 0) * min($0, 0) }.reduce(0, +) / Double(day.count)).squareRoot()
        #expect(isClose(retAnn / (dayDown * Ab.squareRoot()), Self.number(s, "Sortino Ratio"), rel: 1e-9))

        // Beta and alpha: there, log returns of equity on log returns of this symbol's close, and
        // alpha = Return − β·(Buy & Hold Return), totals in %; here, OLS of simple bar returns
        // on the benchmark's (one symbol: its buy-and-hold from bar 0), intercept × A.
        let close = panel.fields["close"]!
        let le = zip(equity.dropFirst(), equity).map { log($0 / $1) }, lc = zip(close.dropFirst(), close).map { log($0 / $1) }
        func cov(_ a: [Double], _ b: [Double]) -> Double {
            let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
            return zip(a, b).map { ($0 - ma) * ($1 - mb) }.reduce(0, +) / Double(a.count - 1)
        }
        let btBeta = cov(le, lc) / cov(lc, lc)
        #expect(isClose(btBeta, Self.number(s, "Beta"), rel: 1e-9))
        #expect(isClose(Self.number(s, "Return [%]") - btBeta * Self.number(s, "Buy & Hold Return [%]"), Self.number(s, "Alpha [%]"), rel: 1e-9))
        let rb = zip(close.dropFirst(), close).map { $0 / $1 - 1 }, rr = Array(rets.dropFirst())
        let beta = cov(rr, rb) / cov(rb, rb)
        #expect(isClose(m.beta, beta, rel: 1e-9))
        let meanR = rr.reduce(0, +) / Double(rr.count), meanB = rb.reduce(0, +) / Double(rb.count)
        #expect(isClose(m.alpha, (meanR - beta * meanB) * A, rel: 1e-9))
        #expect(isClose(m.benchmarkReturn, close.last! / close[0] - 1, rel: 1e-12))

        // Max. drawdown duration: there, index time from a peak to the next bar at the peak (or
        // to the last bar), in days; here, the longest run of bars strictly below the last peak.
        var peak = -Double.infinity, peakBar = 0, longestBars = 0, longestTime: Int64 = 0
        var atPeak: [Int] = []
        for (i, v) in equity.enumerated() {
            if v >= peak { peak = v; peakBar = i; atPeak.append(i) } else { longestBars = max(longestBars, i - peakBar) }
        }
        if atPeak.last != T - 1 { atPeak.append(T - 1) }
        for (a, b) in zip(atPeak, atPeak.dropFirst()) where b > a + 1 {
            longestTime = max(longestTime, panel.timestamps[b] - panel.timestamps[a])
        }
        #expect(m.maxDrawdownBars == longestBars)
        #expect(isClose(Double(longestTime) / 86_400, Self.days(s["Max. Drawdown Duration"]!), rel: 1e-12))

        // Profit factor and expectancy: of trade returns (%) there, of cash pnl here.
        let closed = trades.filter { !$0.isOpen }
        let rs = closed.map(\.returnFraction), pnl = closed.map(\.pnl)
        let pf = rs.filter { $0 > 0 }.reduce(0, +) / -rs.filter { $0 < 0 }.reduce(0, +)
        #expect(isClose(pf, Self.number(s, "Profit Factor"), rel: 1e-9))
        #expect(isClose(rs.reduce(0, +) / Double(rs.count) * 100, Self.number(s, "Expectancy [%]"), rel: 1e-9))
        #expect(isClose(m.profitFactor, pnl.filter { $0 > 0 }.reduce(0, +) / -pnl.filter { $0 < 0 }.reduce(0, +), rel: 1e-9))
        #expect(isClose(m.expectancy, pnl.reduce(0, +) / Double(pnl.count), rel: 1e-9))
    }
}

private extension Double {
    func power(_ y: Double) -> Double { Foundation.pow(self, y) }
}
