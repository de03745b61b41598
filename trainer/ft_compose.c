/* ft_compose.c - see ft_compose.h. */
#include "ft_compose.h"
#include "mem.h"

#include <string.h>

void ft_scratch_alloc(struct ft_scratch *s, const struct bert_model *m, int B, int T)
{
    size_t C = (size_t)m->cfg.hidden_size;
    s->dhidden = xaligned_alloc(xmul(xmul(xmul((size_t)B, (size_t)T), C), sizeof(float)));
    s->dpooled = xaligned_alloc(xmul(xmul((size_t)B, C), sizeof(float)));
}

void ft_scratch_free(struct ft_scratch *s)
{
    xfree(s->dhidden);
    xfree(s->dpooled);
    memset(s, 0, sizeof *s);
}

void ft_compose_forward(struct bert_model *m, struct bert_acts *a, struct ft_head *h,
                        const struct batch *b, const int32_t *labels, const struct bert_step *st,
                        float grad_scale, struct ft_head_result *r)
{
    bert_encoder_forward(m, a, b, st);
    const float *in = bert_acts_hidden(a, bert_acts_layers(a));
    if (h->use_pooled) {
        bert_pooler_forward(m, a);
        in = bert_acts_pooled(a);
    }
    ft_head_forward(h, in, labels, b->sample_index, st->step, st->train, grad_scale, r);
}

void ft_compose_backward(struct bert_model *m, struct bert_acts *a, struct ft_head *h,
                         const struct batch *b, const struct bert_step *st, struct ft_scratch *s,
                         bert_grad_hook hook, void *hook_ctx)
{
    if (h->use_pooled) {
        ft_head_backward(h, s->dpooled);
        memset(s->dhidden, 0, sizeof(float) * (size_t)h->B * (size_t)h->T * (size_t)h->C);
        bert_pooler_backward(m, a, s->dpooled, s->dhidden);
        if (hook)
            hook(hook_ctx, 1 + m->U); /* the pooler's segment is final */
    } else {
        ft_head_backward(h, s->dhidden);
    }
    bert_encoder_backward(m, a, b, st, s->dhidden, hook, hook_ctx);
}
