import Foundation

/// Errors fetching, resolving or verifying dependencies: what went wrong and what to do.
public struct DependencyError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The real `git` command (found on PATH), never a reimplementation. It runs without a terminal
/// and with prompts off, so a private repository fails with git's message instead of waiting
/// for a password that no one will type.
public enum Git {
    /// Runs `git ARGS` (in `directory` when given) and returns its standard output.
    @discardableResult
    public static func run(_ args: [String], in directory: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["git"] + (directory.map { ["-C", $0] } ?? []) + args
        var env = ProcessInfo.processInfo.environment
        env["GIT_TERMINAL_PROMPT"] = "0"
        env["GIT_ASKPASS"] = "true"
        env["SSH_ASKPASS"] = "true"
        env["GIT_SSH_COMMAND"] = env["GIT_SSH_COMMAND"] ?? "ssh -o BatchMode=yes"
        env["LC_ALL"] = "C"
        process.environment = env
        process.standardInput = FileHandle.nullDevice
        let out = Pipe()
        // stderr to a file: reading two pipes in turn can deadlock when the unread one fills.
        let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("lunar-git-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errURL) }
        let err = try FileHandle(forWritingTo: errURL)
        process.standardOutput = out
        process.standardError = err
        do { try process.run() } catch {
            throw DependencyError("cannot run git (\(error)); install git (Debian: apt-get install git)")
        }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        try? err.close()
        guard process.terminationStatus == 0 else {
            let text = (try? String(contentsOf: errURL, encoding: .utf8)) ?? ""
            let message = text.split(separator: "\n").filter { !$0.hasPrefix("hint:") }.joined(separator: "\n")
            throw GitFailure(arguments: args, status: process.terminationStatus, message: message)
        }
        return String(decoding: data, as: UTF8.self)
    }

    /// A git command that exited non-zero, with git's own words.
    public struct GitFailure: Error, CustomStringConvertible {
        public let arguments: [String]
        public let status: Int32
        public let message: String
        public var description: String {
            "git \(arguments.prefix(2).joined(separator: " ")) failed (\(status)): \(message.trimmingCharacters(in: .whitespacesAndNewlines))"
        }
    }

    /// The commit checked out in the work tree holding `directory`, if it is in one.
    public static func headCommit(of directory: String) -> String? {
        guard let out = try? run(["rev-parse", "--verify", "--quiet", "HEAD"], in: directory) else { return nil }
        let commit = out.trimmingCharacters(in: .whitespacesAndNewlines)
        return commit.count == 40 ? commit : nil
    }
}
