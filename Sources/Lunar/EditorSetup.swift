import Foundation
import LunarScript

/// What `lunar types` and `lunar init` write: annotation files from `EditorTypes`, and a project
/// skeleton whose editor settings point at them.
public enum EditorSetup {
    /// Writes the DSL's annotation files and one per library module in reach into `dir`
    /// (`modules/NAME.lua`); returns the paths written. Each file is replaced atomically.
    @discardableResult
    public static func writeTypes(to dir: String, libraries: LibraryPath, extraFields: [String] = []) throws -> [String] {
        let stdlib = try libraries.roots.first { $0.origin == .stdlib }?.path ?? Stdlib.locate()
        let source = try String(contentsOfFile: stdlib + "/ta.lua", encoding: .utf8)
        var files = EditorTypes.files(stdlibSource: source, extraFields: extraFields)
        for module in LibraryCatalog.modules(in: libraries) where module.library != "stdlib" {
            files.append(EditorTypes.File(name: "modules/\(module.name).lua", text: EditorTypes.module(module)))
        }
        var written: [String] = []
        for f in files {
            let path = dir + "/" + f.name
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(f.text.utf8).write(to: URL(fileURLWithPath: path), options: .atomic)
            written.append(path)
        }
        return written
    }

    /// The files of a new project, by relative path (the annotations are written beside them).
    public static let skeleton: [(path: String, text: String)] = [
        ("lunar.toml", """
            # A Lunar research project (docs/libraries.md).
            strategies = ["strategies"]
            libraries = []

            """),
        ("strategies/example.lua", """
            -- Long while the fast average is above the slow one, and the weekly close above its 10-week average.
            local ta = require "ta"

            return strategy {
              name = "example",
              description = "SMA cross with a weekly trend filter.",
              params = { fast = 10, slow = 50, trend = 10 },
              fees = 0.001,
              signals = function(bars, p)
                local weekly = bars:timeframe("1W")
                local uptrend = weekly.close:gt(ta.sma(weekly.close, p.trend))
                local fast, slow = ta.sma(bars.close, p.fast), ta.sma(bars.close, p.slow)
                return { entries = ta.crossover(fast, slow) & uptrend, exits = ta.crossunder(fast, slow) }
              end,
            }

            """),
        ("strategies/example_test.lua", """
            local ta = require "ta"

            test("the fast average crosses above the slow one as the series turns up", function()
              local p = panel { close = { 5, 4, 3, 2, 1, 2, 3, 4, 5, 6 } }
              expect_series(ta.crossover(ta.sma(p.close, 2), ta.sma(p.close, 4)), p).to_equal(
                { nan, nan, nan, false, false, false, true, false, false, false })
            end)

            test("the strategy enters on the upturn once the weekly trend is up", function()
              -- Falling, then rising (the first crossover comes while the weekly trend is still
              -- down: filtered out), a short dip, rising again (the second is taken).
              local closes = {}
              for i = 1, 60 do closes[i] = 100 - i * 0.5 end
              for i = 61, 120 do closes[i] = 70 + (i - 60) * 0.5 end
              for i = 121, 123 do closes[i] = closes[i - 1] - 1.5 end
              for i = 124, 160 do closes[i] = closes[i - 1] + 0.5 end
              local r = run_strategy("example.lua", panel { close = closes }, { fast = 3, slow = 10, trend = 4 })
              expect(#r.trades).to_equal(1)
              expect(r.trades[1].entry_bar > 120).to_be_true()
            end)

            """),
        (".luarc.json", """
            {
              "$schema": "https://raw.githubusercontent.com/LuaLS/vscode-lua/master/setting/schema.json",
              "runtime.version": "Lua 5.4",
              "workspace.library": [".lunar/types"],
              "workspace.checkThirdParty": false
            }

            """),
        (".emmyrc.json", """
            {
              "runtime": { "version": "Lua5.4" },
              "workspace": { "library": [".lunar/types"] }
            }

            """),
        (".gitignore", """
            # results and the run history
            results/
            .lunar/runs.sqlite*
            .lunar/store/
            *.lunarstore/

            """),
        ("README.md", """
            # A Lunar research project

            ```sh
            lunar run strategies/example.lua        # backtest on the built-in synthetic universe (--data DIR for yours)
            lunar test strategies/                  # the *_test.lua files
            lunar watch strategies/example.lua      # re-run on every save
            ```

            Editor support: `.luarc.json` (sumneko's lua-language-server, VS Code's "Lua" extension) and
            `.emmyrc.json` (emmylua_ls) point at `.lunar/types`, the annotations `lunar types` writes;
            run `lunar types` again after adding a library or upgrading Lunar.

            """),
    ]

    /// Creates the project at `dir` (new or empty), and its annotations in `dir/.lunar/types`.
    public static func initProject(at dir: String, stdlib: String) throws {
        let fm = FileManager.default
        if fm.fileExists(atPath: dir), !((try? fm.contentsOfDirectory(atPath: dir))?.isEmpty ?? false) {
            throw ScriptError("\(dir) exists and is not empty: lunar init makes a new project")
        }
        for (path, text) in skeleton {
            let full = dir + "/" + path
            try fm.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(text.utf8).write(to: URL(fileURLWithPath: full), options: .atomic)
        }
        try writeTypes(to: dir + "/.lunar/types", libraries: LibraryPath(leading: [], settings: LibrarySettings(stdlib: stdlib)))
    }
}
