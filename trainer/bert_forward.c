/* bert_forward.c - the forward pass as a straight-line composition of ops:
 * embeddings -> (ALBERT: E->C mapping) -> L post-LayerNorm encoder layers ->
 * MLM head on the gathered masked rows (+ pooler and NSP/SOP head).
 * With st->train the heads also write the loss gradients (dlogits, dnsp) so that
 * backward starts from them. */
#include "activation.h"
#include "attention.h"
#include "bert_acts.h"
#include "embedding.h"
#include "gemm.h"
#include "layernorm.h"
#include "rng.h"
#include "rows.h"
#include "xent.h"

#include <string.h>

static void prepare_inputs(const struct bert_model *m, struct bert_acts *a, const struct batch *b,
                           const struct bert_step *st)
{
    const struct bert_config *c = &m->cfg;
    int B = a->B, T = a->T;
    BT_CHECK(b->B == B && b->T == T, "batch shape %dx%d does not match the arenas %dx%d", b->B,
             b->T, B, T);
    BT_CHECK(b->n_pred <= a->Mcap, "%d predictions exceed the capacity %d", b->n_pred, a->Mcap);
    int off = bert_config_position_offset(c);
    for (int r = 0; r < B; r++) {
        int run = 0;
        for (int t = 0; t < T; t++) {
            int n = r * T + t;
            BT_CHECK(b->input_ids[n] >= 0 && b->input_ids[n] < c->vocab_size,
                     "token id %d at row %d position %d is outside the vocabulary (%d)",
                     b->input_ids[n], r, t, c->vocab_size);
            BT_CHECK(b->token_type_ids[n] >= 0 && b->token_type_ids[n] < c->type_vocab_size,
                     "token type %d at row %d is outside type_vocab_size %d", b->token_type_ids[n],
                     r, c->type_vocab_size);
            if (c->type == MODEL_ROBERTA) {
                /* HF: positions count non-pad tokens from pad+1; pads get pad_token_id. */
                int real = b->input_ids[n] != c->pad_token_id;
                run += real;
                a->pos[n] = real ? c->pad_token_id + run : c->pad_token_id;
            } else {
                a->pos[n] = t + off;
            }
            BT_CHECK(a->pos[n] < c->max_position_embeddings,
                     "position %d exceeds max_position_embeddings %d", a->pos[n],
                     c->max_position_embeddings);
        }
        a->keys[r] = rng_stream(0xD209, st->step, (uint64_t)b->sample_index[r]);
        a->cls_idx[r] = r * T;
        a->nsp_lab[r] = r < b->rows ? b->nsp_labels[r] : -1;
    }
    a->Mp = (b->n_pred + 15) / 16 * 16;
    for (int i = 0; i < a->Mp; i++) {
        a->pred_idx[i] = i < b->n_pred ? b->pred_pos[i] : -1;
        a->pred_lab[i] = i < b->n_pred ? b->pred_label[i] : -1;
        BT_CHECK(a->pred_idx[i] < B * T, "prediction position %d outside the batch",
                 a->pred_idx[i]);
    }
}

static void encoder_layer_forward(const struct bert_model *m, struct bert_acts *a, int l,
                                  const int32_t *mask, const struct dropout_cfg *hd,
                                  const struct dropout_cfg *ad)
{
    const struct bert_config *c = &m->cfg;
    const struct bert_layer_params *p = &m->p.layers[a->unique_of[l]];
    struct layer_acts *x = &a->la[l];
    int N = a->N, C = c->hidden_size, F = c->intermediate_size, T = a->T;
    const float *in = a->xs[l];
    linear_forward(a->qkv, in, p->qkv_w, p->qkv_b, N, C, 3 * C);
    attention_forward(x->ctx, x->q, x->k, x->v, x->att, a->attn_scratch, a->qkv, mask, a->B, T,
                      C, c->num_heads, ad, drop_site(SITE_ATTN, l));
    linear_forward(a->tmp, x->ctx, p->ao_w, p->ao_b, N, C, C);
    if (hd)
        dropout_apply(a->tmp, a->tmp, N, C, T, drop_site(SITE_ATTN_OUT, l), hd);
    residual_forward(x->sum1, a->tmp, in, (size_t)N * C);
    layernorm_forward(x->x1, x->mean1, x->rstd1, x->sum1, p->ln1_w, p->ln1_b, N, C,
                      (float)c->layer_norm_eps);
    linear_forward(x->pre, x->x1, p->fi_w, p->fi_b, N, C, F);
    act_forward(x->act, x->pre, (size_t)N * F, (enum act_kind)c->act);
    linear_forward(a->tmp, x->act, p->fo_w, p->fo_b, N, F, C);
    if (hd)
        dropout_apply(a->tmp, a->tmp, N, C, T, drop_site(SITE_FFN_OUT, l), hd);
    residual_forward(x->sum2, a->tmp, x->x1, (size_t)N * C);
    layernorm_forward(a->xs[l + 1], x->mean2, x->rstd2, x->sum2, p->ln2_w, p->ln2_b, N, C,
                      (float)c->layer_norm_eps);
}

void bert_encoder_forward(struct bert_model *m, struct bert_acts *a, const struct batch *b,
                          const struct bert_step *st)
{
    const struct bert_config *c = &m->cfg;
    const struct bert_params *p = &m->p;
    int N = a->N, T = a->T, C = c->hidden_size, E = c->embedding_size;
    prepare_inputs(m, a, b, st);
    struct dropout_cfg hdc = {(float)c->hidden_dropout, st->seed, a->keys};
    struct dropout_cfg adc = {(float)c->attn_dropout, st->seed, a->keys};
    const struct dropout_cfg *hd = st->train && hdc.p > 0 ? &hdc : NULL;
    const struct dropout_cfg *ad = st->train && adc.p > 0 ? &adc : NULL;

    embedding_forward(a->emb_sum, b->input_ids, a->pos, b->token_type_ids, p->wte, p->wpe, p->wtt,
                      N, E);
    layernorm_forward(a->emb_out, a->emb_mean, a->emb_rstd, a->emb_sum, p->emb_ln_w, p->emb_ln_b,
                      N, E, (float)c->layer_norm_eps);
    if (hd)
        dropout_apply(a->emb_out, a->emb_out, N, E, T, drop_site(SITE_EMB, 0), hd);
    if (c->type == MODEL_ALBERT)
        linear_forward(a->xs[0], a->emb_out, p->map_w, p->map_b, N, E, C);

    for (int l = 0; l < a->L_app; l++)
        encoder_layer_forward(m, a, l, b->attention_mask, hd, ad);
}

void bert_pooler_forward(struct bert_model *m, struct bert_acts *a)
{
    const struct bert_params *p = &m->p;
    int B = a->B, C = m->cfg.hidden_size;
    BT_CHECK(bert_config_has_pooler(&m->cfg), "this model has no pooler");
    gather_rows(a->cls, a->xs[a->L_app], a->cls_idx, B, C);
    linear_forward(a->pooled, a->cls, p->pool_w, p->pool_b, B, C, C);
    tanh_forward(a->pooled, a->pooled, (size_t)B * C);
}

void bert_forward(struct bert_model *m, struct bert_acts *a, const struct batch *b,
                  const struct bert_step *st, struct bert_result *r)
{
    const struct bert_config *c = &m->cfg;
    const struct bert_params *p = &m->p;
    int B = a->B, C = c->hidden_size, E = c->embedding_size, V = c->vocab_size;
    bert_encoder_forward(m, a, b, st);
    const float *h = a->xs[a->L_app];

    /* MLM head on the gathered rows only. */
    int Mp = a->Mp;
    gather_rows(a->mg, h, a->pred_idx, Mp, C);
    linear_forward(a->mt1, a->mg, p->mlm_w, p->mlm_b, Mp, C, E);
    act_forward(a->mt2, a->mt1, (size_t)Mp * E, (enum act_kind)c->act);
    layernorm_forward(a->mt3, a->mmean, a->mrstd, a->mt2, p->mlm_ln_w, p->mlm_ln_b, Mp, E,
                      (float)c->layer_norm_eps);
    linear_forward(a->logits, a->mt3, p->wte, p->mlm_bias, Mp, E, V);
    r->mlm_loss_sum += xent_forward_backward(st->train ? a->dlogits : NULL, a->logits, a->pred_lab,
                                             Mp, V, st->mlm_scale, &r->mlm_count,
                                             &r->mlm_correct);
    if (!bert_config_has_nsp(c))
        return;
    /* Pooler (tanh of the [CLS] row) and the NSP / SOP classifier. */
    bert_pooler_forward(m, a);
    struct dropout_cfg cdc = {(float)c->classifier_dropout, st->seed, a->keys};
    const float *pin = a->pooled;
    if (c->type == MODEL_ALBERT && st->train && cdc.p > 0) {
        dropout_apply(a->pooled_drop, a->pooled, B, C, 1, drop_site(SITE_CLS, 0), &cdc);
        pin = a->pooled_drop;
    } else {
        memcpy(a->pooled_drop, a->pooled, sizeof(float) * (size_t)B * C);
    }
    linear_forward(a->nsp_logits, pin, p->nsp_w, p->nsp_b, B, C, 2);
    r->nsp_loss_sum += xent_forward_backward(st->train ? a->dnsp : NULL, a->nsp_logits,
                                             a->nsp_lab, B, 2, st->nsp_scale, &r->nsp_count,
                                             &r->nsp_correct);
}
