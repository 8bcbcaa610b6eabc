import Foundation

/// Syntax checks without running anything.
public enum ScriptSyntax {
    /// The syntax error in a Lua file (with file:line), or nil when it compiles.
    public static func check(file path: String) -> ScriptError? {
        do {
            let vm = try LuaVM(roots: [])
            guard let data = FileManager.default.contents(atPath: path) else { return ScriptError("cannot read \(path)") }
            try vm.load(data, chunkName: "@" + path)
            return nil
        } catch let e as ScriptError { return e } catch { return ScriptError("\(error)") }
    }
}
