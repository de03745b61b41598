/* optim.h - optimizer kernels over one contiguous tensor (n floats).
 * Gradients are multiplied by gscale (the clipping factor) as they are read.
 *   adamw_update: torch.optim.AdamW semantics (decoupled weight decay); with
 *     bc1 = bc2 = 1 it is Google BERT's AdamWeightDecayOptimizer (no bias
 *     correction). p -= lr * (m_hat / (sqrt(v_hat) + eps) + wd * p).
 *   lamb_direction: updates m and v and writes u = m_hat / (sqrt(v_hat) + eps)
 *     + wd * p; returns ||p||^2 and ||u||^2 (double) for the trust ratio.
 *   axpy_update: p -= a * u. */
#ifndef BT_OPTIM_H
#define BT_OPTIM_H

#include <stddef.h>

struct adam_hparams {
    float lr, beta1, beta2, eps, wd;
    float bc1, bc2; /* 1 - beta^t, or 1 for no bias correction */
};

void adamw_update(float *p, const float *g, float *m, float *v, size_t n, float gscale,
                  const struct adam_hparams *h);
void lamb_direction(float *u, const float *p, const float *g, float *m, float *v, size_t n,
                    float gscale, const struct adam_hparams *h, double *p_sq, double *u_sq);
void axpy_update(float *p, const float *u, size_t n, float a);

#endif
