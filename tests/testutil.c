/* testutil.c - see testutil.h. */
#include "testutil.h"
#include "check.h"
#include "fileio.h"
#include "rng.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

double tu_max_rel_err(const float *a, const float *b, size_t n, double floor)
{
    double num = 0, den = floor;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)a[i] - (double)b[i]);
        if (d > num || isnan(d))
            num = isnan(d) ? INFINITY : d;
        if (fabs(b[i]) > den)
            den = fabs(b[i]);
    }
    return num / den;
}

double tu_max_rel_err_d(const double *a, const double *b, size_t n, double floor)
{
    double num = 0, den = floor;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]);
        if (d > num || isnan(d))
            num = isnan(d) ? INFINITY : d;
        if (fabs(b[i]) > den)
            den = fabs(b[i]);
    }
    return num / den;
}

void tu_assert_close(const char *what, const float *got, const float *want, size_t n, double tol)
{
    double e = tu_max_rel_err(got, want, n, 1e-30);
    if (!(e <= tol))
        fail_msg("%s: max relative error %.3g exceeds %.3g", what, e, tol);
}

void tu_assert_close_d(const char *what, const double *got, const double *want, size_t n,
                       double tol)
{
    double e = tu_max_rel_err_d(got, want, n, 1e-300);
    if (!(e <= tol))
        fail_msg("%s: max relative error %.3g exceeds %.3g", what, e, tol);
}

void tu_fill_uniform(float *x, size_t n, float lo, float hi, uint64_t seed)
{
    struct rng r;
    rng_init(&r, seed, 12345);
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * (float)rng_next_double(&r);
}

void tu_fill_uniform_d(double *x, size_t n, double lo, double hi, uint64_t seed)
{
    struct rng r;
    rng_init(&r, seed, 12345);
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * rng_next_double(&r);
}

void tu_tmpdir(char *out, size_t n, const char *name)
{
    char err[BT_ERR_LEN];
    snprintf(out, n, "%s/tmp/%s.%ld", BT_BINARY_DIR_STR, name, (long)getpid());
    if (file_remove_tree(out, err) != BT_OK || file_mkdir_p(out, err) != BT_OK)
        fail_msg("tmpdir: %s", err);
}

void tu_src_path(char *out, size_t n, const char *rel)
{
    snprintf(out, n, "%s/%s", BT_SOURCE_DIR_STR, rel);
}

double tu_gradcheck(double (*loss)(void *ctx), void *ctx, float *x, const float *grad, size_t n,
                    float h, int max_checks)
{
    double gmax = 1e-12, err = 0;
    for (size_t i = 0; i < n; i++)
        if (fabs(grad[i]) > gmax)
            gmax = fabs(grad[i]);
    size_t stride = n > (size_t)max_checks ? n / (size_t)max_checks : 1;
    for (size_t i = 0; i < n; i += stride) {
        float x0 = x[i];
        float step = h * (1.0f + fabsf(x0));
        x[i] = x0 + step;
        double lp = loss(ctx);
        x[i] = x0 - step;
        double lm = loss(ctx);
        x[i] = x0;
        double fd = (lp - lm) / ((double)(x0 + step) - (double)(x0 - step));
        double e = fabs(fd - grad[i]);
        if (e > err)
            err = e;
    }
    return err / gmax;
}
