import Foundation
import LunarKernels

/// Runs registry kernels over plain arrays, in one block or in several.
enum Harness {
    /// Every output of `spec` over `inputs`, feeding the kernel blocks of the given sizes
    /// (one block of the whole series when `blocks` is nil).
    static func run(_ spec: PrimitiveSpec, _ params: [Double], _ inputs: [[Double]], blocks: [Int]? = nil) -> [[Double]] {
        let T = inputs.first?.count ?? 0
        var kernel = spec.makeKernel(params)
        var outs = spec.outputs.map { _ in [Double](repeating: .nan, count: T) }
        let inPtrs = inputs.map { a -> UnsafeMutablePointer<Double> in
            let p = UnsafeMutablePointer<Double>.allocate(capacity: max(T, 1))
            p.initialize(from: a, count: T)
            return p
        }
        // Poisoned with a sentinel so that a kernel that skips a write is caught.
        let outPtrs = outs.map { _ -> UnsafeMutablePointer<Double> in
            let p = UnsafeMutablePointer<Double>.allocate(capacity: max(T, 1))
            p.initialize(repeating: 12345.678, count: max(T, 1))
            return p
        }
        defer { inPtrs.forEach { $0.deallocate() }; outPtrs.forEach { $0.deallocate() } }
        var start = 0
        var sizes = blocks ?? [T]
        while start < T {
            let n = min(sizes.isEmpty ? T : sizes.removeFirst(), T - start)
            let ins = inPtrs.map { UnsafePointer($0 + start) }
            let os = outPtrs.map { $0 + start }
            ins.withUnsafeBufferPointer { i in os.withUnsafeBufferPointer { o in kernel.run(i, o, count: n) } }
            start += n
        }
        for j in outs.indices { outs[j] = Array(UnsafeBufferPointer(start: outPtrs[j], count: T)) }
        return outs
    }

    /// Random block sizes from 1 to `maxBlock` covering `T` bars.
    static func randomBlocks(_ T: Int, maxBlock: Int, rng: inout SplitMix) -> [Int] {
        var sizes: [Int] = [], total = 0
        while total < T { let n = 1 + Int(rng.next() % UInt64(maxBlock)); sizes.append(n); total += n }
        return sizes
    }

    /// Bitwise equality that treats every NaN as equal.
    static func identical(_ a: Double, _ b: Double) -> Bool { a.isNaN ? b.isNaN : a.bitPattern == b.bitPattern }
}

/// A small deterministic generator so failures reproduce.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

/// The TA-Lib golden files under Tests/Fixtures/golden/talib.
enum Golden {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/golden/talib")

    struct Row: Sendable, CustomStringConvertible {
        let file, function: String
        let params: [String: Double]
        let inputs: [String]
        let outputs: [String]
        var description: String { file }
    }

    static func lines(_ name: String) -> [[String]] {
        let text = (try? String(contentsOf: root.appendingPathComponent(name), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }

    static let manifest: [Row] = lines("manifest.csv").map { f in
        var params: [String: Double] = [:]
        for kv in f[2].split(separator: ";") {
            let p = kv.split(separator: "=")
            params[String(p[0])] = Double(p[1])!
        }
        return Row(file: f[0], function: f[1], params: params, inputs: f[3].split(separator: "|").map(String.init),
                   outputs: f[4].split(separator: "|").map(String.init))
    }

    static let seriesNames = ["s0", "s1", "s2", "s3"]
    static let columns = ["open", "high", "low", "close", "volume"]

    /// input.csv as series → column → values.
    static let input: [String: [String: [Double]]] = {
        var out: [String: [String: [Double]]] = [:]
        for f in lines("input.csv") {
            for (k, c) in columns.enumerated() { out[f[0], default: [:]][c, default: []].append(Double(f[2 + k])!) }
        }
        return out
    }()

    /// A golden file as series → output columns (in file order).
    static func outputs(_ file: String) -> [String: [[Double]]] {
        var out: [String: [[Double]]] = [:]
        for f in lines(file) {
            let values = f.dropFirst(2).map { Double($0)! }
            if out[f[0]] == nil { out[f[0]] = values.map { _ in [] } }
            for (k, v) in values.enumerated() { out[f[0]]![k].append(v) }
        }
        return out
    }

    /// The input columns a manifest row names, for one series (`close@next` = the next series' close).
    static func inputs(_ row: Row, series: String) -> [[Double]] {
        let i = seriesNames.firstIndex(of: series)!
        return row.inputs.map { name in
            let parts = name.split(separator: "@")
            let s = parts.count > 1 ? seriesNames[(i + 1) % seriesNames.count] : series
            return input[s]![String(parts[0])]!
        }
    }
}
