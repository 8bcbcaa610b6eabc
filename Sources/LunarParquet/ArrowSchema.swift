import Foundation

/// The time zones of the timestamp columns in the Arrow schema pyarrow and polars store in a
/// Parquet file's `ARROW:schema` metadata (base64 of an Arrow IPC message whose header is the
/// schema, a FlatBuffer: https://arrow.apache.org/docs/format/Columnar.html#serialization-and-interprocess-communication-ipc).
/// Parquet's own TIMESTAMP type only says "adjusted to UTC"; the zone the values were read on
/// lives here. Only the few tables on the way to each field's Timestamp type are read, every
/// offset bounds-checked: a damaged schema gives no zones, never a crash.
enum ArrowSchema {
    /// Column name → time zone, for timestamp columns that have one.
    static func timeZones(_ base64: String) -> [String: String] {
        guard let data = Data(base64Encoded: base64) else { return [:] }
        return data.withUnsafeBytes { raw -> [String: String] in
            var b = FlatBuffer(bytes: raw, base: 0)
            // An IPC message may start with the continuation marker and its length.
            if raw.count >= 8, b.u32(0) == 0xFFFF_FFFF { b.base = 8 }
            guard let message = b.root(), b.u8(message, field: 1) == 1,   // header_type Schema
                  let schema = b.table(message, field: 2), let fields = b.vector(schema, field: 1) else { return [:] }
            var out: [String: String] = [:]
            for k in 0 ..< fields.count {
                guard let field = b.element(fields, k), let name = b.string(field, field: 0),
                      b.u8(field, field: 2) == 10,                                   // type_type Timestamp
                      let timestamp = b.table(field, field: 3), let zone = b.string(timestamp, field: 1), !zone.isEmpty else { continue }
                out[name] = zone
            }
            return out
        }
    }

    /// Reads of a FlatBuffer; positions are absolute in `bytes`, `base` is where the buffer starts.
    struct FlatBuffer {
        let bytes: UnsafeRawBufferPointer
        var base: Int
        func ok(_ at: Int, _ n: Int) -> Bool { at >= 0 && n >= 0 && at <= bytes.count - n }
        func u32(_ at: Int) -> UInt32 { ok(at, 4) ? UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt32.self)) : 0 }
        func u16(_ at: Int) -> UInt16 { ok(at, 2) ? UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: UInt16.self)) : 0 }
        func root() -> Int? { ok(base, 4) ? base + Int(u32(base)) : nil }
        /// Where a table's field lives, or nil when the table has none (or is damaged).
        func field(_ table: Int, _ k: Int) -> Int? {
            guard ok(table, 4) else { return nil }
            let vtable = table - Int(Int32(bitPattern: u32(table)))
            guard ok(vtable, 4) else { return nil }
            let size = Int(u16(vtable))
            guard 4 + 2 * k + 2 <= size, ok(vtable, size) else { return nil }
            let offset = Int(u16(vtable + 4 + 2 * k))
            return offset == 0 ? nil : table + offset
        }
        func u8(_ table: Int, field k: Int) -> UInt8? { field(table, k).flatMap { ok($0, 1) ? bytes[$0] : nil } }
        /// The table, vector or string a field's offset points to.
        func target(_ table: Int, _ k: Int) -> Int? {
            guard let at = field(table, k), ok(at, 4) else { return nil }
            let t = at + Int(u32(at))
            return ok(t, 4) ? t : nil
        }
        func table(_ table: Int, field k: Int) -> Int? { target(table, k) }
        func vector(_ table: Int, field k: Int) -> (start: Int, count: Int)? {
            guard let v = target(table, k) else { return nil }
            let n = Int(u32(v))
            return ok(v + 4, 4 * n) ? (v + 4, n) : nil
        }
        func element(_ v: (start: Int, count: Int), _ i: Int) -> Int? {
            let at = v.start + 4 * i
            let t = at + Int(u32(at))
            return ok(t, 4) ? t : nil
        }
        func string(_ table: Int, field k: Int) -> String? {
            guard let s = target(table, k) else { return nil }
            let n = Int(u32(s))
            guard ok(s + 4, n) else { return nil }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[(s + 4) ..< (s + 4 + n)]), as: UTF8.self)
        }
    }
}
