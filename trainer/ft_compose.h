/* ft_compose.h - encoder + task head as one forward and one backward, shared by
 * bert-finetune and the tests:
 *   forward:  bert_encoder_forward -> (sequence heads on BERT/ALBERT:
 *             bert_pooler_forward) -> ft_head_forward;
 *   backward: ft_head_backward -> (bert_pooler_backward into d(hidden)) ->
 *             bert_encoder_backward. ACCUMULATES into m->grads and h->grads.
 * When hook is set (the last micro-batch of a data-parallel step), it is told
 * about every encoder gradient segment as backward finishes it, including the
 * pooler's segment (1 + m->U) right after the pooler. */
#ifndef BT_FT_COMPOSE_H
#define BT_FT_COMPOSE_H

#include "bert.h"
#include "ft_heads.h"

struct ft_scratch {
    float *dhidden; /* (B*T, C) */
    float *dpooled; /* (B, C) */
};

void ft_scratch_alloc(struct ft_scratch *s, const struct bert_model *m, int B, int T);
void ft_scratch_free(struct ft_scratch *s);

/* labels: as ft_head_forward; st->train enables dropout and loss gradients. */
void ft_compose_forward(struct bert_model *m, struct bert_acts *a, struct ft_head *h,
                        const struct batch *b, const int32_t *labels, const struct bert_step *st,
                        float grad_scale, struct ft_head_result *r);
void ft_compose_backward(struct bert_model *m, struct bert_acts *a, struct ft_head *h,
                         const struct batch *b, const struct bert_step *st, struct ft_scratch *s,
                         bert_grad_hook hook, void *hook_ctx);

#endif
