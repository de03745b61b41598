/* bert_backward.c - the backward pass in reverse order of bert_forward.c.
 * Parameter gradients accumulate into m->grads; activation gradients flow
 * through per-layer scratch. After the heads, after each layer's last use and
 * after the embeddings, the hook is told that a gradient segment is final, so
 * the trainer can start its all-reduce while backward continues. */
#include "activation.h"
#include "attention.h"
#include "bert_acts.h"
#include "embedding.h"
#include "gemm.h"
#include "layernorm.h"
#include "rows.h"

#include <string.h>

/* Returns the dropout-masked copy of d in buf, or d itself when dropout is off. */
static const float *drop_grad(float *buf, const float *d, int rows, int cols, int rows_per_key,
                              uint64_t site, const struct dropout_cfg *cfg)
{
    if (!cfg)
        return d;
    dropout_apply(buf, d, rows, cols, rows_per_key, site, cfg);
    return buf;
}

/* dy = a->dx holds d(output of application l); leaves d(input of l) in a->dx. */
static void encoder_layer_backward(struct bert_model *m, struct bert_acts *a, int l,
                                   const struct dropout_cfg *hd, const struct dropout_cfg *ad)
{
    const struct bert_config *c = &m->cfg;
    int u = a->unique_of[l];
    const struct bert_layer_params *p = &m->p.layers[u];
    struct bert_layer_params *g = &m->g.layers[u];
    struct layer_acts *x = &a->la[l];
    int N = a->N, C = c->hidden_size, F = c->intermediate_size, T = a->T;

    layernorm_backward(a->dsum, 0, g->ln2_w, g->ln2_b, a->dx, x->sum2, p->ln2_w, x->mean2,
                       x->rstd2, N, C);
    /* dsum is now d(x1) through the residual, and d(ffn out) through dropout. */
    const float *dfo = drop_grad(a->tmp, a->dsum, N, C, T, drop_site(SITE_FFN_OUT, l), hd);
    linear_backward(a->dff, 0, g->fo_w, g->fo_b, dfo, x->act, p->fo_w, N, F, C);
    act_backward(a->dff, a->dff, x->pre, (size_t)N * F, (enum act_kind)c->act);
    linear_backward(a->dsum, 1, g->fi_w, g->fi_b, a->dff, x->x1, p->fi_w, N, C, F);
    layernorm_backward(a->dx, 0, g->ln1_w, g->ln1_b, a->dsum, x->sum1, p->ln1_w, x->mean1,
                       x->rstd1, N, C);
    /* dx is now d(input) through the residual, and d(attn out) through dropout. */
    const float *dao = drop_grad(a->tmp, a->dx, N, C, T, drop_site(SITE_ATTN_OUT, l), hd);
    linear_backward(a->dctx, 0, g->ao_w, g->ao_b, dao, x->ctx, p->ao_w, N, C, C);
    attention_backward(a->dqkv, a->attn_scratch, a->dctx, x->qkv, x->att, a->B, T, C,
                       c->num_heads, ad, drop_site(SITE_ATTN, l));
    linear_backward(a->dx, 1, g->qkv_w, g->qkv_b, a->dqkv, a->xs[l], p->qkv_w, N, C, 3 * C);
    /* The key bias adds the same q.b_k to every score of a query row, which the
     * softmax ignores: its gradient is zero in exact arithmetic. Store that zero
     * instead of float32 roundoff (fused bias order: query, key, value). */
    memset(g->qkv_b + C, 0, sizeof(float) * (size_t)C);
}

/* From d(final hidden states) in a->dx through the layers and the embeddings. */
static void encoder_backward(struct bert_model *m, struct bert_acts *a, const struct batch *b,
                             const struct bert_step *st, bert_grad_hook hook, void *hook_ctx)
{
    const struct bert_config *c = &m->cfg;
    const struct bert_params *p = &m->p;
    struct bert_params *g = &m->g;
    int N = a->N, T = a->T, C = c->hidden_size, E = c->embedding_size;
    struct dropout_cfg hdc = {(float)c->hidden_dropout, st->seed, a->keys};
    struct dropout_cfg adc = {(float)c->attn_dropout, st->seed, a->keys};
    const struct dropout_cfg *hd = hdc.p > 0 ? &hdc : NULL;
    const struct dropout_cfg *ad = adc.p > 0 ? &adc : NULL;

    for (int l = a->L_app - 1; l >= 0; l--) {
        encoder_layer_backward(m, a, l, hd, ad);
        if (hook && a->first_use[a->unique_of[l]] == l)
            hook(hook_ctx, 1 + a->unique_of[l]);
    }

    const float *demb = a->dx;
    if (c->type == MODEL_ALBERT) {
        linear_backward(a->demb, 0, g->map_w, g->map_b, a->dx, a->emb_out, p->map_w, N, E, C);
        demb = a->demb;
    }
    if (hd) {
        dropout_apply(a->demb, demb, N, E, T, drop_site(SITE_EMB, 0), hd);
        demb = a->demb;
    }
    layernorm_backward(a->demb2, 0, g->emb_ln_w, g->emb_ln_b, demb, a->emb_sum, p->emb_ln_w,
                       a->emb_mean, a->emb_rstd, N, E);
    if (st->wte_rows) /* the word rows go to the caller's buffer (bert.h) */
        embedding_backward(st->wte_rows->rows, g->wpe, g->wtt, a->demb2, st->wte_rows->slot,
                           a->pos, b->token_type_ids, N, E);
    else
        embedding_backward(g->wte, g->wpe, g->wtt, a->demb2, b->input_ids, a->pos,
                           b->token_type_ids, N, E);
    if (hook)
        hook(hook_ctx, 0);
}

void bert_encoder_backward(struct bert_model *m, struct bert_acts *a, const struct batch *b,
                           const struct bert_step *st, const float *dhidden, bert_grad_hook hook,
                           void *hook_ctx)
{
    BT_CHECK(st->train, "bert_encoder_backward needs a training forward");
    memcpy(a->dx, dhidden, sizeof(float) * (size_t)a->N * m->cfg.hidden_size);
    encoder_backward(m, a, b, st, hook, hook_ctx);
}

void bert_pooler_backward(struct bert_model *m, struct bert_acts *a, const float *dpooled,
                          float *dhidden)
{
    int B = a->B, C = m->cfg.hidden_size;
    tanh_backward(a->dpooled, dpooled, a->pooled, (size_t)B * C);
    linear_backward(a->dcls, 0, m->g.pool_w, m->g.pool_b, a->dpooled, a->cls, m->p.pool_w, B, C,
                    C);
    scatter_add_rows(dhidden, a->dcls, a->cls_idx, B, C);
}

void bert_backward(struct bert_model *m, struct bert_acts *a, const struct batch *b,
                   const struct bert_step *st, bert_grad_hook hook, void *hook_ctx)
{
    const struct bert_config *c = &m->cfg;
    const struct bert_params *p = &m->p;
    struct bert_params *g = &m->g;
    int N = a->N, B = a->B, C = c->hidden_size, E = c->embedding_size;
    int V = c->vocab_size, Mp = a->Mp;
    BT_CHECK(st->train, "bert_backward needs a training forward");
    struct dropout_cfg cdc = {(float)c->classifier_dropout, st->seed, a->keys};

    memset(a->dx, 0, sizeof(float) * (size_t)N * C);
    /* MLM head: decoder tied to the word embeddings. */
    linear_backward(a->dmt, 0, g->wte, g->mlm_bias, a->dlogits, a->mt3, p->wte, Mp, E, V);
    layernorm_backward(a->dmt2, 0, g->mlm_ln_w, g->mlm_ln_b, a->dmt, a->mt2, p->mlm_ln_w, a->mmean,
                       a->mrstd, Mp, E);
    act_backward(a->dmt2, a->dmt2, a->mt1, (size_t)Mp * E, (enum act_kind)c->act);
    linear_backward(a->dmg, 0, g->mlm_w, g->mlm_b, a->dmt2, a->mg, p->mlm_w, Mp, C, E);
    scatter_add_rows(a->dx, a->dmg, a->pred_idx, Mp, C);
    if (bert_config_has_nsp(c)) {
        linear_backward(a->dpooled, 0, g->nsp_w, g->nsp_b, a->dnsp, a->pooled_drop, p->nsp_w, B,
                        C, 2);
        if (c->type == MODEL_ALBERT && cdc.p > 0)
            dropout_apply(a->dpooled, a->dpooled, B, C, 1, drop_site(SITE_CLS, 0), &cdc);
        bert_pooler_backward(m, a, a->dpooled, a->dx);
    }
    if (hook)
        hook(hook_ctx, 1 + m->U);
    encoder_backward(m, a, b, st, hook, hook_ctx);
}
