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

// MARK: - block loops

/// One operand of an elementwise block loop: a block of values or a constant.
public enum BlockOperand {
    case pointer(UnsafePointer<Double>)
    case value(Double)
}

// The loops live beside the rules so the optimizer inlines `apply` (with the op a constant)
// into each loop body inside this module; callers pay one call per block, not per value.

extension UnaryOp {
    /// `out[i] = apply(a[i])` for i in 0..<n.
    public func apply(_ a: BlockOperand, into out: UnsafeMutablePointer<Double>, count n: Int) {
        switch self {
        case .neg: blockMap(a, out, n) { UnaryOp.neg.apply($0) }
        case .abs: blockMap(a, out, n) { UnaryOp.abs.apply($0) }
        case .log: blockMap(a, out, n) { UnaryOp.log.apply($0) }
        case .exp: blockMap(a, out, n) { UnaryOp.exp.apply($0) }
        case .sqrt: blockMap(a, out, n) { UnaryOp.sqrt.apply($0) }
        case .not: blockMap(a, out, n) { UnaryOp.not.apply($0) }
        }
    }
}

extension BinaryOp {
    /// `out[i] = apply(a[i], b[i])` for i in 0..<n. Comparisons, logic, min and max run two
    /// values at a time through compare-and-mask (`lanes`): their scalar rules branch on NaN,
    /// which keeps LLVM from vectorizing them; arithmetic vectorizes as it is.
    public func apply(_ a: BlockOperand, _ b: BlockOperand, into out: UnsafeMutablePointer<Double>, count n: Int) {
        switch self {
        case .add: blockZip(a, b, out, n) { BinaryOp.add.apply($0, $1) }
        case .sub: blockZip(a, b, out, n) { BinaryOp.sub.apply($0, $1) }
        case .mul: blockZip(a, b, out, n) { BinaryOp.mul.apply($0, $1) }
        case .div: blockZip(a, b, out, n) { BinaryOp.div.apply($0, $1) }
        case .min: blockZip2(a, b, out, n, MinPair.self) { BinaryOp.min.apply($0, $1) }
        case .max: blockZip2(a, b, out, n, MaxPair.self) { BinaryOp.max.apply($0, $1) }
        case .gt: blockZip2(a, b, out, n, GtPair.self) { BinaryOp.gt.apply($0, $1) }
        case .ge: blockZip2(a, b, out, n, GePair.self) { BinaryOp.ge.apply($0, $1) }
        case .lt: blockZip2(a, b, out, n, LtPair.self) { BinaryOp.lt.apply($0, $1) }
        case .le: blockZip2(a, b, out, n, LePair.self) { BinaryOp.le.apply($0, $1) }
        case .eq: blockZip2(a, b, out, n, EqPair.self) { BinaryOp.eq.apply($0, $1) }
        case .ne: blockZip2(a, b, out, n, NePair.self) { BinaryOp.ne.apply($0, $1) }
        case .and: blockZip2(a, b, out, n, AndPair.self) { BinaryOp.and.apply($0, $1) }
        case .or: blockZip2(a, b, out, n, OrPair.self) { BinaryOp.or.apply($0, $1) }
        }
    }
}

// Two-lane forms of the rules above, bit for bit: NaN (Double.nan's bits) where either input
// is NaN, else the rule's value.
private typealias D2 = SIMD2<Double>
private typealias K2 = SIMD2<Int64>
@inline(__always) private func bits(_ v: D2) -> K2 { unsafeBitCast(v, to: K2.self) }
@inline(__always) private func pick2(_ m: SIMDMask<K2>, _ a: D2, _ b: D2) -> D2 {
    unsafeBitCast((bits(a) & m._storage) | (bits(b) & ~m._storage), to: D2.self)
}
@inline(__always) private func unknown(_ x: D2, _ y: D2) -> K2 { ((x .!= x) .| (y .!= y))._storage }
@inline(__always) private func known(_ x: D2, _ y: D2, _ v: D2) -> D2 {
    let u = unknown(x, y)
    return unsafeBitCast((K2(repeating: Int64(bitPattern: Double.nan.bitPattern)) & u) | (bits(v) & ~u), to: D2.self)
}
@inline(__always) private func truth(_ x: D2, _ y: D2, _ m: SIMDMask<K2>) -> D2 {
    known(x, y, unsafeBitCast(K2(repeating: Int64(bitPattern: (1.0).bitPattern)) & m._storage, to: D2.self))
}

/// A rule's two-lane form, as a type rather than a closure: `blockZip2` is specialized for
/// each, and the rule inlines at every call site (a closure called twice in a loop body is
/// outlined).
private protocol PairRule { static func pair(_ x: D2, _ y: D2) -> D2 }
private enum MinPair: PairRule { @inline(__always) static func pair(_ x: D2, _ y: D2) -> D2 { known(x, y, pick2(y .< x, y, x)) } }
private enum MaxPair: PairRule { @inline(__always) static func pair(_ x: D2, _ y: D2) -> D2 { known(x, y, pick2(y .>= x, y, x)) } }
private enum GtPair: PairRule { @inline(__always) static func pair(_ x: D2, _ y: D2) -> D2 { truth(x, y, x .> y) } }
private enum GePair: PairRule { @inline(__always) static func pair(_ x: D2, _ y: D2) -> D2 { truth(x, y, x .>= y) } }
private enum LtPair: PairRule { @inline(__always) static func pair(_ x: D2, _ y: D2) -> D2 { truth(x, y, x .< y) } }
private enum LePair: PairRule { @inline(__always) static func pair(_ x: D2, _ y: D2) -> D2 { truth(x, y, x .<= y) } }
private enum EqPair: PairRule { @inline(__always) static func pair(_ x: D2, _ y: D2) -> D2 { truth(x, y, x .== y) } }
private enum NePair: PairRule { @inline(__always) static func pair(_ x: D2, _ y: D2) -> D2 { truth(x, y, x .!= y) } }
private enum AndPair: PairRule { @inline(__always) static func pair(_ x: D2, _ y: D2) -> D2 { truth(x, y, (x .== 1) .& (y .== 1)) } }
private enum OrPair: PairRule { @inline(__always) static func pair(_ x: D2, _ y: D2) -> D2 { truth(x, y, (x .== 1) .| (y .== 1)) } }

/// `out[i] = selectValue(c[i], a[i], b[i])` for i in 0..<n.
public func selectBlock(_ c: BlockOperand, _ a: BlockOperand, _ b: BlockOperand,
                        into out: UnsafeMutablePointer<Double>, count n: Int) {
    @inline(__always) func at(_ o: BlockOperand, _ i: Int) -> Double {
        switch o { case .pointer(let p): return p[i]; case .value(let v): return v }
    }
    @inline(__always) func two(_ o: BlockOperand, _ i: Int) -> D2 {
        switch o { case .pointer(let p): return UnsafeRawPointer(p + i).loadUnaligned(as: D2.self); case .value(let v): return D2(repeating: v) }
    }
    // Two at a time: NaN where the condition is unknown, else a where it is 1, else b.
    var i = 0
    while i + 2 <= n {
        let cc = two(c, i)
        let r = pick2(cc .== 1, two(a, i), two(b, i))
        let u = (cc .!= cc)._storage
        UnsafeMutableRawPointer(out + i).storeBytes(of: unsafeBitCast((K2(repeating: Int64(bitPattern: Double.nan.bitPattern)) & u) | (bits(r) & ~u), to: D2.self), as: D2.self)
        i += 2
    }
    while i < n { out[i] = selectValue(at(c, i), at(a, i), at(b, i)); i += 1 }
}

@inline(__always)
private func blockMap(_ a: BlockOperand, _ out: UnsafeMutablePointer<Double>, _ n: Int, _ f: (Double) -> Double) {
    switch a {
    case .pointer(let x): for i in 0 ..< n { out[i] = f(x[i]) }
    case .value(let v): let r = f(v); for i in 0 ..< n { out[i] = r }
    }
}

@inline(__always)
private func blockZip(_ a: BlockOperand, _ b: BlockOperand, _ out: UnsafeMutablePointer<Double>, _ n: Int,
                      _ f: (Double, Double) -> Double) {
    switch (a, b) {
    case (.pointer(let x), .pointer(let y)): for i in 0 ..< n { out[i] = f(x[i], y[i]) }
    case (.pointer(let x), .value(let v)): for i in 0 ..< n { out[i] = f(x[i], v) }
    case (.value(let u), .pointer(let y)): for i in 0 ..< n { out[i] = f(u, y[i]) }
    case (.value(let u), .value(let v)): let r = f(u, v); for i in 0 ..< n { out[i] = r }
    }
}

/// `blockZip` with the pointer cases four values at a time through `R` (the same rule as `f`).
@inline(__always)
private func blockZip2<R: PairRule>(_ a: BlockOperand, _ b: BlockOperand, _ out: UnsafeMutablePointer<Double>, _ n: Int,
                                    _ rule: R.Type, _ f: (Double, Double) -> Double) {
    @inline(__always) func load(_ p: UnsafePointer<Double>, _ i: Int) -> D2 { UnsafeRawPointer(p + i).loadUnaligned(as: D2.self) }
    @inline(__always) func store(_ i: Int, _ v: D2) { UnsafeMutableRawPointer(out + i).storeBytes(of: v, as: D2.self) }
    // Two pairs an iteration, with wrapping index arithmetic: the loop's own bookkeeping was a
    // third of its instructions.
    var i = 0
    switch (a, b) {
    case (.pointer(let x), .pointer(let y)):
        while i &+ 4 <= n { store(i, R.pair(load(x, i), load(y, i))); store(i &+ 2, R.pair(load(x, i &+ 2), load(y, i &+ 2))); i &+= 4 }
        while i &+ 2 <= n { store(i, R.pair(load(x, i), load(y, i))); i &+= 2 }
        while i < n { out[i] = f(x[i], y[i]); i &+= 1 }
    case (.pointer(let x), .value(let v)):
        let vv = D2(repeating: v)
        while i &+ 4 <= n { store(i, R.pair(load(x, i), vv)); store(i &+ 2, R.pair(load(x, i &+ 2), vv)); i &+= 4 }
        while i &+ 2 <= n { store(i, R.pair(load(x, i), vv)); i &+= 2 }
        while i < n { out[i] = f(x[i], v); i &+= 1 }
    case (.value(let u), .pointer(let y)):
        let uu = D2(repeating: u)
        while i &+ 4 <= n { store(i, R.pair(uu, load(y, i))); store(i &+ 2, R.pair(uu, load(y, i &+ 2))); i &+= 4 }
        while i &+ 2 <= n { store(i, R.pair(uu, load(y, i))); i &+= 2 }
        while i < n { out[i] = f(u, y[i]); i &+= 1 }
    case (.value(let u), .value(let v)): let r = f(u, v); for i in 0 ..< n { out[i] = r }
    }
}
