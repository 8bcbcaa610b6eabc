import ArgumentParser
import Foundation
import Lunar

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check strategies and modules without running a backtest.",
        discussion: "Reports errors (file:line) and warnings: unused parameters, look-backs longer than the data, signals that can never be true. Exits non-zero when there are errors.")

    @Argument(help: "Strategy files or folders.") var paths: [String] = ["strategies"]
    @Flag(help: "Print findings as JSON.") var json = false
    @Option(help: "Bars in the data you will run on, to flag look-backs that are too long.") var bars: Int?
    @Flag(help: "Treat warnings as errors.") var strict = false
    @OptionGroup var libraries: LibraryOptions

    func run() throws {
        let findings: [Finding]
        let files: Int
        do {
            var options = Checker.Options()
            options.bars = bars
            options.libraries = try libraries.settings()
            findings = try Checker.check(paths: paths, options: options)
            files = try Checker.luaFiles(paths).count
        } catch { throw fail(error) }
        if json {
            print(Checker.json(findings, files: files), terminator: "")
        } else {
            for f in findings { print(f.description) }
            let errors = findings.filter { $0.severity == .error }.count
            print("\(files) file(s) checked: \(errors) error(s), \(findings.count - errors) warning(s)")
        }
        if findings.contains(where: { $0.severity == .error }) || (strict && !findings.isEmpty) { throw ExitCode(1) }
    }
}
