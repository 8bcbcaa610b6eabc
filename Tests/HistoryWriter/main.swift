// A test helper, not shipped: records many runs into one run history from one process, the way
// `lunar run` records one (a fresh `RunHistory` per record: open, migrate, insert, close), so
// tests can run many recording processes at once without paying for a backtest per record.
//
//     HistoryWriter DB COUNT TAG
//
// Prints each record's index on its own line once the record is committed, so a test that
// kills the process knows which records must have survived.
import Foundation
import LunarHistory
import LunarSim

let args = CommandLine.arguments
guard args.count == 4, let count = Int(args[2]) else {
    FileHandle.standardError.write(Data("usage: HistoryWriter DB COUNT TAG\n".utf8))
    exit(64)
}
let (db, tag) = (args[1], args[3])
for i in 0 ..< count {
    var r = RunRecord(createdAt: ISO8601DateFormatter().string(from: Date()), strategyName: "writer-\(tag)",
                      strategyPath: "/history-writer/\(tag).lua", strategyHash: "h\(i)",
                      files: ["/history-writer/\(tag).lua": "h\(i)", "/history-writer/lib.lua": "l"],
                      params: ["writer": tag, "i": String(i)], dataSpec: "synthetic:2:30", dataSymbols: 2,
                      dataFirst: "2015-01-02", dataLast: "2015-02-12", dataHash: "d\(i)", lunarVersion: "test",
                      options: ["engine": "fused"], metrics: ["total_return": Double(i) / 1000, "cagr": nil, "sharpe": -1.5])
    r.settings = SimulationOptions().settings
    r.dataBars = 30
    r.resultHash = "\(tag)-\(i)"
    do {
        try RunHistory(path: db).record(r)
    } catch {
        FileHandle.standardError.write(Data("error: record \(i): \(error)\n".utf8))
        exit(1)
    }
    FileHandle.standardOutput.write(Data("\(i)\n".utf8))   // unbuffered: a kill loses no report
}
