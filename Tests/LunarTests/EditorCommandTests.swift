import Foundation
import LunarTestSupport
import Testing
@testable import Lunar

/// `lunar init`, `lunar types` and shell completion as a user runs them.
@Suite struct EditorCommandTests {
    @Test func initMakesAProjectThatRunsAndTests() throws {
        let parent = Fixtures.tempDir()
        let dir = parent + "/research"
        let made = try CommandLineTests.run(["init", dir], cwd: parent)
        #expect(made.code == 0, "\(made.err)")
        for f in ["lunar.toml", "strategies/example.lua", "strategies/example_test.lua", ".luarc.json", ".emmyrc.json",
                  ".gitignore", "README.md", ".lunar/types/ta.lua", ".lunar/types/lunar.lua", ".lunar/types/lunar_test.lua"] {
            #expect(FileManager.default.fileExists(atPath: dir + "/" + f), "\(f)")
        }
        let settings = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/.emmyrc.json"))) as? [String: Any]
        #expect(((settings?["workspace"] as? [String: Any])?["library"] as? [String]) == [".lunar/types"])
        let run = try CommandLineTests.run(["run", "strategies/example.lua", "--no-record"], cwd: dir)
        #expect(run.code == 0, "\(run.err)")
        let test = try CommandLineTests.run(["test", "strategies/"], cwd: dir)
        #expect(test.code == 0 && test.out.contains("2 passed, 0 failed"), "\(test.out)\(test.err)")
        let check = try CommandLineTests.run(["check", "strategies/"], cwd: dir)
        #expect(check.code == 0 && check.out.contains("0 error(s), 0 warning(s)"), "\(check.out)\(check.err)")
        // Not over an existing project.
        let again = try CommandLineTests.run(["init", dir], cwd: parent)
        #expect(again.code != 0 && again.err.contains("not empty"))
    }

    @Test func typesWritesLibraryModulesAndExtraColumns() throws {
        let dir = Fixtures.tempDir()
        Fixtures.write("date,open,high,low,close,volume,pe_ratio\n2024-01-02,1,1,1,1,1,10\n2024-01-03,1,1,1,1,1,11\n", "X.csv", in: dir)
        let r = try CommandLineTests.run(["types", dir + "/types", "--data", dir + "/X.csv", "--lib", Fixtures.path("examples/acme-lib")],
                                         cwd: dir)
        #expect(r.code == 0, "\(r.err)")
        let core = try String(contentsOfFile: dir + "/types/lunar.lua", encoding: .utf8)
        #expect(core.contains("---@field pe_ratio Series"))
        let module = try String(contentsOfFile: dir + "/types/modules/acme.momentum.lua", encoding: .utf8)
        #expect(module.hasPrefix("---@meta acme.momentum") && module.contains("function M."), "\(module)")
    }

    @Test func shellCompletionOffersTheStrategysParameters() throws {
        for shell in ["bash", "zsh", "fish"] {
            let script = try CommandLineTests.run(["--generate-completion-script", shell], cwd: Fixtures.root.path)
            #expect(script.code == 0 && script.out.contains("---completion run -- --param"), "\(shell)")
        }
        let r = try CommandLineTests.run(["---completion", "run", "--", "--param", "strategies/sma_cross.lua", "--param", ""], cwd: Fixtures.root.path)
        #expect(r.out.split(separator: "\n").map(String.init) == ["fast=", "slow="], "\(r.out)")
    }
}
