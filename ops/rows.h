/* rows.h - row movement and residual adds on (rows, C) arrays.
 *   gather_rows:      out (M, C) = inp[idx[m]]; idx < 0 gives a zero row.
 *   scatter_add_rows: dinp[idx[m]] += dout[m] (ACCUMULATES; idx unique or < 0).
 *   residual_forward: out = a + b (n elements; out may alias a or b). Its backward
 *                     is the identity into both inputs, done by the caller. */
#ifndef BT_ROWS_H
#define BT_ROWS_H

#include <stddef.h>
#include <stdint.h>

void gather_rows(float *out, const float *inp, const int32_t *idx, int M, int C);
void scatter_add_rows(float *dinp, const float *dout, const int32_t *idx, int M, int C);
void residual_forward(float *out, const float *a, const float *b, size_t n);
/* out += a (n elements). */
void add_inplace(float *out, const float *a, size_t n);

#endif
