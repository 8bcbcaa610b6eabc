/// The Thrift compact protocol, the encoding of Parquet's footer and page headers
/// (https://github.com/apache/thrift/blob/master/doc/specs/thrift-compact-protocol.md).
///
/// Only what Parquet's metadata uses: structs of fields, zigzag varints, doubles, binaries,
/// lists. The reader is written for hostile bytes: every length is checked against what is
/// left, nesting is bounded, and an unknown field of any type is skipped, so metadata from a
/// newer writer still reads.
enum ThriftType: UInt8 {
    case stop = 0, boolTrue = 1, boolFalse = 2, byte = 3, i16 = 4, i32 = 5, i64 = 6, double = 7
    case binary = 8, list = 9, set = 10, map = 11, structure = 12
}

struct ThriftError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}

/// Reads compact-protocol values from a byte buffer, front to back.
struct ThriftReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var position: Int
    /// Structs and lists open now; metadata nests a few levels, a fuzzer's bytes thousands.
    private var depth = 0
    private static let maxDepth = 64

    init(_ bytes: UnsafeRawBufferPointer, at position: Int = 0) { self.bytes = bytes; self.position = position }

    var remaining: Int { bytes.count - position }

    mutating func byte() throws -> UInt8 { try cursor { try $0.byte() } }
    mutating func varint() throws -> UInt64 { try cursor { try $0.varint() } }
    mutating func zigzag() throws -> Int64 { try cursor { try $0.zigzag() } }

    /// The varint rules are the pages' too: one implementation, in ByteCursor.
    private mutating func cursor<T>(_ read: (inout ByteCursor) throws -> T) throws -> T {
        var c = ByteCursor(bytes, at: position)
        defer { position = c.position }
        return try read(&c)
    }

    mutating func i32() throws -> Int32 {
        let v = try zigzag()
        guard let r = Int32(exactly: v) else { throw ThriftError(message: "an i32 field holds \(v)") }
        return r
    }

    mutating func double() throws -> Double {
        guard remaining >= 8 else { throw ThriftError(message: "metadata ends in the middle of a double") }
        var bits: UInt64 = 0
        for k in 0 ..< 8 { bits |= UInt64(bytes[position + k]) << (8 * UInt64(k)) }
        position += 8
        return Double(bitPattern: bits)
    }

    /// A binary's bytes as a range of `bytes` (no copy).
    mutating func binary() throws -> Range<Int> {
        let n = try varint()
        guard n <= UInt64(remaining) else { throw ThriftError(message: "a binary of \(n) bytes where \(remaining) are left") }
        defer { position += Int(n) }
        return position ..< position + Int(n)
    }

    mutating func string() throws -> String {
        let r = try binary()
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[r]), as: UTF8.self)
    }

    /// Calls `field(id, type)` for each field of a struct; `field` must read or `skip` the value.
    mutating func readStruct(_ field: (inout ThriftReader, Int16, ThriftType) throws -> Void) throws {
        depth += 1
        guard depth <= Self.maxDepth else { throw ThriftError(message: "metadata nested more than \(Self.maxDepth) deep") }
        defer { depth -= 1 }
        var last: Int16 = 0
        while true {
            let header = try byte()
            guard let type = ThriftType(rawValue: header & 0x0F) else { throw ThriftError(message: "unknown field type \(header & 0x0F)") }
            if type == .stop { return }
            let delta = Int16(header >> 4)
            if delta != 0 { last &+= delta } else {
                let id = try zigzag()
                guard let id16 = Int16(exactly: id) else { throw ThriftError(message: "field id \(id)") }
                last = id16
            }
            try field(&self, last, type)
        }
    }

    /// A list's element type and count; the caller reads the elements.
    mutating func listHeader() throws -> (type: ThriftType, count: Int) {
        let header = try byte()
        guard let type = ThriftType(rawValue: header & 0x0F) else { throw ThriftError(message: "unknown list element type \(header & 0x0F)") }
        var count = UInt64(header >> 4)
        if count == 15 { count = try varint() }
        // Every element takes at least one byte (a struct its stop byte).
        guard count <= UInt64(remaining) else { throw ThriftError(message: "a list of \(count) elements where \(remaining) bytes are left") }
        return (type, Int(count))
    }

    mutating func list<T>(_ element: (inout ThriftReader) throws -> T) throws -> [T] {
        let (_, count) = try listHeader()
        depth += 1
        guard depth <= Self.maxDepth else { throw ThriftError(message: "metadata nested more than \(Self.maxDepth) deep") }
        defer { depth -= 1 }
        var out: [T] = []
        out.reserveCapacity(count)
        for _ in 0 ..< count { out.append(try element(&self)) }
        return out
    }

    /// A bool field's value lives in its type nibble.
    static func bool(_ type: ThriftType) throws -> Bool {
        switch type {
        case .boolTrue: return true
        case .boolFalse: return false
        default: throw ThriftError(message: "a bool field of type \(type)")
        }
    }

    mutating func skip(_ type: ThriftType) throws {
        switch type {
        case .stop, .boolTrue, .boolFalse: return
        case .byte: position += 1; guard position <= bytes.count else { throw ThriftError(message: "metadata ends in the middle of a byte") }
        case .i16, .i32, .i64: _ = try varint()
        case .double: _ = try double()
        case .binary: _ = try binary()
        case .structure: try readStruct { r, _, t in try r.skip(t) }
        case .list, .set:
            let (t, n) = try listHeader()
            depth += 1
            guard depth <= Self.maxDepth else { throw ThriftError(message: "metadata nested more than \(Self.maxDepth) deep") }
            defer { depth -= 1 }
            for _ in 0 ..< n {
                // Bools in a list are one byte each.
                if t == .boolTrue || t == .boolFalse { _ = try byte() } else { try skip(t) }
            }
        case .map:
            let n = try varint()
            guard n <= UInt64(remaining) else { throw ThriftError(message: "a map of \(n) entries where \(remaining) bytes are left") }
            if n == 0 { return }
            let kv = try byte()
            guard let k = ThriftType(rawValue: kv >> 4), let v = ThriftType(rawValue: kv & 0x0F) else { throw ThriftError(message: "unknown map types") }
            for _ in 0 ..< n { try skip(k); try skip(v) }
        }
    }
}

/// Writes compact-protocol values; fields are written in increasing id order, as Thrift does.
struct ThriftWriter {
    private(set) var bytes: [UInt8] = []
    private var lastField: [Int16] = [0]

    mutating func varint(_ v: UInt64) {
        var v = v
        while v >= 0x80 { bytes.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        bytes.append(UInt8(v))
    }
    mutating func zigzag(_ v: Int64) { varint(UInt64(bitPattern: (v << 1) ^ (v >> 63))) }
    mutating func appendByte(_ b: UInt8) { bytes.append(b) }

    private mutating func fieldHeader(_ id: Int16, _ type: ThriftType) {
        let delta = id - lastField[lastField.count - 1]
        if delta > 0 && delta <= 15 { bytes.append(UInt8(delta) << 4 | type.rawValue) } else {
            bytes.append(type.rawValue); zigzag(Int64(id))
        }
        lastField[lastField.count - 1] = id
    }

    mutating func field(_ id: Int16, i32 v: Int32) { fieldHeader(id, .i32); zigzag(Int64(v)) }
    mutating func field(_ id: Int16, i64 v: Int64) { fieldHeader(id, .i64); zigzag(v) }
    mutating func field(_ id: Int16, bool v: Bool) { fieldHeader(id, v ? .boolTrue : .boolFalse) }
    mutating func field(_ id: Int16, string v: String) {
        fieldHeader(id, .binary); varint(UInt64(v.utf8.count)); bytes.append(contentsOf: v.utf8)
    }
    mutating func field(_ id: Int16, binary v: [UInt8]) { fieldHeader(id, .binary); varint(UInt64(v.count)); bytes.append(contentsOf: v) }
    mutating func field(_ id: Int16, structure body: (inout ThriftWriter) -> Void) {
        fieldHeader(id, .structure)
        structBody(body)
    }
    /// A list field of `count` elements of `type`, each written by `element`.
    mutating func field(_ id: Int16, list type: ThriftType, count: Int, _ element: (inout ThriftWriter, Int) -> Void) {
        fieldHeader(id, .list)
        if count < 15 { bytes.append(UInt8(count) << 4 | type.rawValue) } else { bytes.append(0xF0 | type.rawValue); varint(UInt64(count)) }
        for k in 0 ..< count {
            if type == .structure { structBody { element(&$0, k) } } else { element(&self, k) }
        }
    }
    mutating func structBody(_ body: (inout ThriftWriter) -> Void) {
        lastField.append(0)
        body(&self)
        bytes.append(ThriftType.stop.rawValue)
        lastField.removeLast()
    }
}
