/* layernorm.h - LayerNorm over the last dimension C of N rows.
 *   forward:  out = (inp - mean) * rstd * w + b; saves mean (N), rstd (N)
 *   backward: dinp OVERWRITTEN when dinp_acc is 0, else accumulated;
 *             dw, db (C) ACCUMULATE (parallel over channel blocks: deterministic).
 * Statistics are computed in double per row. */
#ifndef BT_LAYERNORM_H
#define BT_LAYERNORM_H

void layernorm_forward(float *out, float *mean, float *rstd, const float *inp, const float *w,
                       const float *b, int N, int C, float eps);
void layernorm_backward(float *dinp, int dinp_acc, float *dw, float *db, const float *dout,
                        const float *inp, const float *w, const float *mean, const float *rstd,
                        int N, int C);
/* Reference twins: plain loops in double. */
void layernorm_forward_ref(float *out, float *mean, float *rstd, const float *inp, const float *w,
                           const float *b, int N, int C, float eps);
void layernorm_backward_ref(float *dinp, int dinp_acc, float *dw, float *db, const float *dout,
                            const float *inp, const float *w, const float *mean,
                            const float *rstd, int N, int C);

#endif
