/* testutil.h - helpers shared by the cmocka tests: closeness checks with useful
 * messages, deterministic random fills, temporary directories, source paths. */
#ifndef BT_TESTUTIL_H
#define BT_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

/* Max relative error max|a-b| / max(max|b|, floor) over n elements. */
double tu_max_rel_err(const float *a, const float *b, size_t n, double floor);
double tu_max_rel_err_d(const double *a, const double *b, size_t n, double floor);
/* Fails the test with the name and the error when the relative error exceeds tol. */
void tu_assert_close(const char *what, const float *got, const float *want, size_t n, double tol);
void tu_assert_close_d(const char *what, const double *got, const double *want, size_t n,
                       double tol);
/* Fills with uniform values in [lo, hi) from a fixed seed. */
void tu_fill_uniform(float *x, size_t n, float lo, float hi, uint64_t seed);
void tu_fill_uniform_d(double *x, size_t n, double lo, double hi, uint64_t seed);
/* Creates a fresh empty directory under the build tree and writes its path. */
void tu_tmpdir(char *out, size_t n, const char *name);
/* Absolute path of a file under the source tree. */
void tu_src_path(char *out, size_t n, const char *rel);



/* Finite-difference gradient check. loss() computes a scalar in double from the
 * current contents of x (and whatever else ctx holds); grad is the analytic
 * gradient of that scalar w.r.t. x. Checks up to max_checks evenly spread
 * elements with central differences of step h (relative to 1 + |x|), and
 * returns max |fd - grad| / max(max |grad|, 1e-12) over them. */
double tu_gradcheck(double (*loss)(void *ctx), void *ctx, float *x, const float *grad, size_t n,
                    float h, int max_checks);
#endif
