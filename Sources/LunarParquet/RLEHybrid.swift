/// The RLE / bit-packed hybrid (parquet-format Encodings.md, "RLE"): definition levels and
/// dictionary indices. Runs follow each other: a varint header whose low bit says which kind;
/// `header >> 1` is either a repeat count (the value follows in ⌈width/8⌉ bytes) or a number
/// of groups of eight bit-packed values.
enum RLEHybrid {
    /// `count` values of `width` bits, allocated only once the runs are seen to hold them all:
    /// `count` is a page header's word, and a damaged one (with a footer to match) claiming
    /// 2^31 values over a few bytes of runs asked for 8 GiB before the runs ran out.
    static func decode(_ bytes: UnsafeRawBufferPointer, width: Int, count: Int) throws -> [UInt32] {
        try decode(bytes, width: width, count: count, into: nil)
        var out = [UInt32](repeating: 0, count: count)
        try out.withUnsafeMutableBufferPointer { try decode(bytes, width: width, count: count, into: $0.baseAddress) }
        return out
    }

    /// Decodes exactly `count` values of `width` bits (0…32) into `out` (nil: only checks that the
    /// runs hold them). The last bit-packed run may hold padding past `count`; running out of
    /// runs before `count` is an error.
    static func decode(_ bytes: UnsafeRawBufferPointer, width: Int, count: Int, into out: UnsafeMutablePointer<UInt32>?) throws {
        guard (0 ... 32).contains(width) else { throw ThriftError(message: "a bit width of \(width)") }
        var c = ByteCursor(bytes)
        var done = 0
        while done < count {
            let header = try c.varint()
            if header & 1 == 1 {
                let groups = header >> 1
                guard groups <= UInt64(c.remaining) else { throw ThriftError(message: "a bit-packed run past the end of its page") }
                let values = Int(groups) * 8
                let n = min(values, count - done)
                // Some writers end the last run with only the bytes its values need.
                let body = try c.take(min(values * width / 8, max((n * width + 7) / 8, c.remaining)))
                guard body.count >= (n * width + 7) / 8 else { throw ThriftError(message: "a bit-packed run past the end of its page") }
                if let out {
                    let base = out + done
                    unpackBits(bytes, from: body.lowerBound, width: width, count: n) { i, v in base[i] = UInt32(truncatingIfNeeded: v) }
                }
                done += n
            } else {
                let repeats = header >> 1
                let value = UInt32(truncatingIfNeeded: try c.littleEndian((width + 7) / 8))
                let n = Int(min(repeats, UInt64(count - done)))
                if let out { (out + done).update(repeating: value, count: n) }
                done += n
                if repeats == 0 && c.remaining == 0 { break }
            }
        }
        guard done == count else { throw ThriftError(message: "levels or indices end after \(done) of \(count) values") }
    }

    /// Bits needed for values up to `max`.
    static func width(_ max: Int) -> Int { max == 0 ? 0 : Int.bitWidth - max.leadingZeroBitCount }

    /// Encodes `values` as RLE runs only (a repeat count and the value): definition levels and
    /// dictionary indices of the files Lunar writes are long runs or short tables.
    static func encode(_ values: [UInt32], width: Int) -> [UInt8] {
        var w = ThriftWriter()
        var i = 0
        while i < values.count {
            var j = i + 1
            while j < values.count && values[j] == values[i] { j += 1 }
            w.varint(UInt64(j - i) << 1)
            for k in 0 ..< (width + 7) / 8 { w.appendByte(UInt8(truncatingIfNeeded: values[i] >> (8 * UInt32(k)))) }
            i = j
        }
        return w.bytes
    }
}
