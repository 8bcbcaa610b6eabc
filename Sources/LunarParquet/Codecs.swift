import CCodecs

/// Page compression: SNAPPY, ZSTD and GZIP through the system's libsnappy, libzstd and zlib.
/// A page says how large it is uncompressed, so every output buffer is allocated once, at that
/// size, and a codec that produces any other size is an error (a damaged page, not a crash).
enum Codecs {
    static func decompress(_ codec: Codec, _ input: UnsafeRawBufferPointer, into size: Int) throws -> [UInt8] {
        guard size >= 0 else { throw ThriftError(message: "a page of \(size) bytes") }
        if codec == .uncompressed {
            guard input.count == size else { throw ThriftError(message: "an uncompressed page of \(input.count) bytes says it holds \(size)") }
            return Array(input)
        }
        // The buffer is allocated at the page's claimed size before the codec reads a byte, so
        // the claim is checked first against the most each codec can expand its input (a
        // damaged header asked for 2 GiB): SNAPPY's densest element, a 3-byte copy, makes 64
        // bytes; deflate's longest match, 258 bytes, takes 2 bits at best; a ZSTD RLE block makes
        // 128 KiB of 4 bytes.
        let maxExpansion: Int
        switch codec {
        case .snappy: maxExpansion = 22
        case .gzip: maxExpansion = 1032
        case .zstd: maxExpansion = 32_768
        default: throw ThriftError(message: "compression \(codec.name) is not supported (UNCOMPRESSED, SNAPPY, ZSTD and GZIP are)")
        }
        guard size <= input.count * maxExpansion else {
            throw ThriftError(message: "a \(codec.name) page of \(input.count) bytes says it holds \(size)")
        }
        var out = [UInt8](repeating: 0, count: size)
        let produced: Int = try out.withUnsafeMutableBytes { dst in
            let dstBase = dst.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 1)!
            let src = input.baseAddress?.assumingMemoryBound(to: CChar.self)
            switch codec {
            case .snappy:
                var n = 0
                guard snappy_uncompressed_length(src, input.count, &n) == SNAPPY_OK, n == size else {
                    throw ThriftError(message: "a SNAPPY page that is not \(size) bytes uncompressed")
                }
                guard snappy_uncompress(src, input.count, dstBase.assumingMemoryBound(to: CChar.self), &n) == SNAPPY_OK else {
                    throw ThriftError(message: "a damaged SNAPPY page")
                }
                return n
            case .zstd:
                let n = ZSTD_decompress(dstBase, size, input.baseAddress, input.count)
                guard ZSTD_isError(n) == 0 else {
                    throw ThriftError(message: "a damaged ZSTD page (\(String(cString: ZSTD_getErrorName(n))))")
                }
                return n
            case .gzip:
                return try inflate(input, dstBase, size)
            default:
                throw ThriftError(message: "compression \(codec.name) is not supported (UNCOMPRESSED, SNAPPY, ZSTD and GZIP are)")
            }
        }
        guard produced == size else { throw ThriftError(message: "a \(codec.name) page of \(produced) bytes says it holds \(size)") }
        return out
    }

    /// GZIP pages hold a gzip member (RFC 1952); zlib's auto-detecting window (32 + 15) also
    /// takes the zlib streams some old writers produced.
    private static func inflate(_ input: UnsafeRawBufferPointer, _ dst: UnsafeMutableRawPointer, _ size: Int) throws -> Int {
        var stream = z_stream()
        guard inflateInit2_(&stream, 32 + 15, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw ThriftError(message: "zlib could not start")
        }
        defer { inflateEnd(&stream) }
        stream.next_in = UnsafeMutablePointer(mutating: input.baseAddress?.assumingMemoryBound(to: UInt8.self))
        stream.avail_in = UInt32(input.count)
        stream.next_out = dst.assumingMemoryBound(to: UInt8.self)
        stream.avail_out = UInt32(size)
        while true {
            let rc = zlib_inflate(&stream)
            if rc == Z_STREAM_END {
                // Concatenated members: start the next one where this ended.
                guard stream.avail_in > 0, stream.avail_out > 0 else { break }
                guard inflateReset(&stream) == Z_OK else { break }
                continue
            }
            guard rc == Z_OK else { throw ThriftError(message: "a damaged GZIP page") }
            if stream.avail_out == 0 && stream.avail_in == 0 { break }
            if stream.avail_out == 0 { throw ThriftError(message: "a GZIP page larger than the \(size) bytes it says it holds") }
        }
        return size - Int(stream.avail_out)
    }

    // MARK: - writing

    static func compress(_ codec: Codec, _ input: [UInt8]) throws -> [UInt8] {
        switch codec {
        case .uncompressed: return input
        case .snappy:
            var n = snappy_max_compressed_length(input.count)
            var out = [UInt8](repeating: 0, count: n)
            let rc = input.withUnsafeBytes { src in
                out.withUnsafeMutableBytes { dst in
                    snappy_compress(src.baseAddress?.assumingMemoryBound(to: CChar.self), input.count,
                                    dst.baseAddress!.assumingMemoryBound(to: CChar.self), &n)
                }
            }
            guard rc == SNAPPY_OK else { throw ThriftError(message: "snappy could not compress a page") }
            return Array(out[0 ..< n])
        case .zstd:
            var out = [UInt8](repeating: 0, count: ZSTD_compressBound(input.count))
            let n = input.withUnsafeBytes { src in
                out.withUnsafeMutableBytes { dst in ZSTD_compress(dst.baseAddress, dst.count, src.baseAddress, src.count, 3) }
            }
            guard ZSTD_isError(n) == 0 else { throw ThriftError(message: "zstd could not compress a page") }
            return Array(out[0 ..< n])
        case .gzip:
            var stream = z_stream()
            guard deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY,
                                ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                throw ThriftError(message: "zlib could not start")
            }
            defer { deflateEnd(&stream) }
            var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(input.count))) + 32)
            var input = input
            let written: Int = input.withUnsafeMutableBytes { src in
                out.withUnsafeMutableBytes { dst in
                    stream.next_in = src.baseAddress?.assumingMemoryBound(to: UInt8.self)
                    stream.avail_in = UInt32(src.count)
                    stream.next_out = dst.baseAddress!.assumingMemoryBound(to: UInt8.self)
                    stream.avail_out = UInt32(dst.count)
                    return zlib_deflate(&stream, Z_FINISH) == Z_STREAM_END ? dst.count - Int(stream.avail_out) : -1
                }
            }
            guard written >= 0 else { throw ThriftError(message: "zlib could not compress a page") }
            return Array(out[0 ..< written])
        default:
            throw ThriftError(message: "compression \(codec.name) is not written (UNCOMPRESSED, SNAPPY, ZSTD and GZIP are)")
        }
    }
}

// zlib's `inflate`/`deflate` share their names with nothing in Swift, but the Swift functions
// above are named after them; these aliases keep the calls unambiguous.
@inline(__always) private func zlib_inflate(_ s: UnsafeMutablePointer<z_stream>) -> Int32 { CCodecs.inflate(s, Z_NO_FLUSH) }
@inline(__always) private func zlib_deflate(_ s: UnsafeMutablePointer<z_stream>, _ flush: Int32) -> Int32 { CCodecs.deflate(s, flush) }
