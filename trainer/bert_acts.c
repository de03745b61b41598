/* bert_acts.c - allocation of the activation arenas; see bert_acts.h. */
#include "attention.h"
#include "bert_acts.h"
#include "mem.h"

#include <string.h>

struct arena {
    size_t bytes;
};

static float *fbuf(struct arena *ar, size_t n)
{
    ar->bytes += n * sizeof(float);
    return xaligned_alloc(xmul(n, sizeof(float)));
}

static int32_t *ibuf(struct arena *ar, size_t n)
{
    ar->bytes += n * sizeof(int32_t);
    return xcalloc(n, sizeof(int32_t));
}

struct bert_acts *bert_acts_alloc(const struct bert_model *m, int B, int T, int max_pred)
{
    const struct bert_config *c = &m->cfg;
    struct bert_acts *a = xcalloc(1, sizeof *a);
    struct arena ar = {0};
    size_t C = (size_t)c->hidden_size, E = (size_t)c->embedding_size;
    size_t F = (size_t)c->intermediate_size, V = (size_t)c->vocab_size, NH = (size_t)c->num_heads;
    a->B = B;
    a->T = T;
    a->N = B * T;
    size_t N = (size_t)a->N;
    a->Mcap = (B * max_pred + 15) / 16 * 16;
    size_t Mc = (size_t)a->Mcap;
    a->L_app = c->num_layers * c->inner_group_num;
    a->unique_of = xcalloc((size_t)a->L_app, sizeof(int));
    a->first_use = xcalloc((size_t)m->U, sizeof(int));
    int per_group = c->num_layers / c->num_hidden_groups;
    for (int i = 0; i < c->num_layers; i++)
        for (int j = 0; j < c->inner_group_num; j++) {
            int l = i * c->inner_group_num + j;
            a->unique_of[l] = c->type == MODEL_ALBERT ? (i / per_group) * c->inner_group_num + j
                                                      : i;
        }
    for (int u = 0; u < m->U; u++)
        a->first_use[u] = -1;
    for (int l = 0; l < a->L_app; l++)
        if (a->first_use[a->unique_of[l]] < 0)
            a->first_use[a->unique_of[l]] = l;
    a->pos = ibuf(&ar, N);
    a->keys = xcalloc((size_t)B, sizeof(uint64_t));
    a->emb_sum = fbuf(&ar, N * E);
    a->emb_mean = fbuf(&ar, N);
    a->emb_rstd = fbuf(&ar, N);
    a->emb_out = fbuf(&ar, N * E);
    a->xs = xcalloc((size_t)a->L_app + 1, sizeof(float *));
    a->xs[0] = c->type == MODEL_ALBERT ? fbuf(&ar, N * C) : a->emb_out;
    a->la = xcalloc((size_t)a->L_app, sizeof(struct layer_acts));
    for (int l = 0; l < a->L_app; l++) {
        struct layer_acts *x = &a->la[l];
        x->qkv = fbuf(&ar, N * 3 * C);
        x->att = fbuf(&ar, (size_t)B * NH * T * T);
        x->ctx = fbuf(&ar, N * C);
        x->sum1 = fbuf(&ar, N * C);
        x->mean1 = fbuf(&ar, N);
        x->rstd1 = fbuf(&ar, N);
        x->x1 = fbuf(&ar, N * C);
        x->pre = fbuf(&ar, N * F);
        x->act = fbuf(&ar, N * F);
        x->sum2 = fbuf(&ar, N * C);
        x->mean2 = fbuf(&ar, N);
        x->rstd2 = fbuf(&ar, N);
        a->xs[l + 1] = fbuf(&ar, N * C);
    }
    a->pred_idx = ibuf(&ar, Mc);
    a->pred_lab = ibuf(&ar, Mc);
    a->mg = fbuf(&ar, Mc * C);
    a->mt1 = fbuf(&ar, Mc * E);
    a->mt2 = fbuf(&ar, Mc * E);
    a->mt3 = fbuf(&ar, Mc * E);
    a->mmean = fbuf(&ar, Mc);
    a->mrstd = fbuf(&ar, Mc);
    a->logits = fbuf(&ar, Mc * V);
    a->dlogits = fbuf(&ar, Mc * V);
    a->cls_idx = ibuf(&ar, (size_t)B);
    a->nsp_lab = ibuf(&ar, (size_t)B);
    a->cls = fbuf(&ar, (size_t)B * C);
    a->pooled = fbuf(&ar, (size_t)B * C);
    a->pooled_drop = fbuf(&ar, (size_t)B * C);
    a->nsp_logits = fbuf(&ar, (size_t)B * 2);
    a->dnsp = fbuf(&ar, (size_t)B * 2);
    a->dqkv = fbuf(&ar, N * 3 * C);
    size_t sf = attention_fwd_scratch_floats(B, T, (int)C, (int)NH);
    size_t sb = attention_bwd_scratch_floats(B, T, (int)C, (int)NH);
    a->attn_scratch = fbuf(&ar, sf > sb ? sf : sb);
    a->tmp = fbuf(&ar, N * C);
    a->dx = fbuf(&ar, N * C);
    a->dsum = fbuf(&ar, N * C);
    a->dctx = fbuf(&ar, N * C);
    a->dff = fbuf(&ar, N * F);
    a->demb = fbuf(&ar, N * E);
    a->demb2 = fbuf(&ar, N * E);
    a->dmg = fbuf(&ar, Mc * C);
    a->dmt = fbuf(&ar, Mc * E);
    a->dmt2 = fbuf(&ar, Mc * E);
    a->dcls = fbuf(&ar, (size_t)B * C);
    a->dpooled = fbuf(&ar, (size_t)B * C);
    a->bytes = ar.bytes;
    return a;
}

void bert_acts_free(struct bert_acts *a)
{
    if (!a)
        return;
    int albert_xs0 = a->xs[0] != a->emb_out;
    for (int l = 0; l < a->L_app; l++) {
        struct layer_acts *x = &a->la[l];
        float *bufs[] = {x->qkv, x->att, x->ctx,  x->sum1,  x->mean1, x->rstd1, x->x1,
                         x->pre, x->act, x->sum2, x->mean2, x->rstd2};
        for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
            xfree(bufs[i]);
        xfree(a->xs[l + 1]);
    }
    if (albert_xs0)
        xfree(a->xs[0]);
    float *bufs[] = {a->emb_sum, a->emb_mean, a->emb_rstd, a->emb_out, a->mg, a->mt1, a->mt2,
                     a->mt3, a->mmean, a->mrstd, a->logits, a->dlogits, a->cls, a->pooled,
                     a->pooled_drop, a->nsp_logits, a->dnsp, a->dqkv, a->attn_scratch, a->tmp,
                     a->dx, a->dsum, a->dctx, a->dff, a->demb, a->demb2, a->dmg, a->dmt, a->dmt2,
                     a->dcls, a->dpooled};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        xfree(bufs[i]);
    xfree(a->pos);
    xfree(a->keys);
    xfree(a->pred_idx);
    xfree(a->pred_lab);
    xfree(a->cls_idx);
    xfree(a->nsp_lab);
    xfree(a->unique_of);
    xfree(a->first_use);
    xfree(a->xs);
    xfree(a->la);
    xfree(a);
}

size_t bert_acts_bytes(const struct bert_acts *a)
{
    return a->bytes;
}

const float *bert_acts_mlm_logits(const struct bert_acts *a)
{
    return a->logits;
}

const float *bert_acts_nsp_logits(const struct bert_acts *a)
{
    return a->nsp_logits;
}

const float *bert_acts_hidden(const struct bert_acts *a, int i)
{
    return a->xs[i];
}

const float *bert_acts_attention(const struct bert_acts *a, int l)
{
    return a->la[l].att;
}

const float *bert_acts_pooled(const struct bert_acts *a)
{
    return a->pooled;
}

int bert_acts_layers(const struct bert_acts *a)
{
    return a->L_app;
}
