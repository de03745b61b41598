/* reduce.h - reductions over float arrays, accumulated in double.
 * Results depend on the thread count only through summation order; callers
 * that need bitwise reproducibility pin OMP_NUM_THREADS. */
#ifndef BT_REDUCE_H
#define BT_REDUCE_H

#include <stddef.h>

double reduce_sumsq(const float *x, size_t n);
/* Index of the first non-finite element, or -1 when all are finite. */
long reduce_first_nonfinite(const float *x, size_t n);
void scale_inplace(float *x, size_t n, float s);

#endif
