import Testing
import LunarKernels

/// How a TA-Lib function maps onto a registry primitive: its name, its parameters (from the
/// manifest's TA-Lib parameter names) and which of its outputs the golden columns are.
struct TALibMapping: Sendable {
    let name: String
    let params: @Sendable ([String: Double]) -> [Double]
    let outputs: [Int]
    init(_ name: String, outputs: [Int] = [0], _ params: @escaping @Sendable ([String: Double]) -> [Double] = { p in p["timeperiod"].map { [$0] } ?? [] }) {
        self.name = name; self.outputs = outputs; self.params = params
    }
}

let talibMappings: [String: TALibMapping] = [
    "SMA": .init("sma"), "EMA": .init("ema"), "WMA": .init("wma"), "DEMA": .init("dema"), "TEMA": .init("tema"),
    "TRIMA": .init("trima"), "KAMA": .init("kama"), "RSI": .init("rsi"), "CMO": .init("cmo"),
    "MACD": .init("macd", outputs: [0, 1, 2]) { [$0["fastperiod"]!, $0["slowperiod"]!, $0["signalperiod"]!] },
    "BBANDS": .init("bbands", outputs: [0, 1, 2]) { [$0["timeperiod"]!, $0["nbdevup"]!, $0["nbdevdn"]!] },
    "ATR": .init("atr"), "NATR": .init("natr"), "TRANGE": .init("trange"),
    "STOCH": .init("stoch", outputs: [0, 1]) { [$0["fastk_period"]!, $0["slowk_period"]!, $0["slowd_period"]!] },
    "STOCHF": .init("stochf", outputs: [0, 1]) { [$0["fastk_period"]!, $0["fastd_period"]!] },
    "STOCHRSI": .init("stochrsi", outputs: [0, 1]) { [$0["timeperiod"]!, $0["fastk_period"]!, $0["fastd_period"]!] },
    "ADX": .init("adx"), "PLUS_DI": .init("plus_di"), "MINUS_DI": .init("minus_di"), "DX": .init("dx"),
    "PLUS_DM": .init("plus_dm"), "MINUS_DM": .init("minus_dm"),
    "CCI": .init("cci"), "WILLR": .init("willr"), "MOM": .init("mom"), "ROC": .init("roc"), "ROCP": .init("rocp"),
    "OBV": .init("obv"), "MFI": .init("mfi"), "AD": .init("ad"),
    "ADOSC": .init("adosc") { [$0["fastperiod"]!, $0["slowperiod"]!] },
    "STDDEV": .init("stdev"), "VAR": .init("variance"),
    "LINEARREG": .init("linreg", outputs: [0]), "LINEARREG_SLOPE": .init("linreg", outputs: [1]),
    "LINEARREG_INTERCEPT": .init("linreg", outputs: [2]),
    "CORREL": .init("correl"), "BETA": .init("beta"),
    "MAX": .init("highest"), "MIN": .init("lowest"), "SUM": .init("sum"),
    "SAR": .init("psar") { [$0["acceleration"]!, $0["maximum"]!] },
    "AROON": .init("aroon", outputs: [0, 1]),
]

/// Golden functions without a registry entry, listed so the coverage is explicit. All but
/// MAXINDEX/MININDEX are Lua helpers in stdlib/ta.lua, checked against these same golden files
/// through the graph in LunarTests/ExpressionEvalTests. MAXINDEX/MININDEX give absolute bar
/// indices with an odd tie rule; Lunar offers highestbars/lowestbars (bars back) instead.
let talibNotInRegistry: Set<String> = [
    "TSF", "MIDPOINT", "MIDPRICE", "ULTOSC", "APO", "PPO", "TRIX",
    "WCLPRICE", "TYPPRICE", "MEDPRICE", "AVGPRICE", "MAXINDEX", "MININDEX",
]

/// Relative tolerance 1e-9 as the issue asks, plus an absolute floor of 1e-9: values that are
/// 0 in exact arithmetic (slopes and oscillators on the flat stretches of s3) come out of
/// TA-Lib's running sums as ±1e-13 — price scale (~100) times machine epsilon — so a purely
/// relative test would compare rounding noise against rounding noise.
func close(_ a: Double, _ b: Double, rel: Double = 1e-9, abs floor: Double = 1e-9) -> Bool {
    if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
    return Swift.abs(a - b) <= rel * max(Swift.abs(a), Swift.abs(b)) + floor
}

@Suite("TA-Lib parity")
struct TALibParityTests {
    @Test("every golden function is mapped or listed as missing")
    func coverage() {
        for row in Golden.manifest {
            #expect(talibMappings[row.function] != nil || talibNotInRegistry.contains(row.function), "\(row.function)")
        }
        for m in talibMappings.values { #expect(Registry.spec(m.name) != nil, "\(m.name)") }
    }

    @Test("matches TA-Lib, in one block and in random blocks",
          arguments: Golden.manifest.filter { talibMappings[$0.function] != nil })
    func parity(_ row: Golden.Row) throws {
        let m = talibMappings[row.function]!
        let spec = try #require(Registry.spec(m.name))
        let params = m.params(row.params)
        let golden = Golden.outputs(row.file)
        var rng = SplitMix(seed: 7)
        for series in Golden.seriesNames {
            let inputs = Golden.inputs(row, series: series)
            let whole = Harness.run(spec, params, inputs)
            let blocked = Harness.run(spec, params, inputs, blocks: Harness.randomBlocks(inputs[0].count, maxBlock: 17, rng: &rng))
            let expected = try #require(golden[series])
            for (col, k) in m.outputs.enumerated() {
                var bad = 0
                for t in expected[col].indices {
                    let e = expected[col][t], a = whole[k][t]
                    if !close(a, e) {
                        bad += 1
                        if bad <= 3 { Issue.record("\(row.file) \(series) \(row.outputs[col])[\(t)]: lunar \(a), TA-Lib \(e)") }
                    }
                    if !Harness.identical(a, blocked[k][t]) {
                        bad += 1
                        if bad <= 3 { Issue.record("\(row.file) \(series) \(row.outputs[col])[\(t)]: one block \(a), blocks \(blocked[k][t])") }
                    }
                }
                #expect(bad == 0, "\(row.file) \(series) \(row.outputs[col]): \(bad) mismatches")
            }
        }
    }
}
