/* xent.c - see xent.h. */
#include "xent.h"
#include "fastmath.h"

#include <math.h>
#include <stddef.h>
#include <string.h>

/* Loss of one row and, when d is non-NULL, its gradient (d may alias x);
 * returns log-sum-exp minus the label's logit. Plain loops over V: they vectorise. */
static double xent_row(float *d, const float *x, int y, int V, float scale, int *argmax)
{
    float xy = x[y], mx = x[0];
#pragma omp simd reduction(max : mx)
    for (int j = 1; j < V; j++)
        mx = x[j] > mx ? x[j] : mx;
    int arg = 0;
    while (x[arg] != mx)
        arg++;
    float sum = 0;
    if (d) {
#pragma omp simd reduction(+ : sum)
        for (int j = 0; j < V; j++) {
            d[j] = fm_expf(x[j] - mx);
            sum += d[j];
        }
        float f = scale / sum;
        for (int j = 0; j < V; j++)
            d[j] *= f;
        d[y] -= scale;
    } else {
#pragma omp simd reduction(+ : sum)
        for (int j = 0; j < V; j++)
            sum += fm_expf(x[j] - mx);
    }
    *argmax = arg;
    return log((double)sum) - (double)(xy - mx);
}

double xent_forward_backward(float *dlogits, const float *logits, const int32_t *labels, int M,
                             int V, float grad_scale, long *count, long *correct)
{
    double loss = 0;
    long n = 0, hit = 0;
#pragma omp parallel for schedule(static) reduction(+ : loss, n, hit)
    for (int i = 0; i < M; i++) {
        const float *x = logits + (size_t)i * V;
        float *d = dlogits ? dlogits + (size_t)i * V : NULL;
        int y = labels[i];
        if (y < 0) {
            if (d)
                memset(d, 0, sizeof(float) * (size_t)V);
            continue;
        }
        int arg;
        loss += xent_row(d, x, y, V, grad_scale, &arg);
        n++;
        hit += arg == y;
    }
    *count += n;
    *correct += hit;
    return loss;
}

double xent_forward_backward_ref(float *dlogits, const float *logits, const int32_t *labels,
                                 int M, int V, float grad_scale, long *count, long *correct)
{
    double loss = 0;
    for (int i = 0; i < M; i++) {
        const float *x = logits + (size_t)i * V;
        int y = labels[i];
        double mx = -INFINITY, sum = 0;
        int arg = 0;
        for (int j = 0; j < V; j++)
            if (x[j] > mx) {
                mx = x[j];
                arg = j;
            }
        for (int j = 0; j < V; j++)
            sum += exp(x[j] - mx);
        if (y >= 0) {
            loss += -(x[y] - mx - log(sum));
            (*count)++;
            *correct += arg == y;
        }
        if (dlogits)
            for (int j = 0; j < V; j++)
                dlogits[(size_t)i * V + j] =
                    y < 0 ? 0.0f : (float)(grad_scale * (exp(x[j] - mx) / sum - (j == y)));
    }
    return loss;
}
