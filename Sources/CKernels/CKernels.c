// The lane kernels' C parts: the static inline functions live in include/CKernels.h; the loops
// built twice (baseline x86-64 and AVX2, picked at run time) live here.
#include "CKernels.h"

typedef double d4 __attribute__((ext_vector_type(4)));
typedef long i4 __attribute__((ext_vector_type(4)));   // what comparing two d4s gives
// The window as Swift lays out [SIMD4<Double>]: 16-byte aligned, not the 32 a d4 assumes (an
// aligned 256-bit load there faults).
typedef double d4u __attribute__((ext_vector_type(4), aligned(8)));

// The body of lunar_sma4_run, compiled once per instruction set below. A NaN adds (and later
// removes) +0 in its lane, which leaves the sum's bits as skipping it would (SMALanes' rule).
#define LUNAR_SMA4_BODY                                                                          \
  const d4 dn = (d4)((double)s->n), nan = (d4)(__builtin_nan(""));                             \
  long n = s->n, head = s->head, filled = s->filled;                                            \
  i4 nans = {s->nans[0], s->nans[1], s->nans[2], s->nans[3]};                                   \
  d4 sum = {s->sum[0], s->sum[1], s->sum[2], s->sum[3]};                                        \
  d4u *r = (d4u *)ring;                                                                         \
  for (long i = 0; i < count; i++) {                                                            \
    d4 v = {x0[i], x1[i], x2[i], x3[i]};                                                        \
    i4 vnan = v != v;                                                                           \
    nans -= vnan;                                                                               \
    sum += (d4)((i4)v & ~vnan);                                                                 \
    if (filled < n) {                                                                           \
      r[filled] = v; filled++;                                                                  \
    } else {                                                                                    \
      d4 old = r[head];                                                                         \
      r[head] = v;                                                                              \
      if (++head == n) head = 0;                                                                \
      i4 onan = old != old;                                                                     \
      nans += onan;                                                                             \
      sum -= (d4)((i4)old & ~onan);                                                             \
    }                                                                                           \
    d4 avg = nan;                                                                               \
    if (filled == n) {                                                                          \
      i4 bad = nans != 0;                                                                       \
      avg = (d4)(((i4)(sum / dn) & ~bad) | ((i4)nan & bad));                                    \
    }                                                                                           \
    o0[i] = avg.x; o1[i] = avg.y; o2[i] = avg.z; o3[i] = avg.w;                                 \
  }                                                                                             \
  s->head = head; s->filled = filled;                                                           \
  for (int l = 0; l < 4; l++) { s->nans[l] = nans[l]; s->sum[l] = sum[l]; }

static void sma4_base(lunar_sma4 *s, double *ring, const double *x0, const double *x1, const double *x2, const double *x3,
                      double *o0, double *o1, double *o2, double *o3, long count) {
  LUNAR_SMA4_BODY
}

#if defined(__x86_64__)
__attribute__((target("avx2")))
static void sma4_avx2(lunar_sma4 *s, double *ring, const double *x0, const double *x1, const double *x2, const double *x3,
                      double *o0, double *o1, double *o2, double *o3, long count) {
  LUNAR_SMA4_BODY
}
#endif

// -1: not yet asked; 0: the baseline loops; 1: AVX2. Every thread that asks computes the same
// answer; relaxed atomics make the racing first writes well-defined.
static int lunar_avx2 = -1;

void lunar_use_baseline(int yes) { __atomic_store_n(&lunar_avx2, yes ? 0 : -1, __ATOMIC_RELAXED); }

// Whether to run the AVX2 builds (x86-64 only).
static int lunar_wide(void) {
#if defined(__x86_64__)
  int wide = __atomic_load_n(&lunar_avx2, __ATOMIC_RELAXED);
  if (wide < 0) {
    __builtin_cpu_init();
    wide = __builtin_cpu_supports("avx2") ? 1 : 0;
    __atomic_store_n(&lunar_avx2, wide, __ATOMIC_RELAXED);
  }
  return wide;
#else
  return 0;
#endif
}

void lunar_sma4_run(lunar_sma4 *s, double *ring, const double *x0, const double *x1, const double *x2, const double *x3,
                    double *o0, double *o1, double *o2, double *o3, long count) {
#if defined(__x86_64__)
  if (lunar_wide()) { sma4_avx2(s, ring, x0, x1, x2, x3, o0, o1, o2, o3, count); return; }
#endif
  sma4_base(s, ring, x0, x1, x2, x3, o0, o1, o2, o3, count);
}

#define LUNAR_RETURNS_BODY for (long t = 1; t < n; t++) r[t] = e[t] / e[t - 1] - 1;

static void returns_base(const double *e, double *r, long n) { LUNAR_RETURNS_BODY }

#if defined(__x86_64__)
__attribute__((target("avx2"))) static void returns_avx2(const double *e, double *r, long n) { LUNAR_RETURNS_BODY }
#endif

void lunar_returns(const double *e, double *r, long n) {
#if defined(__x86_64__)
  if (lunar_wide()) { returns_avx2(e, r, n); return; }
#endif
  returns_base(e, r, n);
}
