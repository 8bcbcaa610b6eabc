// What the hot loops take from C: operations Swift does not lower to one vector instruction on
// Linux (static inline here, inlined like Swift's own code), and loops bound by division, built
// twice in CKernels.c (baseline x86-64 and AVX2, chosen once at run time: Swift has no per-
// function target, and the package stays one portable build).
#ifndef LUNAR_CKERNELS_H
#define LUNAR_CKERNELS_H

// Imported into Swift as SIMD2<Double>.
typedef double lunar_d2 __attribute__((ext_vector_type(2)));

// Both lanes' square roots in one instruction (sqrtpd): IEEE, correctly rounded, so the same
// bits as Double.squareRoot(), which on Linux becomes a libm call per lane behind a branch for
// errno (four lanes: four divides' worth of time each, in stdev and bbands).
static inline lunar_d2 lunar_sqrt2(lunar_d2 v) { return __builtin_elementwise_sqrt(v); }

// `SMALanes`' state: the four lanes' window sums and NaN counts; the window (n groups of four
// values) lives in Swift's buffer.
typedef struct {
  long n, head, filled;
  long long nans[4];
  double sum[4];
} lunar_sma4;

// `SMAKernel` for four symbols over `count` bars, the same operations in the same order as the
// registry's (so the same bits). In C because the division `sum / n` bounds its speed and x86's
// 256-bit divide does four at the cost of two: the function runs an AVX2 build of the loop where
// the CPU has it (checked once) and the baseline one elsewhere.
void lunar_sma4_run(lunar_sma4 *s, double *ring, const double *x0, const double *x1, const double *x2, const double *x3,
                    double *o0, double *o1, double *o2, double *o3, long count);

// Bar returns r[t] = e[t] / e[t−1] − 1 for t in 1..<n (r[0] is the caller's): one division a
// bar, four at a time where the CPU has AVX2 (as lunar_sma4_run). IEEE operations, the same bits.
void lunar_returns(const double *e, double *r, long n);

// Tests: 1 runs the baseline loops from now on (as a CPU without AVX2 would), 0 asks the CPU again.
void lunar_use_baseline(int yes);

#endif
