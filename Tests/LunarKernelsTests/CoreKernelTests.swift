import LunarData
import Testing
@testable import LunarKernels

/// Runs a registry kernel over `inputs`, fed in blocks of the given sizes (cycled).
func runKernel(_ name: String, _ params: [Double], _ inputs: [[Double]], blocks: [Int]) -> [[Double]] {
    let spec = Registry.spec(name)!
    let T = inputs[0].count
    var kernel = spec.makeKernel(params)
    var outs = spec.outputs.map { _ in [Double](repeating: -1, count: T) }
    var start = 0, b = 0
    while start < T {
        let n = min(blocks[b % blocks.count], T - start)
        b += 1
        let ins = inputs.map { arr -> UnsafeMutablePointer<Double> in
            let p = UnsafeMutablePointer<Double>.allocate(capacity: n)
            p.initialize(from: Array(arr[start ..< start + n]), count: n)
            return p
        }
        let os = outs.map { _ in UnsafeMutablePointer<Double>.allocate(capacity: n) }
        ins.map { UnsafePointer($0) }.withUnsafeBufferPointer { i in os.withUnsafeBufferPointer { o in kernel.run(i, o, count: n) } }
        for j in outs.indices { for k in 0 ..< n { outs[j][start + k] = os[j][k] } }
        ins.forEach { $0.deallocate() }; os.forEach { $0.deallocate() }
        start += n
    }
    return outs
}

func same(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
}

@Suite struct CoreKernelTests {
    static let series: [Double] = {
        var rng = SplitMix64(seed: 11)
        var x = (0 ..< 400).map { _ in 100 + 10 * rng.nextGaussian() }
        for i in [0, 1, 57, 58, 59, 200, 333] { x[i] = .nan }
        return x
    }()

    /// State carried across blocks: any blocking gives the bits of one whole-series call.
    @Test(arguments: ["shift", "diff", "sma", "ema", "stdev", "highest", "lowest"])
    func blockingDoesNotChangeResults(name: String) {
        let x = CoreKernelTests.series
        let whole = runKernel(name, [7], [x], blocks: [x.count])
        for blocks in [[1], [3, 5], [64], [17, 1, 250]] {
            #expect(same(runKernel(name, [7], [x], blocks: blocks)[0], whole[0]))
        }
        let y = x.map { $0 + 1 }
        #expect(same(runKernel("crossover", [], [x, y.reversed()], blocks: [5]) [0],
                     runKernel("crossover", [], [x, y.reversed()], blocks: [400])[0]))
    }

    @Test func smaAndWindowsAreNaNUntilFullAndAroundGaps() {
        let out = runKernel("sma", [3], [[1, 2, 3, 4, .nan, 6, 7, 8, 9]], blocks: [2])[0]
        #expect(out[0].isNaN && out[1].isNaN)
        #expect(out[2] == 2 && out[3] == 3)
        #expect(out[4].isNaN && out[5].isNaN && out[6].isNaN)
        #expect(out[7] == 7 && out[8] == 8)
    }

    @Test func emaSeedsWithTheSMAAndSkipsNaN() {
        let out = runKernel("ema", [3], [[.nan, 2, 4, 6, .nan, 10]], blocks: [1])[0]
        #expect(out[0].isNaN && out[1].isNaN && out[2].isNaN)
        #expect(out[3] == 4)                       // mean of 2, 4, 6
        #expect(out[4].isNaN)                      // NaN in, NaN out, state kept
        #expect(out[5] == (10 - 4) * 0.5 + 4)      // k = 2/(3+1)
    }

    @Test func stdevIsThePopulationDeviation() {
        let out = runKernel("stdev", [4], [[2, 4, 4, 4, 5, 5, 7, 9]], blocks: [3])[0]
        #expect(out[3] == (0.75 as Double).squareRoot())
        #expect(abs(out[7] - 1.6583123951777) < 1e-12)   // 5, 5, 7, 9
    }

    /// vectorbt's crossed_above: equality keeps "was below"; NaN resets it.
    @Test func crossoverFollowsVectorbt() {
        let a: [Double] = [1, 3, 2, 2, 3, 1, .nan, 3, 1, 3]
        let b: [Double] = [2, 2, 2, 2, 2, 2, 2, 2, 2, 2]
        let out = runKernel("crossover", [], [a, b], blocks: [2])[0]
        // bar 1: first above after below → 1; bar 2–3 equal; bar 4 above again → 1 (was below stays set)
        #expect(Array(out[0 ... 5]) == [0, 1, 0, 0, 1, 0])
        #expect(out[6].isNaN)
        #expect(out[7] == 0)    // NaN cleared "was below"
        #expect(out[8] == 0 && out[9] == 1)
        let under = runKernel("crossunder", [], [a, b], blocks: [10])[0]
        #expect(under[5] == 1 && under[0] == 0)
    }

    @Test func registryParamsCarryRangesAndDefaults() {
        let sma = Registry.spec("sma")!
        #expect(sma.params[0].problem(with: 0) == "period must be ≥ 1, got 0")
        #expect(sma.params[0].problem(with: 3) == nil)
        #expect(Registry.spec("shift")!.params[0].defaultValue == 1)
        #expect(Set(Registry.names).count == Registry.names.count)
        #expect(closestMatches(to: "crossovr", in: Registry.names).first == "crossover")
    }
}
