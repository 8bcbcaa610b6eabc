import Foundation
@testable import LunarData
import Testing

@Suite("CSV fast paths agree with the general parsers")
struct CSVFastPathTests {
    @Test("plain decimals parse to strtod's double, bit for bit")
    func decimals() {
        var rng = SplitMix64(seed: 11)
        var texts = ["0", "-0", "1", "0.5", "-12.25", "007.10", "123456789012345678", "9007199254740993",
                     "0.1", "1e5", "+3.5", ".5", "5.", "1.2.3", "--1", "1,5"]
        for _ in 0 ..< 200_000 {
            let v = (rng.nextUnit() - 0.3) * pow(10, Double(Int(rng.next() % 12)) - 4)
            texts.append("\(v)")
            texts.append(String(format: "%.\(Int(rng.next() % 18))f", v))
            // Doubles' shortest forms near ties: 17 significant digits.
            texts.append(String(format: "%.16e", v).replacingOccurrences(of: "e+00", with: ""))
        }
        var longOnes = 0   // 17+ significant digits: the extended-precision path
        for text in texts {
            let bytes = Array(text.utf8)
            let fast = bytes.withUnsafeBufferPointer { CSVLoader.plainDecimal($0, 0, $0.count) }
            guard let fast else { continue }
            if text.filter(\.isNumber).drop(while: { $0 == "0" }).count >= 17 { longOnes += 1 }
            let slow = strtod(text, nil)
            #expect(fast.bitPattern == slow.bitPattern || (fast == 0 && slow == 0), "\(text): \(fast) vs \(slow)")
        }
        #expect(longOnes > 10_000)
    }

    @Test("plain dates match Calendar.parse")
    func dates() {
        for text in ["2015-01-02", "1999-12-28", "2024-02-28", "2024-02-29", "2023-13-01", "2023-01-00", "20x3-01-01"] {
            let bytes = Array(text.utf8)
            let fast = bytes.withUnsafeBufferPointer { CSVLoader.plainDate($0, 0 ..< $0.count) }
            if let fast { #expect(fast == Calendar.parse(Substring(text))) }
        }
        let ok = Array("2015-01-02".utf8).withUnsafeBufferPointer { CSVLoader.plainDate($0, 0 ..< 10) }
        #expect(ok == Calendar.parse("2015-01-02"))
    }
}
