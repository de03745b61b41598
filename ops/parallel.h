/* parallel.h - the only place that asks whether OpenMP is on. */
#ifndef BT_PARALLEL_H
#define BT_PARALLEL_H

#ifdef _OPENMP
#include <omp.h>
static inline int par_max_threads(void) { return omp_get_max_threads(); }
#else
static inline int par_max_threads(void) { return 1; }
#endif

#endif
