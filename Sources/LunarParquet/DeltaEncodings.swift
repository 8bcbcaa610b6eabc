/// DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY and DELTA_BYTE_ARRAY (parquet-format
/// Encodings.md). Integers are stored as a first value and blocks of deltas: each block has a
/// minimum delta and miniblocks of (delta − minimum) bit-packed at the miniblock's own width.
/// Arithmetic wraps, as the spec says, so INT32 columns decode in 64 bits and are truncated.
enum DeltaEncodings {
    /// Decodes the integers at the start of `c`, leaving `c` just past the last miniblock used
    /// (where DELTA_LENGTH_BYTE_ARRAY's bytes begin).
    static func integers(_ c: inout ByteCursor, expected: Int? = nil) throws -> [Int64] {
        let blockSize = try c.count(limit: 1 << 20), miniblocks = try c.count(limit: 1 << 10)
        let total = try c.count(limit: Int(Int32.max))
        guard miniblocks > 0, blockSize > 0, blockSize % 128 == 0, blockSize % miniblocks == 0,
              (blockSize / miniblocks) % 32 == 0 else {
            throw ThriftError(message: "a DELTA_BINARY_PACKED block of \(blockSize) values in \(miniblocks) miniblocks")
        }
        if let expected, total != expected {
            throw ThriftError(message: "a DELTA_BINARY_PACKED run of \(total) values where the page holds \(expected)")
        }
        var value = try c.zigzag()
        var out: [Int64] = []
        guard total > 0 else { return out }
        // Every block takes at least one byte per miniblock width; a lying count fails here.
        guard (total - 1) / blockSize <= c.remaining else { throw ThriftError(message: "a DELTA_BINARY_PACKED count of \(total) past the page") }
        // `total` is the page's claim: reserved only as far as the bytes could hold at a bit a
        // value (miniblocks of width 0 hold more, and the array grows), so that a damaged claim
        // fails as the bytes run out instead of reserving 16 GiB first.
        out.reserveCapacity(min(total, c.remaining * 8 + 1))
        out.append(value)
        let perMiniblock = blockSize / miniblocks
        while out.count < total {
            let minDelta = try c.zigzag()
            let widths = try c.take(miniblocks)
            for m in 0 ..< miniblocks where out.count < total {
                let width = Int(c.bytes[widths.lowerBound + m])
                guard width <= 64 else { throw ThriftError(message: "a miniblock of width \(width)") }
                let body = try c.take(perMiniblock * width / 8)
                let n = min(perMiniblock, total - out.count)
                unpackBits(c.bytes, from: body.lowerBound, width: width, count: n) { _, delta in
                    value = value &+ minDelta &+ Int64(bitPattern: delta)
                    out.append(value)
                }
            }
        }
        return out
    }

    /// DELTA_LENGTH_BYTE_ARRAY: the lengths (delta-packed), then every value's bytes end to end.
    static func lengthByteArrays(_ c: inout ByteCursor, count: Int) throws -> [Range<Int>] {
        let lengths = try integers(&c, expected: count)
        var out: [Range<Int>] = []
        out.reserveCapacity(count)
        for n in lengths {
            guard n >= 0, n <= Int64(c.remaining) else { throw ThriftError(message: "a byte array of \(n) bytes where \(c.remaining) are left") }
            out.append(try c.take(Int(n)))
        }
        return out
    }

    /// DELTA_BYTE_ARRAY: each value is a prefix of the one before plus a suffix; prefix
    /// lengths delta-packed, then the suffixes as DELTA_LENGTH_BYTE_ARRAY.
    static func byteArrays(_ c: inout ByteCursor, count: Int) throws -> [[UInt8]] {
        let prefixes = try integers(&c, expected: count)
        let suffixes = try lengthByteArrays(&c, count: count)
        var out: [[UInt8]] = []
        out.reserveCapacity(count)
        var previous: [UInt8] = []
        for (p, s) in zip(prefixes, suffixes) {
            guard p >= 0, p <= Int64(previous.count) else {
                throw ThriftError(message: "a DELTA_BYTE_ARRAY prefix of \(p) bytes of a \(previous.count)-byte value")
            }
            var v = Array(previous[0 ..< Int(p)])
            v.append(contentsOf: UnsafeRawBufferPointer(rebasing: c.bytes[s]))
            out.append(v)
            previous = v
        }
        return out
    }
}
