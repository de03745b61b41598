/* xent.h - softmax cross-entropy over rows of logits (M, V) with integer labels;
 * rows whose label is < 0 are ignored (HF's ignore_index -100).
 * Returns the loss SUM (double) over counted rows; *count and *correct (argmax
 * equals label) are incremented. When dlogits is non-NULL it is OVERWRITTEN with
 * grad_scale * (softmax - onehot) for counted rows and 0 for ignored ones; it may
 * alias logits. The caller chooses grad_scale (1 / global label count). */
#ifndef BT_XENT_H
#define BT_XENT_H

#include <stdint.h>

double xent_forward_backward(float *dlogits, const float *logits, const int32_t *labels, int M,
                             int V, float grad_scale, long *count, long *correct);
double xent_forward_backward_ref(float *dlogits, const float *logits, const int32_t *labels,
                                 int M, int V, float grad_scale, long *count, long *correct);

#endif
