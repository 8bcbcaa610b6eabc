import ArgumentParser
import Dispatch
import Foundation
import Lunar
import LunarWeb

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-run a strategy on every save of it or of a module it requires.")

    @Argument(help: "The strategy's Lua file.", completion: .file(extensions: ["lua"])) var strategy: String
    @OptionGroup var dataOptions: DataOptions
    @Option(name: .customLong("param"), help: "Override a parameter: --param name=value (repeatable).", completion: .custom(parameterCompletions))
    var params: [String] = []
    @OptionGroup(title: "Settings (each one given overrides the strategy table)") var sim: SimulationFlags
    @OptionGroup var scriptLimits: ScriptLimitFlags
    @Flag(help: "Poll modification times instead of using inotify.") var poll = false
    @OptionGroup var libraries: LibraryOptions
    @OptionGroup(title: "Live page") var live: ServeOptions

    func run() throws {
        let panel: Panel
        do { panel = try dataOptions.load() } catch { throw fail(error) }
        var options = BacktestOptions()
        for p in params {
            let parts = p.split(separator: "=", maxSplits: 1).map(String.init)
            options.params[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        do {
            options.libraries = try libraries.settings()
            options.overrides = try sim.overrides
            scriptLimits.apply(to: &options)
        } catch { throw fail(error) }
        let color = isatty(1) != 0
        // Ctrl-C: leave with a newline and status 0, not a half-printed line.
        signal(SIGINT, SIG_IGN)
        let interrupt = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        let name = strategy
        interrupt.setEventHandler { say("\nstopped watching \(name)"); Foundation.exit(0) }
        interrupt.resume()
        say("watching \(strategy) on \(panel.symbolCount) symbols × \(panel.barCount) bars (Ctrl-C to stop)")
        let watcher = Watcher(strategyPath: strategy, panel: panel, options: options, forcePolling: poll)
        let page = live.serve ? LiveState() : nil
        if let page {
            let title = URL(fileURLWithPath: strategy).deletingPathExtension().lastPathComponent
            LivePage.start(page, page: .watch(title: title), host: live.host, port: live.port, rerun: { watcher.rerun(params: $0) })
        }
        watcher.run { event in
            page?.publish(event)
            switch event {
            case .result(let r, let previous, let changed, let seconds):
                if !changed.isEmpty { say("\n— \(changed.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", ")) changed") }
                say(ComparisonTable.render(current: r.portfolio, previous: previous?.portfolio, color: color), end: "")
                say("ran in \(ConsoleSummary.fixed(seconds * 1000, 1)) ms")
            case .failure(let message, let changed):
                if !changed.isEmpty { say("\n— \(changed.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", ")) changed") }
                let text = "error: \(message)\n(keeping the last good version; fix and save to re-run)"
                say(color ? "\u{1B}[31m\(text)\u{1B}[0m" : text)
            }
        }
    }
}

/// `--serve`, `--port` and `--host` of `watch` and `sweep`.
struct ServeOptions: ParsableArguments {
    @Flag(help: "Also serve a live page of the latest result (charts, symbols, trades; a sweep's heatmap) that updates itself.")
    var serve = false
    @Option(help: "With --serve: the port (default 8765; 0 picks a free one).") var port = 8765
    @Option(help: "With --serve: the address to bind (default 127.0.0.1). Any other address is reachable by others: it needs the printed URL's token.")
    var host = "127.0.0.1"

    func validate() throws {
        guard (0 ... 65535).contains(port) else { throw ValidationError("--port takes 0…65535, got \(port)") }
        if !serve && (host != "127.0.0.1" || port != 8765) { throw ValidationError("--host and --port go with --serve") }
    }
}

enum LivePage {
    /// The live page's server, on its own thread; a server that cannot start ends the command.
    static func start(_ live: LiveState, page: WatchServer.Page, host: String, port: Int, rerun: (@Sendable ([String: String]) -> Void)?) {
        let server = WatchServer(host: host, port: port)
        if !WatchServer.isLoopback(host) {
            FileHandle.standardError.write(Data("warning: serving on \(host), reachable from other machines: only the URL with its token opens the page\n".utf8))
        }
        Thread {
            let done = DispatchSemaphore(value: 0)
            Task {
                do {
                    try await server.run(state: live, page: page, rerun: rerun) { say("serving \($0)") }
                } catch {
                    FileHandle.standardError.write(Data("error: the live page could not be served on \(host):\(port): \(error)\n".utf8))
                    Foundation.exit(FailureKind.other.exitCode)
                }
                done.signal()
            }
            done.wait()
        }.start()
    }
}

/// Unbuffered output: the watch loop's lines must appear at once even when piped.
func say(_ text: String, end: String = "\n") {
    FileHandle.standardOutput.write(Data((text + end).utf8))
}
