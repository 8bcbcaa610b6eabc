import Foundation
import TOMLKit

/// Errors in `lunar.toml` and `lunar-lib.toml`: the message starts with `file:line:column:` when
/// the file does not parse, and with `file:` when a value is wrong.
public struct ManifestError: Error, CustomStringConvertible, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A TOML value, copied out of TOMLKit so nothing else in Lunar depends on it.
public indirect enum ConfigValue: Sendable, Equatable {
    case string(String), integer(Int), float(Double), bool(Bool)
    case array([ConfigValue]), table([String: ConfigValue])
    /// Dates and times: Lunar's files have none, but TOML allows them.
    case other(String)

    var typeName: String {
        switch self {
        case .string: return "a string"
        case .integer: return "an integer"
        case .float: return "a number"
        case .bool: return "a boolean"
        case .array: return "an array"
        case .table: return "a table"
        case .other(let t): return "a \(t)"
        }
    }
}

/// A parsed TOML file with typed accessors that explain what is wrong and where.
public struct ConfigFile: Sendable {
    public let path: String
    public let root: [String: ConfigValue]

    /// Parses TOML text; `path` is used in messages only.
    public init(text: String, path: String) throws {
        self.path = path
        // Syntax errors toml++ would assert on instead of reporting (TOMLTraps.swift).
        if let trap = TOMLTraps.find(text) {
            throw ManifestError("\(path):\(trap.line):\(trap.column): TOML syntax error: \(trap.reason)")
        }
        do {
            let table = try TOMLTable(string: text)
            root = ConfigFile.convert(table)
        } catch let e as TOMLParseError {
            throw ManifestError("\(path):\(e.source.begin.line):\(e.source.begin.column): TOML syntax error: \(e.description)")
        }
    }

    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else { throw ManifestError("cannot read \(path)") }
        guard let text = String(data: data, encoding: .utf8) else { throw ManifestError("\(path): not UTF-8 text") }
        try self.init(text: text, path: path)
    }

    private static func convert(_ table: TOMLTable) -> [String: ConfigValue] {
        var out: [String: ConfigValue] = [:]
        for (key, value) in table { out[key] = convert(value) }
        return out
    }

    private static func convert(_ value: any TOMLValueConvertible) -> ConfigValue {
        switch value.type {
        case .string: return .string(value.string ?? "")
        case .int: return .integer(value.int ?? 0)
        case .double: return .float(value.double ?? .nan)
        case .bool: return .bool(value.bool ?? false)
        case .array: return .array((value.array.map { Array($0) } ?? []).map(convert))
        case .table: return .table(value.table.map(convert) ?? [:])
        default: return .other(value.type.rawValue)
        }
    }

    // MARK: - typed access with messages

    func string(_ key: String, in table: [String: ConfigValue]? = nil, context: String = "") throws -> String? {
        guard let v = (table ?? root)[key] else { return nil }
        guard case .string(let s) = v else { throw wrong(context + key, v, "a string") }
        return s
    }

    func strings(_ key: String, in table: [String: ConfigValue]? = nil) throws -> [String]? {
        guard let v = (table ?? root)[key] else { return nil }
        guard case .array(let items) = v else { throw wrong(key, v, "an array of strings") }
        return try items.map { item in
            guard case .string(let s) = item else { throw wrong(key, item, "an array of strings (found \(item.typeName) in it)") }
            return s
        }
    }

    /// A table of string values, e.g. `[requires]` or `[pins]`.
    func stringTable(_ key: String) throws -> [String: String] {
        guard let v = root[key] else { return [:] }
        guard case .table(let t) = v else { throw wrong(key, v, "a table such as [\(key)]") }
        var out: [String: String] = [:]
        for (k, item) in t {
            guard case .string(let s) = item else { throw wrong("\(key).\(k)", item, "a string") }
            out[k] = s
        }
        return out
    }

    func rejectUnknownKeys(_ known: [String], what: String) throws {
        for key in root.keys.sorted() where !known.contains(key) {
            throw ManifestError("\(path): unknown key '\(key)' in \(what); known keys: \(known.joined(separator: ", "))")
        }
    }

    func wrong(_ key: String, _ v: ConfigValue, _ expected: String) -> ManifestError {
        ManifestError("\(path): '\(key)' must be \(expected), got \(v.typeName)")
    }
}
