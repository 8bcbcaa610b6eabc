import Foundation
import LunarData

/// Where a finished run goes: the console, result files, a run history, a database, a
/// dashboard. The CLI hands every run to its sinks in order; a sink that throws stops the rest,
/// so put the ones that must not be lost (files) first.
public protocol ResultSink {
    func deliver(_ report: RunReport, context: RunContext) throws
}

/// Facts about the run that are not in the report itself.
public struct RunContext: Sendable {
    /// Seconds the run took (compile to metrics), when known.
    public var elapsed: Double?
    public init(elapsed: Double? = nil) { self.elapsed = elapsed }
}

/// The summary table, or summary.json's text, on standard output.
public struct ConsoleSink: ResultSink {
    public enum Format: Sendable { case table, json }
    public var format: Format
    /// A folder the files went to, mentioned after the table.
    public var filesWrittenTo: String?
    public var output: (String) -> Void

    public init(format: Format = .table, filesWrittenTo: String? = nil, output: @escaping (String) -> Void = { print($0, terminator: "") }) {
        self.format = format; self.filesWrittenTo = filesWrittenTo; self.output = output
    }

    public func deliver(_ report: RunReport, context: RunContext) throws {
        switch format {
        case .json: output(ResultWriter.summaryJSON(report))
        case .table:
            output(ConsoleSummary.render(report, elapsed: context.elapsed))
            if let dir = filesWrittenTo { output("results written to \(dir)/\n") }
        }
    }
}

/// summary.json, symbols.csv, trades.csv, equity.csv and report.html in a folder, written as a
/// whole: the folder is complete or absent, never half-written (see `ResultFolder.replace`).
public struct FileSink: ResultSink {
    public var directory: String
    public var format: ResultFormat
    public init(directory: String, format: ResultFormat = .csv) { self.directory = directory; self.format = format }
    public func deliver(_ report: RunReport, context: RunContext) throws { try ResultWriter.write(report, to: directory, format: format) }
}

/// Sinks every run also goes to, after the ones a command asks for (a run history, say).
public enum ResultSinks {
    public static func register(_ sink: some ResultSink & Sendable) {
        lock.lock(); defer { lock.unlock() }
        registered.append(sink)
    }

    /// Hands `report` to `sinks`, then to every registered sink.
    public static func deliver(_ report: RunReport, to sinks: [any ResultSink], context: RunContext = RunContext()) throws {
        for sink in sinks + registeredSinks { try sink.deliver(report, context: context) }
    }

    static var registeredSinks: [any ResultSink] {
        lock.lock(); defer { lock.unlock() }
        return registered
    }

    private static let lock = NSLock()
    // Guarded by `lock`.
    nonisolated(unsafe) private static var registered: [any ResultSink & Sendable] = []
}
