import Foundation
import LunarTestSupport
import Testing

/// The live page in a real browser: tools/browser/watch_page_test.py drives headless Chromium
/// over the DevTools protocol (charts drawn, names escaped, sorting, a save updating the page, a
/// broken save's error and its clearing, a slider re-run, the token off loopback). Needs
/// Debian's chromium (`tools/browser/install.sh`, which .ci/run calls); skipped without it.
@Suite(.serialized, .enabled(if: Browser.available, "chromium is not installed (tools/browser/install.sh)"))
struct BrowserTests {
    @Test func theLivePageInHeadlessChromium() throws {
        let lunar = try #require(Fixtures.executable("lunar"), "build the lunar executable first")
        let run = try Fixtures.runDriver(["python3", "tools/browser/watch_page_test.py", "--lunar", lunar], timeout: 240)
        let checks = run.checks, output = run.output
        #expect(run.status == 0, "\(checks.joined(separator: "\n"))\n\(output.suffix(2000))")
        #expect(checks.count >= 29 && checks.allSatisfy { $0.hasPrefix("ok ") }, "\(checks.joined(separator: "\n"))")
    }
}

enum Browser {
    static let available: Bool = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .contains { FileManager.default.isExecutableFile(atPath: $0) }
}
