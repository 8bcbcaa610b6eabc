import Foundation

/// Decodes one column chunk (one column of one row group) from the file's bytes: its
/// dictionary page, then data pages v1 and v2, each decompressed, its definition levels read
/// (a flat optional column has levels 0 = null, 1 = value) and its values decoded.
struct ColumnChunkReader {
    let file: UnsafeRawBufferPointer
    let column: LeafColumn
    let meta: ColumnMetaData
    let rows: Int

    /// Decoded physical values so far, before nulls are spread out.
    private enum Dense {
        case integers([Int64]), floats([Double]), bytes(TextTable, [Int32])
    }

    func read() throws -> ColumnValues {
        guard let codec = Codec(rawValue: meta.codec) else { throw ThriftError(message: "unknown compression codec \(meta.codec)") }
        var start = meta.dataPageOffset
        if let d = meta.dictionaryPageOffset, d > 0, d < start { start = d }
        let (end, overflow) = start.addingReportingOverflow(meta.totalCompressedSize)
        guard start >= 4, !overflow, end <= Int64(file.count) else {
            throw ThriftError(message: "the column chunk's bytes \(start)..<\(end) lie outside the file of \(file.count) bytes")
        }
        guard meta.valueCount == Int64(rows) else {
            throw ThriftError(message: "the column chunk holds \(meta.valueCount) values for \(rows) rows (a repeated or nested column?)")
        }
        var position = Int(start)
        var dictionary: Dense? = nil
        var values = empty()
        // nil until a null is seen: most columns have none, and a flag per row costs a pass.
        var valid: [Bool]? = nil
        var done = 0
        while done < rows {
            guard position < Int(end) else { throw ThriftError(message: "the column chunk ends after \(done) of \(rows) values") }
            var r = ThriftReader(UnsafeRawBufferPointer(rebasing: file[position ..< Int(end)]))
            let header = try PageHeader(&r)
            let bodyStart = position + r.position
            guard header.compressedSize >= 0, header.uncompressedSize >= 0, Int(header.compressedSize) <= Int(end) - bodyStart else {
                throw ThriftError(message: "a page of \(header.compressedSize) bytes past the column chunk's end")
            }
            let body = UnsafeRawBufferPointer(rebasing: file[bodyStart ..< bodyStart + Int(header.compressedSize)])
            position = bodyStart + Int(header.compressedSize)
            switch PageType(rawValue: header.type) {
            case .dictionary?:
                guard dictionary == nil else { throw ThriftError(message: "a second dictionary page") }
                let raw = try Codecs.decompress(codec, body, into: Int(header.uncompressedSize))
                // PLAIN takes a bit per value at least: a damaged count beyond that made 2^31 empty
                // strings of a zero-width FIXED_LEN_BYTE_ARRAY (a hang, then 8 GiB).
                guard header.valueCount >= 0, Int(header.valueCount) <= raw.count * 8 else {
                    throw ThriftError(message: "a dictionary of \(header.valueCount) values in \(raw.count) bytes")
                }
                dictionary = try raw.withUnsafeBytes { try plain($0, count: Int(header.valueCount)) }
            case .data?:
                let raw = try Codecs.decompress(codec, body, into: Int(header.uncompressedSize))
                try raw.withUnsafeBytes { page in
                    var c = ByteCursor(page)
                    let n = try pageValueCount(header, done)
                    var levels: [UInt32]? = nil
                    if column.maxDefinition > 0 {
                        guard header.definitionEncoding == Encoding.rle.rawValue else {
                            throw ThriftError(message: "definition levels in encoding \(header.definitionEncoding) (only RLE is read)")
                        }
                        let length = Int(try c.littleEndian(4))
                        let r = try c.take(length)
                        levels = try definitionLevels(UnsafeRawBufferPointer(rebasing: page[r]), n)
                    }
                    let present = levels.map { $0.reduce(0) { $0 + Int($1) } } ?? n
                    try decodeValues(UnsafeRawBufferPointer(rebasing: page[c.position...]), encoding: header.encoding, count: present,
                                     dictionary: dictionary, into: &values)
                    record(levels, n, done, &valid)
                    done += n
                }
            case .dataV2?:
                let n = try pageValueCount(header, done)
                let levelBytes = Int(header.repetitionBytes) + Int(header.definitionBytes)
                guard header.repetitionBytes >= 0, header.definitionBytes >= 0, levelBytes <= body.count,
                      levelBytes <= Int(header.uncompressedSize) else {
                    throw ThriftError(message: "a v2 page's levels of \(levelBytes) bytes in a page of \(body.count)")
                }
                var levels: [UInt32]? = nil
                if column.maxDefinition > 0 {
                    let defStart = Int(header.repetitionBytes)
                    levels = try definitionLevels(UnsafeRawBufferPointer(rebasing: body[defStart ..< defStart + Int(header.definitionBytes)]), n)
                }
                let rest = UnsafeRawBufferPointer(rebasing: body[levelBytes...])
                let raw = try Codecs.decompress(header.isCompressed ? codec : .uncompressed, rest,
                                                into: Int(header.uncompressedSize) - levelBytes)
                let present = levels.map { $0.reduce(0) { $0 + Int($1) } } ?? n
                try raw.withUnsafeBytes { try decodeValues($0, encoding: header.encoding, count: present, dictionary: dictionary, into: &values) }
                record(levels, n, done, &valid)
                done += n
            case .index?, nil:
                continue   // index pages (and kinds newer than this reader) carry no values
            }
        }
        return spread(values, valid: valid)
    }

    private func pageValueCount(_ header: PageHeader, _ done: Int) throws -> Int {
        guard header.valueCount >= 0, Int(header.valueCount) <= rows - done else {
            throw ThriftError(message: "a page of \(header.valueCount) values where \(rows - done) rows are left")
        }
        return Int(header.valueCount)
    }

    private func definitionLevels(_ bytes: UnsafeRawBufferPointer, _ n: Int) throws -> [UInt32] {
        let levels = try RLEHybrid.decode(bytes, width: 1, count: n)
        guard levels.allSatisfy({ $0 <= 1 }) else { throw ThriftError(message: "a definition level above 1 in a flat column") }
        return levels
    }

    /// Notes a page's nulls (levels 0) after `done` rows; `valid` is made at the first null.
    private func record(_ levels: [UInt32]?, _ n: Int, _ done: Int, _ valid: inout [Bool]?) {
        if let levels, levels.contains(0) {
            if valid == nil {
                valid = [Bool](repeating: true, count: done)
                valid!.reserveCapacity(rows)
            }
            valid!.append(contentsOf: levels.lazy.map { $0 == 1 })
        } else if valid != nil {
            valid!.append(contentsOf: repeatElement(true, count: n))
        }
    }

    /// Room for the chunk's values up front, so pages append without regrowing (each regrowth
    /// is a copy into fresh pages the kernel must fault in). The footer's row count is already
    /// checked against the file; a damaged one only wastes what this reserves.
    private func empty() -> Dense {
        let room = min(rows, file.count)
        switch column.physical {
        case .float, .double: var v: [Double] = []; v.reserveCapacity(room); return .floats(v)
        case .byteArray, .fixedLenByteArray: var v: [Int32] = []; v.reserveCapacity(room); return .bytes(TextTable(), v)
        default: var v: [Int64] = []; v.reserveCapacity(room); return .integers(v)
        }
    }

    // MARK: - values

    /// `count` PLAIN values of the column's physical type.
    private func plain(_ bytes: UnsafeRawBufferPointer, count: Int) throws -> Dense {
        var c = ByteCursor(bytes)
        switch column.physical {
        case .int32:
            let r = try c.take(count * 4)
            return .integers((0 ..< count).map { Int64(Int32(bitPattern: bytes.loadUnaligned(fromByteOffset: r.lowerBound + 4 * $0, as: UInt32.self).littleEndian)) })
        case .int64:
            let r = try c.take(count * 8)
            return .integers((0 ..< count).map { Int64(bitPattern: bytes.loadUnaligned(fromByteOffset: r.lowerBound + 8 * $0, as: UInt64.self).littleEndian) })
        case .int96:
            // Legacy timestamps: nanoseconds of the day, then the Julian day (2440588 = 1970-01-01).
            let r = try c.take(count * 12)
            return .integers((0 ..< count).map {
                let o = r.lowerBound + 12 * $0
                let nanos = Int64(bitPattern: bytes.loadUnaligned(fromByteOffset: o, as: UInt64.self).littleEndian)
                let day = Int64(Int32(bitPattern: bytes.loadUnaligned(fromByteOffset: o + 8, as: UInt32.self).littleEndian))
                return (day - 2_440_588) &* 86_400_000_000_000 &+ nanos
            })
        case .float:
            let r = try c.take(count * 4)
            return .floats((0 ..< count).map { Double(Float(bitPattern: bytes.loadUnaligned(fromByteOffset: r.lowerBound + 4 * $0, as: UInt32.self).littleEndian)) })
        case .double:
            let r = try c.take(count * 8)
            return .floats([Double](unsafeUninitializedCapacity: count) { out, n in
                for i in 0 ..< count { out[i] = Double(bitPattern: bytes.loadUnaligned(fromByteOffset: r.lowerBound + 8 * i, as: UInt64.self).littleEndian) }
                n = count
            })
        case .boolean:
            let r = try c.take((count + 7) / 8)
            return .integers((0 ..< count).map { Int64(bytes[r.lowerBound + $0 / 8] >> UInt8($0 % 8) & 1) })
        case .byteArray:
            // Every value starts with its 4-byte length: a count beyond that is damage, refused
            // before reserving room for it (a dictionary page claiming 2^31 values reserved 8 GiB).
            guard count <= bytes.count / 4 else { throw ThriftError(message: "\(count) byte arrays in \(bytes.count) bytes") }
            var table = TextTable(), codes: [Int32] = []
            codes.reserveCapacity(count)
            for _ in 0 ..< count {
                let n = Int(try c.littleEndian(4))
                codes.append(table.code(of: text(bytes, try c.take(n))))
            }
            return .bytes(table, codes)
        case .fixedLenByteArray:
            let width = Int(column.typeLength)
            // Width 0 holds nothing (parquet-mr refuses to write it), and its values cost no bytes,
            // so a damaged count of them could not be checked against the page.
            guard width > 0 else { throw ThriftError(message: "a fixed-length byte array of \(width) bytes") }
            var table = TextTable(), codes: [Int32] = []
            for _ in 0 ..< count { codes.append(table.code(of: text(bytes, try c.take(width)))) }
            return .bytes(table, codes)
        }
    }

    private func text(_ bytes: UnsafeRawBufferPointer, _ r: Range<Int>) -> String {
        String(decoding: UnsafeRawBufferPointer(rebasing: bytes[r]), as: UTF8.self)
    }

    private func decodeValues(_ bytes: UnsafeRawBufferPointer, encoding raw: Int32, count: Int, dictionary: Dense?,
                              into values: inout Dense) throws {
        guard let encoding = Encoding(rawValue: raw) else { throw ThriftError(message: "unknown encoding \(raw)") }
        let page: Dense
        switch encoding {
        case .plain:
            page = try plain(bytes, count: count)
        case .plainDictionary, .rleDictionary:
            guard let dictionary else { throw ThriftError(message: "dictionary indices without a dictionary page") }
            var c = ByteCursor(bytes)
            let width = Int(try c.byte())
            let indices = try RLEHybrid.decode(UnsafeRawBufferPointer(rebasing: bytes[c.position...]), width: width, count: count)
            page = try lookUp(indices, in: dictionary)
        case .deltaBinaryPacked:
            guard column.physical == .int32 || column.physical == .int64 else { throw unsupported(encoding) }
            var c = ByteCursor(bytes)
            var v = try DeltaEncodings.integers(&c, expected: count)
            if column.physical == .int32 { for i in v.indices { v[i] = Int64(Int32(truncatingIfNeeded: v[i])) } }
            page = .integers(v)
        case .deltaLengthByteArray:
            guard column.physical == .byteArray else { throw unsupported(encoding) }
            var c = ByteCursor(bytes)
            var table = TextTable()
            let codes = try DeltaEncodings.lengthByteArrays(&c, count: count).map { table.code(of: text(bytes, $0)) }
            page = .bytes(table, codes)
        case .deltaByteArray:
            guard column.physical == .byteArray || column.physical == .fixedLenByteArray else { throw unsupported(encoding) }
            var c = ByteCursor(bytes)
            var table = TextTable()
            let codes = try DeltaEncodings.byteArrays(&c, count: count).map { table.code(of: String(decoding: $0, as: UTF8.self)) }
            page = .bytes(table, codes)
        case .byteStreamSplit:
            page = try byteStreamSplit(bytes, count: count)
        case .rle:
            guard column.physical == .boolean else { throw unsupported(encoding) }
            // v2 booleans: a 4-byte length, then the hybrid at width 1.
            var c = ByteCursor(bytes)
            let r = try c.take(Int(try c.littleEndian(4)))
            let bits = try RLEHybrid.decode(UnsafeRawBufferPointer(rebasing: bytes[r]), width: 1, count: count)
            page = .integers(bits.map(Int64.init))
        case .bitPacked:
            throw unsupported(encoding)
        }
        append(page, to: &values)
    }

    private func unsupported(_ e: Encoding) -> ThriftError {
        ThriftError(message: "encoding \(e.name) on a \(column.physical) column is not read")
    }

    /// BYTE_STREAM_SPLIT: byte k of every value is in stream k, the streams end to end.
    private func byteStreamSplit(_ bytes: UnsafeRawBufferPointer, count: Int) throws -> Dense {
        let width: Int
        switch column.physical {
        case .float, .int32: width = 4
        case .double, .int64: width = 8
        default: throw unsupported(.byteStreamSplit)
        }
        guard count * width <= bytes.count else { throw ThriftError(message: "a BYTE_STREAM_SPLIT page of \(bytes.count) bytes for \(count) values") }
        func value(_ i: Int) -> UInt64 {
            var v: UInt64 = 0
            for k in 0 ..< width { v |= UInt64(bytes[k * count + i]) << (8 * UInt64(k)) }
            return v
        }
        switch column.physical {
        case .float: return .floats((0 ..< count).map { Double(Float(bitPattern: UInt32(truncatingIfNeeded: value($0)))) })
        case .double: return .floats((0 ..< count).map { Double(bitPattern: value($0)) })
        case .int32: return .integers((0 ..< count).map { Int64(Int32(truncatingIfNeeded: value($0))) })
        default: return .integers((0 ..< count).map { Int64(bitPattern: value($0)) })
        }
    }

    private func lookUp(_ indices: [UInt32], in dictionary: Dense) throws -> Dense {
        func check(_ n: Int) throws {
            if let bad = indices.first(where: { Int($0) >= n }) { throw ThriftError(message: "dictionary index \(bad) of a dictionary of \(n)") }
        }
        switch dictionary {
        case .integers(let d): try check(d.count); return .integers(indices.map { d[Int($0)] })
        case .floats(let d): try check(d.count); return .floats(indices.map { d[Int($0)] })
        case .bytes(let table, let codes): try check(codes.count); return .bytes(table, indices.map { codes[Int($0)] })
        }
    }

    /// Appends in place: `values` is emptied before the append so its array is uniquely held
    /// (a tuple switch over both would hold a second reference and copy the chunk every page).
    private func append(_ page: Dense, to values: inout Dense) {
        switch page {
        case .integers(let b):
            guard case .integers(var a) = values else { return }
            values = .integers([]); a += b; values = .integers(a)
        case .floats(let b):
            guard case .floats(var a) = values else { return }
            values = .floats([]); a += b; values = .floats(a)
        case .bytes(let pageTable, let pageCodes):
            guard case .bytes(var table, var codes) = values else { return }
            values = .integers([])
            let map = pageTable.values.map { table.code(of: $0) }
            codes += pageCodes.map { map[Int($0)] }
            values = .bytes(table, codes)
        }
    }

    /// Dense values spread over the rows: a null row gets 0 (code −1) and `valid` false.
    private func spread(_ dense: Dense, valid: [Bool]?) -> ColumnValues {
        func spreadOut<T>(_ d: [T], _ zero: T) -> [T] {
            guard let valid else { return d }
            var out = [T](repeating: zero, count: valid.count)
            var k = 0
            for (i, v) in valid.enumerated() where v { out[i] = d[k]; k += 1 }
            return out
        }
        switch dense {
        case .integers(let d): return ColumnValues(storage: .integers(spreadOut(d, 0)), valid: valid)
        case .floats(let d): return ColumnValues(storage: .floats(spreadOut(d, 0)), valid: valid)
        case .bytes(let table, let codes): return ColumnValues(storage: .text(dictionary: table.values, codes: spreadOut(codes, -1)), valid: valid)
        }
    }
}
