/* flops.h - the floating-point work a training step needs, counted the way the
 * benchmarks report it: 2*M*N*K per matmul in forward, three times that for
 * forward + backward, attention products included, the MLM decoder only on the
 * gathered rows. Elementwise work is not counted. */
#ifndef BT_FLOPS_H
#define BT_FLOPS_H

#include "bert_config.h"

double bert_flops_forward(const struct bert_config *c, int B, int T, int n_pred);
double bert_flops_step(const struct bert_config *c, int B, int T, int n_pred);

#endif
