/// Building blocks shared by the indicator kernels: a clearable ring, TA-Lib's running sums and
/// recursive averages as small step-by-step states.
///
/// Two NaN rules, chosen per kernel and stated in each registry entry's category file:
/// - **window** kernels (pure rolling windows) give NaN until the window is full and while any
///   NaN is inside it; running sums restart from scratch after a NaN, which is exactly what
///   TA-Lib does on a series whose leading NaNs were trimmed.
/// - **skip** kernels (recursive, or needing the previous bar) treat a bar where any input is
///   NaN as absent: the output is NaN and the state does not move.

public typealias KernelInputs = UnsafeBufferPointer<UnsafePointer<Double>>
public typealias KernelOutputs = UnsafeBufferPointer<UnsafeMutablePointer<Double>>

/// TA-Lib's zero tests (`TA_IS_ZERO`, `TA_IS_ZERO_OR_NEG`): |v| < 1e-14 counts as zero.
enum TA {
    @inline(__always) static func isZero(_ v: Double) -> Bool { v > -1e-14 && v < 1e-14 }
    @inline(__always) static func isZeroOrNeg(_ v: Double) -> Bool { v < 1e-14 }
    /// TA-Lib's `TRUE_RANGE` macro: the largest of h−l, |h−pc|, |l−pc|.
    @inline(__always) static func trueRange(_ h: Double, _ l: Double, _ prevClose: Double) -> Double {
        var r = h - l
        let a = Swift.abs(h - prevClose)
        if a > r { r = a }
        let b = Swift.abs(l - prevClose)
        if b > r { r = b }
        return r
    }
    /// True when any of the first `k` inputs is NaN at bar `i` (a skip kernel's "absent bar").
    @inline(__always) static func anyNaN(_ x: KernelInputs, _ i: Int) -> Bool {
        for k in 0 ..< x.count where x[k][i].isNaN { return true }
        return false
    }
    /// Writes NaN to every output at bar `i`.
    @inline(__always) static func nanAll(_ out: KernelOutputs, _ i: Int) {
        for j in 0 ..< out.count { out[j][i] = .nan }
    }
}

/// The last `capacity` values, clearable without reallocating. Slots fill from 0 after a
/// clear, like TA-Lib's circular buffers, so summing by slot reproduces TA-Lib's order.
struct Ring {
    private(set) var slots: [Double]
    private var head = 0                 // slot of the oldest value once full
    private(set) var filled = 0
    private(set) var nanCount = 0
    let capacity: Int

    init(_ capacity: Int) {
        self.capacity = capacity
        slots = [Double](repeating: 0, count: max(capacity, 1))
    }

    var isFull: Bool { filled == capacity }
    /// Full and free of NaN: a window kernel may produce a value.
    var isClean: Bool { filled == capacity && nanCount == 0 }

    mutating func clear() { head = 0; filled = 0; nanCount = 0 }

    /// Adds `x`; returns the value pushed out, or nil while filling.
    @inline(__always) @discardableResult
    mutating func push(_ x: Double) -> Double? {
        if x.isNaN { nanCount += 1 }
        if filled < capacity {
            slots[filled] = x             // head stays 0 until the ring is full
            filled += 1
            return nil
        }
        let old = slots[head]
        slots[head] = x
        head += 1
        if head == capacity { head = 0 }
        if old.isNaN { nanCount -= 1 }
        return old
    }

    /// The value `k` bars back (0 = newest); valid for k < filled.
    @inline(__always) func back(_ k: Int) -> Double {
        slots[(head + filled - 1 - k + capacity) % capacity]
    }

    /// The oldest value held (head is 0 while filling, so no modulo is needed).
    @inline(__always) var oldest: Double { slots[head] }

    /// Calls `body(k, slot)` oldest first (k = 0 for the oldest), in two contiguous runs
    /// rather than with a modulo per element: the hot loop of every O(n) window kernel.
    /// Oldest-first order keeps sums independent of where the ring started, so a series with
    /// leading NaNs gives the same bits as the trimmed one.
    @inline(__always) func forEachSlotOldestFirst(_ body: (Int, Int) -> Void) {
        let firstRun = min(filled, capacity - head)
        for k in 0 ..< firstRun { body(k, head + k) }
        for k in firstRun ..< filled { body(k, k - firstRun) }
    }

    @inline(__always) func forEachOldestFirst(_ body: (Int, Double) -> Void) {
        forEachSlotOldestFirst { k, s in body(k, slots[s]) }
    }

    /// Sum of the values held, oldest first.
    @inline(__always) func sum() -> Double {
        var total = 0.0
        forEachSlotOldestFirst { _, s in total += slots[s] }
        return total
    }

    func maxValue() -> Double {
        var m = -Double.infinity
        for k in 0 ..< filled where slots[k] > m { m = slots[k] }
        return m
    }

    func minValue() -> Double {
        var m = Double.infinity
        for k in 0 ..< filled where slots[k] < m { m = slots[k] }
        return m
    }
}

/// A rolling sum over n values in TA-Lib's order (add the newest, read, subtract the oldest),
/// restarting after a NaN.
struct WindowSum {
    private var ring: Ring
    private var partial = 0.0            // the sum of the newest n−1 values
    let n: Int
    init(_ n: Int) { self.n = n; ring = Ring(n) }

    mutating func clear() { ring.clear(); partial = 0 }

    /// The sum of the last n values, or NaN while fewer than n values followed the last NaN.
    @inline(__always) mutating func push(_ v: Double) -> Double {
        if v.isNaN { clear(); return .nan }
        ring.push(v)
        if !ring.isFull { partial += v; return .nan }
        let total = partial + v
        partial = total - ring.oldest
        return total
    }
}

/// TA-Lib's SMA as a state: `WindowSum / n`.
struct SMAState {
    private var sum: WindowSum
    private let dn: Double
    init(_ n: Int) { sum = WindowSum(n); dn = Double(n) }
    mutating func clear() { sum.clear() }
    @inline(__always) mutating func push(_ v: Double) -> Double { sum.push(v) / dn }
}

/// How TA-Lib seeds its recursive averages: the mean of the first n values.
struct MeanSeed {
    let n: Int
    private var seen = 0, sum = 0.0
    init(_ n: Int) { self.n = n }
    var isDone: Bool { seen >= n }
    /// Adds a value of the seed; the mean once the n-th one arrives, else nil.
    @inline(__always) mutating func push(_ v: Double) -> Double? {
        sum += v; seen += 1
        return seen == n ? sum / Double(n) : nil
    }
}

/// TA-Lib's EMA as a state: the first n values seed it with their mean, then
/// `e = (x − e)·k + e`. A NaN gives NaN and leaves the state alone (skip rule).
struct EMAState {
    let k: Double
    private var seed: MeanSeed
    private(set) var value = Double.nan
    init(_ n: Int) { seed = MeanSeed(n); k = 2 / (Double(n) + 1) }

    @inline(__always) mutating func push(_ v: Double) -> Double {
        if v.isNaN { return .nan }
        if !seed.isDone {
            guard let mean = seed.push(v) else { return .nan }
            value = mean
            return value
        }
        value = (v - value) * k + value
        return value
    }
}

/// Wilder's smoothing (RMA) as TA-Lib writes it in ATR: the first n values seed it with their
/// mean, then `a = (a·(n−1) + x) / n`. Skip rule for NaN.
struct WilderState {
    let n: Int
    private var seed: MeanSeed
    private(set) var value = Double.nan
    init(_ n: Int) { self.n = n; seed = MeanSeed(n) }

    @inline(__always) mutating func push(_ v: Double) -> Double {
        if v.isNaN { return .nan }
        if !seed.isDone {
            guard let mean = seed.push(v) else { return .nan }
            value = mean
            return value
        }
        value = (value * Double(n - 1) + v) / Double(n)
        return value
    }
}

/// TA-Lib's WMA (weights 1..n, newest heaviest) with its two running sums; restarts after a NaN.
struct WMAState {
    private var ring: Ring
    private var periodSum = 0.0, periodSub = 0.0, trailing = 0.0
    private let n: Int
    private let divider: Double
    init(_ n: Int) { self.n = n; ring = Ring(n); divider = Double(n * (n + 1)) / 2 }

    mutating func clear() { ring.clear(); periodSum = 0; periodSub = 0; trailing = 0 }

    @inline(__always) mutating func push(_ v: Double) -> Double {
        if v.isNaN { clear(); return .nan }
        ring.push(v)
        if !ring.isFull {
            periodSub += v
            periodSum += v * Double(ring.filled)
            return .nan
        }
        periodSub += v
        periodSub -= trailing
        periodSum += v * Double(n)
        trailing = ring.oldest
        let out = periodSum / divider
        periodSum -= periodSub
        return out
    }
}

/// TA-Lib's ATR as a state over (high, low, close) bars: TR from the second bar, seeded with
/// the mean of the first n TRs, then Wilder. Callers apply the skip rule.
struct ATRState {
    private var prevClose = Double.nan
    private var wilder: WilderState
    init(_ n: Int) { wilder = WilderState(n) }

    /// The true range of the bar, NaN on the first bar.
    private(set) var lastTrueRange = Double.nan

    @inline(__always) mutating func push(_ h: Double, _ l: Double, _ c: Double) -> Double {
        defer { prevClose = c }
        if prevClose.isNaN { lastTrueRange = .nan; return .nan }
        lastTrueRange = TA.trueRange(h, l, prevClose)
        return wilder.push(lastTrueRange)
    }
}

/// A rolling max / min over a window of n with the window NaN rule, in O(1) amortized per bar:
/// a monotonic deque of the bars that can still become the extreme, restarted after a NaN.
struct ExtremeWindow {
    private var slots: [Double]           // deque values, a ring of n slots
    private var ages: [Int]               // the bar number of each value
    private var head = 0, count = 0
    private var bar = 0                   // bars since the last NaN
    private let n: Int
    init(_ n: Int) { self.n = n; slots = [Double](repeating: 0, count: n); ages = [Int](repeating: 0, count: n) }

    /// Returns the extreme, or NaN when the window is not full and clean.
    @inline(__always) mutating func push(_ v: Double, highest: Bool) -> Double {
        if v.isNaN { head = 0; count = 0; bar = 0; return .nan }
        if count > 0 && ages[head] <= bar - n { head = head + 1 == n ? 0 : head + 1; count -= 1 }
        while count > 0 {
            var back = head + count - 1
            if back >= n { back -= n }
            if highest ? slots[back] > v : slots[back] < v { break }
            count -= 1
        }
        var slot = head + count
        if slot >= n { slot -= n }
        slots[slot] = v; ages[slot] = bar
        count += 1
        bar += 1
        return bar >= n ? slots[head] : .nan
    }

    /// Bars since the extreme the last push returned (0 = that bar). Equal values are popped,
    /// so among equal extremes the latest one is kept.
    var barsSinceExtreme: Int { bar - 1 - ages[head] }
}
