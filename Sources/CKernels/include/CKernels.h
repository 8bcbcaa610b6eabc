// What the lane kernels need from C: operations Swift does not lower to one vector instruction
// on Linux. Header-only (static inline): the Swift optimizer inlines them like its own code.
#ifndef LUNAR_CKERNELS_H
#define LUNAR_CKERNELS_H

// Imported into Swift as SIMD2<Double>.
typedef double lunar_d2 __attribute__((ext_vector_type(2)));

// Both lanes' square roots in one instruction (sqrtpd): IEEE, correctly rounded, so the same
// bits as Double.squareRoot(), which on Linux becomes a libm call per lane behind a branch for
// errno (four lanes: four divides' worth of time each, in stdev and bbands).
static inline lunar_d2 lunar_sqrt2(lunar_d2 v) { return __builtin_elementwise_sqrt(v); }

#endif
