/// Streaming kernels: the numeric heart of every primitive.
///
/// A kernel instance follows one symbol through time. The executor feeds it consecutive blocks
/// of bars (`run`), and the kernel carries whatever state it needs (a window, a running average)
/// from one block to the next, so a series can be computed in cache-sized pieces with the same
/// result as in one piece. Kernels know nothing of graphs, Lua or panels.
public protocol StreamKernel {
    /// Processes `count` consecutive bars: `inputs[k][i]` is input k at the i-th bar of the
    /// block, and the kernel writes `outputs[j][i]`. Outputs never alias inputs.
    mutating func run(_ inputs: UnsafeBufferPointer<UnsafePointer<Double>>,
                      _ outputs: UnsafeBufferPointer<UnsafeMutablePointer<Double>>,
                      count: Int)
}

/// Boolean series are stored as Double: 1 = true, 0 = false, NaN = unknown (an input was NaN).
public enum Truth {
    @inline(__always) public static func of(_ b: Bool) -> Double { b ? 1 : 0 }
    @inline(__always) public static func isTrue(_ v: Double) -> Bool { v == 1 }
}

/// A fixed-size window of the most recent values, oldest first when iterated.
public struct RingWindow {
    public private(set) var values: [Double]
    private var head = 0            // index of the oldest value once full
    public private(set) var filled = 0
    public private(set) var nanCount = 0
    public let capacity: Int

    public init(capacity: Int) {
        self.capacity = capacity
        values = [Double](repeating: 0, count: max(capacity, 1))
    }

    public var isFull: Bool { filled == capacity }

    /// Adds `x` and returns the value it pushed out (nil while the window was filling).
    @inline(__always)
    public mutating func push(_ x: Double) -> Double? {
        if x.isNaN { nanCount += 1 }
        if filled < capacity {
            values[(head + filled) % capacity] = x
            filled += 1
            return nil
        }
        let old = values[head]
        values[head] = x
        head += 1
        if head == capacity { head = 0 }
        if old.isNaN { nanCount -= 1 }
        return old
    }

    /// The value `k` bars back (0 = newest); valid for k < filled.
    @inline(__always)
    public func back(_ k: Int) -> Double {
        values[(head + filled - 1 - k + capacity) % capacity]
    }

    /// Calls `body` with the window's values oldest first.
    @inline(__always)
    public func forEachOldestFirst(_ body: (Double) -> Void) {
        // Two straight runs (head…end, then 0…) instead of a modulo per value.
        values.withUnsafeBufferPointer { v in
            let firstRun = min(filled, capacity - head)
            for k in 0 ..< firstRun { body(v[head + k]) }
            for k in 0 ..< filled - firstRun { body(v[k]) }
        }
    }
}
