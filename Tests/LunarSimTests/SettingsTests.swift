import LunarData
import LunarTestSupport
import Testing
@testable import LunarSim

/// The settings table's contract: every entry is named, documented, parses and checks its own
/// values, and reads back what it writes; the defaults and the API's validation agree with it.
@Suite("Settings vocabulary") struct SettingsTests {
    @Test func namesAndFlagsAreUniqueAndDocumented() {
        #expect(Set(Setting.all.map(\.name)).count == Setting.all.count)
        #expect(Set(Setting.all.map(\.flag)).count == Setting.all.count)
        for s in Setting.all {
            #expect(s.name.range(of: "^[a-z][a-z_]*$", options: .regularExpression) != nil, "\(s.name)")
            #expect(s.flag.range(of: "^[a-z][a-z-]*$", options: .regularExpression) != nil, "\(s.flag)")
            #expect(!s.doc.isEmpty && !s.expected.isEmpty && !s.field.isEmpty, "\(s.name)")
        }
    }

    @Test func everySettingHasSamples() {
        #expect(Set(SettingSamples.values.keys) == Set(Setting.all.map(\.name)))
    }

    /// The default is what `SimulationOptions()` holds, and reading it back changes nothing.
    @Test(arguments: Setting.all.map(\.name))
    func defaultsRoundTrip(_ name: String) throws {
        let s = Setting.builtIn(name)
        var o = SimulationOptions()
        try s.apply(s.defaultValue, to: &o)
        #expect(o == SimulationOptions())
        #expect(s.parse(s.defaultValue.description) == s.defaultValue)
    }

    /// A sample value is taken, changes the options, and reads back as itself; the invalid
    /// sample is refused with a SettingError naming the setting and what it takes.
    @Test(arguments: Setting.all.map(\.name))
    func samplesApplyAndBadValuesAreRefused(_ name: String) throws {
        let s = Setting.builtIn(name)
        let sample = try #require(SettingSamples.values[name])
        var o = SimulationOptions()
        let value = s.parse(sample.valid)
        try s.apply(value, to: &o)
        #expect(o != SimulationOptions(), "\(name)=\(sample.valid) must change the options")
        #expect(s.value(in: o) == value)
        let refused = #expect(throws: SettingError.self) {
            var p = SimulationOptions()
            try s.apply(s.parse(sample.invalid), to: &p)
        }
        #expect(refused?.setting == name && refused?.value == s.parse(sample.invalid).description && refused?.expected == s.expected)
    }

    /// A time zone that is not one gets the closest names.
    @Test func unknownTimeZonesSuggestTheClosest() {
        var o = SimulationOptions()
        let e = #expect(throws: SettingError.self) { try o.set("timezone", "America/New_Yrok") }
        #expect(e?.suggestions.first == "America/New_York")
        #expect(e?.description.hasSuffix("did you mean 'America/New_York'?") == true)
        #expect(throws: SettingError.self) { try o.set("session", "9:30-16:00") }
        try? o.set("session", "09:30-16:00")
        #expect(o.hours == TradingHours(timezone: "UTC", session: SessionHours("09:30-16:00")))
    }

    /// `settings` is complete and replays into equal options.
    @Test func settingsReplayIntoEqualOptions() throws {
        var o = SimulationOptions()
        for (name, sample) in SettingSamples.values { try o.set(name, Setting.builtIn(name).parse(sample.valid)) }
        #expect(Set(o.settings.keys) == Set(Setting.all.map(\.name)))
        var replayed = try SimulationOptions(settings: o.settings)
        replayed.threads = o.threads
        #expect(replayed == o)
    }

    /// The rules of `validate` (the Swift API) are the table's: a field set out of range fails
    /// with the same error the strategy table and the flags give.
    @Test func validateUsesTheTable() {
        var o = SimulationOptions()
        o.stopLoss = 1.5
        #expect(throws: SettingError(setting: "stop_loss", value: "1.5", expected: "none or a fraction in (0, 1)")) { try o.validate() }
        o = SimulationOptions()
        o.sizing = .equityFraction(2)
        #expect(throws: SettingError.self) { try o.validate() }
        o = SimulationOptions()
        o.rebalance = .bars(0)
        #expect(throws: SettingError.self) { try o.validate() }
    }

    /// One spelling per value: the aliases earlier versions took in one place but not another
    /// (`rebalance = "daily"`, `sizing = "shares:3"`) are refused everywhere.
    @Test func oneSpellingPerValue() {
        var o = SimulationOptions()
        #expect(throws: SettingError.self) { try o.set("rebalance", "daily") }
        #expect(throws: SettingError.self) { try o.set("sizing", "shares:3") }
        #expect(throws: UnknownSettingError(name: "fee", suggestions: ["fees"])) { try o.set("fee", 0.1) }
    }

    @Test func signalsMapOntoTheirInputs() {
        var series: [Signal: [Double]] = [:]
        for (k, s) in Signal.allCases.enumerated() { series[s] = [Double(k)] }
        let inputs = SignalInputs(series, boolsAreTyped: true)
        for (k, s) in Signal.allCases.enumerated() { #expect(inputs[keyPath: s.input] == [Double(k)], "\(s)") }
        #expect(Set(Signal.names).count == Signal.allCases.count)
    }
}
