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
}
