/// A column's values as read: integers (INT32, INT64, BOOLEAN, INT96 as nanoseconds), floats
/// (FLOAT widened, DOUBLE), or text (byte arrays, each distinct value once with a code per
/// row). Nulls are flagged in `valid`; their slot holds 0 (or code −1).
public struct ColumnValues: Sendable {
    public enum Storage: Sendable {
        case integers([Int64])
        case floats([Double])
        case text(dictionary: [String], codes: [Int32])
    }
    public var storage: Storage
    /// nil: no nulls.
    public var valid: [Bool]?

    public var count: Int {
        switch storage {
        case .integers(let v): v.count
        case .floats(let v): v.count
        case .text(_, let codes): codes.count
        }
    }

    /// Row groups' pieces of one column joined in order; text codes are renumbered onto one
    /// dictionary.
    static func joined(_ parts: [ColumnValues]) -> ColumnValues {
        if parts.count == 1 { return parts[0] }
        let total = parts.reduce(0) { $0 + $1.count }
        var valid: [Bool]? = nil
        if parts.contains(where: { $0.valid != nil }) {
            valid = []
            valid!.reserveCapacity(total)
            for p in parts { valid! += p.valid ?? [Bool](repeating: true, count: p.count) }
        }
        switch parts.first?.storage {
        case .integers?:
            var out: [Int64] = []; out.reserveCapacity(total)
            for p in parts { if case .integers(let v) = p.storage { out += v } }
            return ColumnValues(storage: .integers(out), valid: valid)
        case .floats?:
            var out: [Double] = []; out.reserveCapacity(total)
            for p in parts { if case .floats(let v) = p.storage { out += v } }
            return ColumnValues(storage: .floats(out), valid: valid)
        case .text?:
            var table = TextTable()
            var codes: [Int32] = []; codes.reserveCapacity(total)
            for p in parts {
                guard case .text(let dictionary, let local) = p.storage else { continue }
                let map = dictionary.map { table.code(of: $0) }
                for c in local { codes.append(c < 0 ? -1 : map[Int(c)]) }
            }
            return ColumnValues(storage: .text(dictionary: table.values, codes: codes), valid: valid)
        case nil:
            return ColumnValues(storage: .floats([]), valid: nil)
        }
    }
}

/// Distinct strings in first-seen order, each with its code.
struct TextTable {
    private(set) var values: [String] = []
    private var codes: [String: Int32] = [:]
    mutating func code(of s: String) -> Int32 {
        if let c = codes[s] { return c }
        let c = Int32(values.count)
        values.append(s); codes[s] = c
        return c
    }
}
