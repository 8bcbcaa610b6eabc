import Foundation
import LunarSim

/// A shard's partial result in binary (`shard.bin`): little-endian 64-bit integers, doubles as
/// their bits, length-prefixed strings and arrays. Doubles travel as bits (not as text), so what
/// a merge reads is exactly what the shard computed, NaN and −0 included.
public struct ShardWriter {
    public private(set) var data = Data()
    public init() {}

    public mutating func int(_ v: Int) {
        var x = Int64(v).littleEndian
        withUnsafeBytes(of: &x) { data.append(contentsOf: $0) }
    }
    public mutating func double(_ v: Double) { int(Int(Int64(bitPattern: v.bitPattern))) }
    public mutating func bool(_ v: Bool) { int(v ? 1 : 0) }
    public mutating func string(_ s: String) {
        let bytes = Array(s.utf8)
        int(bytes.count)
        data.append(contentsOf: bytes)
    }
    public mutating func doubles(_ values: [Double]) {
        int(values.count)
        #if _endian(little)
        values.withUnsafeBytes { data.append(contentsOf: $0) }
        #else
        for v in values { double(v) }
        #endif
    }
    public mutating func strings(_ values: [String]) {
        int(values.count)
        for s in values { string(s) }
    }
}

/// Reads what `ShardWriter` wrote, in the same order; a file cut short or altered is an error
/// naming the file and the offset, never a crash.
public struct ShardReader {
    let data: Data
    let path: String
    private var offset = 0

    public init(_ data: Data, path: String) { self.data = data; self.path = path }

    public var isAtEnd: Bool { offset == data.count }

    func corrupt(_ what: String) -> ShardError {
        ShardError("\(path): damaged at byte \(offset) (\(what)); rerun this shard")
    }

    public mutating func int() throws -> Int {
        guard data.count - offset >= 8 else { throw corrupt("cut short") }
        var x: Int64 = 0
        withUnsafeMutableBytes(of: &x) { dst in
            data.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[offset ..< offset + 8])) }
        }
        offset += 8
        return Int(Int64(littleEndian: x))
    }
    public mutating func double() throws -> Double { Double(bitPattern: UInt64(bitPattern: Int64(try int()))) }
    public mutating func bool() throws -> Bool { try int() != 0 }
    /// A count of things each at least `unit` bytes long: checked against what is left, so a
    /// damaged count cannot ask for terabytes.
    mutating func count(unit: Int) throws -> Int {
        let n = try int()
        guard n >= 0, n <= (data.count - offset) / max(unit, 1) else { throw corrupt("a count of \(n)") }
        return n
    }
    public mutating func string() throws -> String {
        let n = try count(unit: 1)
        defer { offset += n }
        guard let s = String(data: data[data.startIndex + offset ..< data.startIndex + offset + n], encoding: .utf8) else {
            throw corrupt("text that is not UTF-8")
        }
        return s
    }
    public mutating func doubles() throws -> [Double] {
        let n = try count(unit: 8)
        var out = [Double](repeating: 0, count: n)
        out.withUnsafeMutableBytes { dst in
            data.withUnsafeBytes { src in dst.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[offset ..< offset + n * 8])) }
        }
        offset += n * 8
        #if !_endian(little)
        for k in out.indices { out[k] = Double(bitPattern: UInt64(littleEndian: out[k].bitPattern)) }
        #endif
        return out
    }
    public mutating func strings() throws -> [String] { try (0 ..< count(unit: 8)).map { _ in try string() } }
    public mutating func end() throws { if !isAtEnd { throw corrupt("more data than expected") } }
}

// MARK: - The result types, field by field

extension ShardWriter {
    /// Every metric in `Metrics.info` order.
    public mutating func metrics(_ m: Metrics) { doubles(m.fields.map(\.1)) }

    public mutating func trade(_ t: Trade) {
        int(t.symbol); int(t.entryBar); int(t.exitBar)
        double(t.entryPrice); double(t.exitPrice); double(t.size); bool(t.isShort)
        double(t.entryFees); double(t.exitFees); double(t.pnl); double(t.returnFraction)
        bool(t.isOpen); string(t.exitReason.rawValue); double(t.dividends)
    }

    public mutating func symbolRun(_ r: SymbolRun) {
        doubles(r.equity)
        int(r.trades.count)
        for t in r.trades { trade(t) }
        double(r.initialCapital); double(r.feesPaid); double(r.tradedValue)
        int(r.barsInMarket); int(r.skippedOrders); double(r.dividends)
    }
}

extension ShardReader {
    public mutating func metrics() throws -> Metrics {
        let values = try doubles()
        guard values.count == Metrics.info.count else { throw corrupt("\(values.count) metrics, not \(Metrics.info.count)") }
        return Metrics(values: values)
    }

    public mutating func trade() throws -> Trade {
        let symbol = try int(), entry = try int(), exit = try int()
        let entryPrice = try double(), exitPrice = try double(), size = try double(), short = try bool()
        let entryFees = try double(), exitFees = try double(), pnl = try double(), ret = try double()
        let open = try bool(), reasonName = try string()
        guard let reason = ExitReason(rawValue: reasonName) else { throw corrupt("an exit reason '\(reasonName)'") }
        var t = Trade(symbol: symbol, entryBar: entry, exitBar: exit, entryPrice: entryPrice, exitPrice: exitPrice, size: size,
                      isShort: short, entryFees: entryFees, exitFees: exitFees, pnl: pnl, returnFraction: ret, isOpen: open,
                      exitReason: reason)
        t.dividends = try double()
        return t
    }

    public mutating func symbolRun() throws -> SymbolRun {
        let equity = try doubles()
        let trades = try (0 ..< count(unit: 8 * 14)).map { _ in try trade() }
        var r = SymbolRun(equity: equity, trades: trades, initialCapital: try double())
        r.feesPaid = try double(); r.tradedValue = try double()
        r.barsInMarket = try int(); r.skippedOrders = try int(); r.dividends = try double()
        return r
    }
}
