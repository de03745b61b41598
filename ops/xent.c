/* xent.c - see xent.h. */
#include "xent.h"

#include <math.h>
#include <stddef.h>

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
                for (int j = 0; j < V; j++)
                    d[j] = 0.0f;
            continue;
        }
        float mx = x[0];
        int arg = 0;
        for (int j = 1; j < V; j++)
            if (x[j] > mx) {
                mx = x[j];
                arg = j;
            }
        float xy = x[y];
        double sum = 0;
        for (int j = 0; j < V; j++)
            sum += expf(x[j] - mx);
        loss += log(sum) - (double)(xy - mx);
        n++;
        hit += arg == y;
        if (d) {
            float inv = (float)(1.0 / sum);
            for (int j = 0; j < V; j++)
                d[j] = grad_scale * expf(x[j] - mx) * inv;
            d[y] -= grad_scale;
        }
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
