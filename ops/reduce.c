/* reduce.c - see reduce.h. */
#include "reduce.h"

#include <math.h>

double reduce_sumsq(const float *x, size_t n)
{
    double s = 0;
#pragma omp parallel for schedule(static) reduction(+ : s)
    for (size_t i = 0; i < n; i++)
        s += (double)x[i] * x[i];
    return s;
}

long reduce_first_nonfinite(const float *x, size_t n)
{
    long first = -1;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) {
            first = (long)i;
            break;
        }
    return first;
}

void scale_inplace(float *x, size_t n, float s)
{
#pragma omp parallel for schedule(static)
    for (size_t i = 0; i < n; i++)
        x[i] *= s;
}
