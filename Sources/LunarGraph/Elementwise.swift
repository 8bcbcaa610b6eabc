#if canImport(Glibc)
import Glibc
@usableFromInline @inline(__always) func _log(_ x: Double) -> Double { Glibc.log(x) }
@usableFromInline @inline(__always) func _exp(_ x: Double) -> Double { Glibc.exp(x) }
#else
import Darwin
@usableFromInline @inline(__always) func _log(_ x: Double) -> Double { Darwin.log(x) }
@usableFromInline @inline(__always) func _exp(_ x: Double) -> Double { Darwin.exp(x) }
#endif

// The elementwise rules, defined once. The naive evaluator, constant folding and the fused
// executor all call these, so folded and fused arithmetic is bit-equal to the oracle's.

extension UnaryOp {
    @inlinable @inline(__always)
    public func apply(_ x: Double) -> Double {
        switch self {
        case .neg: return -x
        case .abs: return Swift.abs(x)
        case .log: return x > 0 ? _log(x) : (x == 0 ? -.infinity : .nan)
        case .exp: return _exp(x)
        case .sqrt: return x >= 0 ? x.squareRoot() : .nan
        case .not: return x.isNaN ? .nan : (x == 1 ? 0 : 1)
        }
    }
}

extension BinaryOp {
    @inlinable @inline(__always)
    public func apply(_ a: Double, _ b: Double) -> Double {
        switch self {
        case .add: return a + b
        case .sub: return a - b
        case .mul: return a * b
        case .div: return a / b
        case .min: return a.isNaN || b.isNaN ? .nan : Swift.min(a, b)
        case .max: return a.isNaN || b.isNaN ? .nan : Swift.max(a, b)
        case .gt: return a.isNaN || b.isNaN ? .nan : _truth(a > b)
        case .ge: return a.isNaN || b.isNaN ? .nan : _truth(a >= b)
        case .lt: return a.isNaN || b.isNaN ? .nan : _truth(a < b)
        case .le: return a.isNaN || b.isNaN ? .nan : _truth(a <= b)
        case .eq: return a.isNaN || b.isNaN ? .nan : _truth(a == b)
        case .ne: return a.isNaN || b.isNaN ? .nan : _truth(a != b)
        case .and: return a.isNaN || b.isNaN ? .nan : _truth(a == 1 && b == 1)
        case .or: return a.isNaN || b.isNaN ? .nan : _truth(a == 1 || b == 1)
        }
    }
}

/// `where(cond, a, b)`: NaN when the condition is unknown.
@inlinable @inline(__always)
public func selectValue(_ c: Double, _ a: Double, _ b: Double) -> Double {
    c.isNaN ? .nan : (c == 1 ? a : b)
}

/// `Truth.of`, repeated here so the rules inline across modules (bool series: 1, 0, NaN).
@usableFromInline @inline(__always) func _truth(_ b: Bool) -> Double { b ? 1 : 0 }
