/* optimizer.h - AdamW and LAMB over the model's tensor table.
 * Moments m and v are slabs with the parameter layout. Weight decay skips
 * tensors flagged TF_NO_DECAY (biases, LayerNorm). Gradients are first clipped
 * by their global norm (grad_clip > 0; torch's clip_grad_norm_ factor
 * min(1, clip / (norm + 1e-6))), before the moments, for both optimizers.
 *   AdamW: torch semantics; bias_correction = false gives Google BERT's variant.
 *   LAMB:  NVIDIA semantics: bias-corrected Adam direction plus decoupled decay,
 *          scaled per tensor by the trust ratio ||p|| / ||u|| (1 when either norm
 *          is 0), applied only to weight-decayed tensors. */
#ifndef BT_OPTIMIZER_H
#define BT_OPTIMIZER_H

#include "bert.h"
#include "recipe.h"

enum opt_kind { OPT_ADAMW, OPT_LAMB, OPT_COUNT };

struct optimizer {
    enum opt_kind kind;
    float beta1, beta2, eps, weight_decay, grad_clip;
    int bias_correction;
    long t;            /* updates applied so far */
    size_t n;
    float *m, *v;      /* (n) */
    float *u;          /* LAMB direction scratch: largest tensor */
};

void optimizer_init(struct optimizer *o, const struct bert_model *m, const struct recipe *r);
void optimizer_free(struct optimizer *o);
/* L2 norm of the whole gradient slab (double accumulation). */
double grad_global_norm(const struct bert_model *m);
/* One update with learning rate lr; grad_norm is grad_global_norm's value. */
void optimizer_step(struct optimizer *o, struct bert_model *m, double lr, double grad_norm);

#endif
