// libFuzzer target: the Parquet reader (Sources/LunarParquet/): the Thrift footer and page
// headers, the codecs, the encodings and the loader's column rules.
//
// The input is written as one `.parquet` file and read twice:
//  1. `ParquetLoader.load(path:)`, as `--data x.parquet` reads it: a panel that loads must be
//     consistent (every field symbolCount × barCount values, dates strictly increasing);
//  2. `ParquetFile(path:)` and every column of it through `read(columns:threads: 1)`, so that
//     files the loader refuses early (no date column, odd types) still reach the decoders:
//     every column that decodes has one value per row, and its nulls and text codes agree.
import Foundation
import FuzzSupport
import LunarData
import LunarParquet

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzParquet(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let path = Fuzz.scratch + "/input.parquet"
    Fuzz.save(Fuzz.bytes(data, size), to: path)

    if let panel = try? ParquetLoader.load(path: path) {
        let cells = panel.symbolCount * panel.barCount
        precondition(panel.fields.values.allSatisfy { $0.count == cells }, "a loaded panel's fields disagree with its shape")
        precondition(zip(panel.timestamps, panel.timestamps.dropFirst()).allSatisfy { $0 < $1 }, "dates not increasing")
    }

    guard let file = try? ParquetFile(path: path), let columns = try? file.read(columns: Array(0 ..< file.columns.count), threads: 1) else {
        return 0
    }
    precondition(columns.count == file.columns.count, "read gave \(columns.count) columns for \(file.columns.count)")
    for (k, values) in columns.enumerated() {
        precondition(values.count == file.rowCount, "column \(k) has \(values.count) values for \(file.rowCount) rows")
        precondition(values.valid.map { $0.count == values.count } ?? true, "column \(k)'s null flags disagree with its values")
        if case .text(let dictionary, let codes) = values.storage {
            for (i, c) in codes.enumerated() {
                let isNull = values.valid.map { !$0[i] } ?? false
                precondition(isNull ? c == -1 : (0 ..< Int32(dictionary.count)).contains(c), "column \(k) row \(i): code \(c)")
            }
        }
    }
    return 0
}
