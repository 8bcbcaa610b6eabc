/// Bounds-checked reads from a page's bytes: every decoder goes through it, so damaged data
/// can only produce an error.
struct ByteCursor {
    let bytes: UnsafeRawBufferPointer
    var position: Int

    init(_ bytes: UnsafeRawBufferPointer, at position: Int = 0) { self.bytes = bytes; self.position = position }

    var remaining: Int { bytes.count - position }

    mutating func byte() throws -> UInt8 {
        guard position < bytes.count else { throw ThriftError(message: "the bytes end in the middle of a value") }
        defer { position += 1 }
        return bytes[position]
    }

    /// ULEB128, as Thrift, the RLE hybrid and the delta encodings write lengths and counts.
    mutating func varint() throws -> UInt64 {
        var value: UInt64 = 0, shift: UInt64 = 0
        while true {
            let b = try byte()
            value |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return value }
            shift += 7
            guard shift < 64 else { throw ThriftError(message: "a varint longer than 10 bytes") }
        }
    }

    mutating func zigzag() throws -> Int64 {
        let v = try varint()
        return Int64(bitPattern: (v >> 1) ^ (0 &- (v & 1)))
    }

    /// A count that must fit what is left when each item takes at least `minimumBytes` bytes
    /// (0: no bound from the bytes, e.g. run lengths, bounded by the caller).
    mutating func count(each minimumBytes: Int = 0, limit: Int = Int(Int32.max)) throws -> Int {
        let v = try varint()
        guard v <= UInt64(limit), minimumBytes == 0 || v <= UInt64(remaining / minimumBytes) else {
            throw ThriftError(message: "a count of \(v) where \(remaining) bytes are left")
        }
        return Int(v)
    }

    /// `n` bytes as a range, advancing past them.
    mutating func take(_ n: Int) throws -> Range<Int> {
        guard n >= 0, n <= remaining else { throw ThriftError(message: "\(n) bytes wanted where \(remaining) are left") }
        defer { position += n }
        return position ..< position + n
    }

    /// A little-endian unsigned integer of `width` bytes (0…8).
    mutating func littleEndian(_ width: Int) throws -> UInt64 {
        let r = try take(width)
        var v: UInt64 = 0
        for (k, i) in r.enumerated() { v |= UInt64(bytes[i]) << (8 * UInt64(k)) }
        return v
    }
}

/// Values of `width` bits packed LSB first, as Parquet's bit-packed runs and delta miniblocks
/// store them. `bytes` must hold them all (callers check the length first).
@inline(__always)
func unpackBits(_ bytes: UnsafeRawBufferPointer, from start: Int, width: Int, count: Int, _ emit: (Int, UInt64) -> Void) {
    if width == 0 { for i in 0 ..< count { emit(i, 0) }; return }
    let mask: UInt64 = width == 64 ? ~0 : (1 << UInt64(width)) - 1
    var bitOffset = 0
    for i in 0 ..< count {
        let byteIndex = start + bitOffset >> 3, shift = bitOffset & 7
        // Up to 9 bytes hold one value of 64 bits at an odd offset.
        var v: UInt64 = 0
        let needed = (shift + width + 7) >> 3
        for k in 0 ..< min(needed, 8) { v |= UInt64(bytes[byteIndex + k]) << (8 * UInt64(k)) }
        v >>= UInt64(shift)
        if needed == 9 { v |= UInt64(bytes[byteIndex + 8]) << UInt64(64 - shift) }
        emit(i, v & mask)
        bitOffset += width
    }
}
