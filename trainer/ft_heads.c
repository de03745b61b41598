/* ft_heads.c - see ft_heads.h. Forward and backward are straight-line
 * compositions of ops (linear, dropout, tanh, gathers, cross-entropy). */
#include "ft_heads.h"
#include "activation.h"
#include "dropout.h"
#include "gemm.h"
#include "mem.h"
#include "rng.h"
#include "rows.h"
#include "xent.h"

#include <stdio.h>
#include <string.h>

/* Dropout sites of the heads (distinct from the encoder's, bert_acts.h). */
#define FT_SITE_IN 0xF7100001u
#define FT_SITE_DENSE 0xF7100002u

const char *ft_task_name(enum ft_task t)
{
    static const char *const names[FT_TASK_COUNT] = {"seq-cls", "token-cls", "qa"};
    return (unsigned)t < FT_TASK_COUNT ? names[t] : "?";
}

int ft_task_parse(const char *s)
{
    for (int t = 0; t < FT_TASK_COUNT; t++)
        if (!strcmp(s, ft_task_name((enum ft_task)t)))
            return t;
    return -1;
}

static void add_tensor(struct ft_head *h, const char *name, int ndim, int64_t d0, int64_t d1,
                       int no_decay)
{
    struct ft_head_tensor *t = &h->t[h->n_tensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = ndim;
    t->shape[0] = d0;
    t->shape[1] = ndim == 2 ? d1 : 1;
    t->numel = (size_t)d0 * (size_t)(ndim == 2 ? d1 : 1);
    t->offset = h->n;
    t->no_decay = no_decay;
    h->n += t->numel;
}

static float *fz(size_t n)
{
    return xaligned_alloc(xmul(n, sizeof(float)));
}

void ft_head_init(struct ft_head *h, enum ft_task task, const struct bert_config *c, int K,
                  int B, int T, float p_drop)
{
    memset(h, 0, sizeof *h);
    h->task = task;
    h->K = task == FT_TASK_QA ? 2 : K;
    h->C = c->hidden_size;
    h->B = B;
    h->T = T;
    h->p_drop = task == FT_TASK_QA ? 0.0f : p_drop;
    h->dense = task == FT_TASK_SEQ_CLS && !bert_config_has_pooler(c);
    h->use_pooled = task == FT_TASK_SEQ_CLS && !h->dense;
    h->rows = h->use_pooled ? B : B * T;
    int C = h->C;
    const char *lin = task == FT_TASK_QA ? "qa_outputs" : "classifier";
    if (h->dense) {
        add_tensor(h, "classifier.dense.weight", 2, C, C, 0);
        add_tensor(h, "classifier.dense.bias", 1, C, 0, 1);
        lin = "classifier.out_proj";
    }
    char nw[64], nb[64];
    snprintf(nw, sizeof nw, "%s.weight", lin);
    snprintf(nb, sizeof nb, "%s.bias", lin);
    add_tensor(h, nw, 2, h->K, C, 0);
    add_tensor(h, nb, 1, h->K, 0, 1);
    h->params = fz(h->n);
    h->grads = fz(h->n);
    h->m = fz(h->n);
    h->v = fz(h->n);
    int last = h->n_tensors - 2;
    h->w = h->params + h->t[last].offset;
    h->b = h->params + h->t[last + 1].offset;
    h->dw = h->grads + h->t[last].offset;
    h->db = h->grads + h->t[last + 1].offset;
    if (h->dense) {
        h->dense_w = h->params;
        h->dense_b = h->params + h->t[1].offset;
        h->ddense_w = h->grads;
        h->ddense_b = h->grads + h->t[1].offset;
    }
    size_t R = (size_t)h->rows, Cs = (size_t)C, Bs = (size_t)B, Ts = (size_t)T;
    size_t xr = h->dense ? Bs : R;
    h->x = fz(xr * Cs);
    h->xd = fz(xr * Cs);
    h->h1 = fz(Bs * Cs);
    h->h1d = fz(Bs * Cs);
    h->logits = fz(R * (size_t)h->K);
    h->dlogits = fz(R * (size_t)h->K);
    h->qs = fz(Bs * Ts);
    h->qe = fz(Bs * Ts);
    h->dqs = fz(Bs * Ts);
    h->dqe = fz(Bs * Ts);
    h->d1 = fz(R * Cs);
    h->d2 = fz(R * Cs);
    h->cls_idx = xcalloc(Bs, sizeof *h->cls_idx);
    h->qlab = xcalloc(2 * Bs, sizeof *h->qlab);
    h->keys = xcalloc(Bs, sizeof *h->keys);
    for (int r = 0; r < B; r++)
        h->cls_idx[r] = r * T;
}

void ft_head_free(struct ft_head *h)
{
    float *f[] = {h->params, h->grads, h->m,  h->v,   h->x,   h->xd,  h->h1, h->h1d, h->logits,
                  h->dlogits, h->qs,   h->qe, h->dqs, h->dqe, h->d1,  h->d2};
    for (size_t i = 0; i < sizeof f / sizeof *f; i++)
        xfree(f[i]);
    xfree(h->cls_idx);
    xfree(h->qlab);
    xfree(h->keys);
    memset(h, 0, sizeof *h);
}

void ft_head_init_weights(struct ft_head *h, float std, uint64_t seed)
{
    for (int i = 0; i < h->n_tensors; i++) {
        const struct ft_head_tensor *t = &h->t[i];
        struct rng r;
        rng_init(&r, seed, rng_stream(0xF7EAD, (uint64_t)i, 0));
        for (size_t k = 0; k < t->numel; k++)
            h->params[t->offset + k] = t->no_decay ? 0.0f : (float)(std * rng_next_normal(&r));
    }
}

int ft_head_find(const struct ft_head *h, const char *name)
{
    for (int i = 0; i < h->n_tensors; i++)
        if (!strcmp(h->t[i].name, name))
            return i;
    return -1;
}

/* Dropout of rows x C (rows_per_key rows per batch row) when active, else a copy. */
static void head_dropout(const struct ft_head *h, float *out, const float *in, int rows,
                         int rows_per_key, uint32_t site)
{
    if (!h->drop_on) {
        if (out != in)
            memcpy(out, in, sizeof(float) * (size_t)rows * (size_t)h->C);
        return;
    }
    struct dropout_cfg cfg = {h->p_drop, h->seed, h->keys};
    dropout_apply(out, in, rows, h->C, rows_per_key, site, &cfg);
}

static void forward_qa(struct ft_head *h, const float *in, const int32_t *labels, int train,
                       float grad_scale, struct ft_head_result *r)
{
    int B = h->B, T = h->T, N = B * T;
    memcpy(h->x, in, sizeof(float) * (size_t)N * (size_t)h->C);
    linear_forward(h->logits, h->x, h->w, h->b, N, h->C, 2);
    for (int n = 0; n < N; n++) {
        h->qs[n] = h->logits[2 * n];
        h->qe[n] = h->logits[2 * n + 1];
    }
    for (int b = 0; b < B; b++) {
        h->qlab[b] = labels[2 * b];
        h->qlab[B + b] = labels[2 * b + 1];
    }
    long cs = 0, ce = 0, oks = 0, oke = 0;
    double ls = xent_forward_backward(train ? h->dqs : NULL, h->qs, h->qlab, B, T,
                                      0.5f * grad_scale, &cs, &oks);
    double le = xent_forward_backward(train ? h->dqe : NULL, h->qe, h->qlab + B, B, T,
                                      0.5f * grad_scale, &ce, &oke);
    r->loss_sum += 0.5 * (ls + le);
    r->count += cs;
    /* A row is right when both argmaxes are (recomputed: xent counts them apart). */
    for (int b = 0; b < B; b++) {
        if (h->qlab[b] < 0)
            continue;
        int as = 0, ae = 0;
        for (int t = 1; t < T; t++) {
            as = h->qs[b * T + t] > h->qs[b * T + as] ? t : as;
            ae = h->qe[b * T + t] > h->qe[b * T + ae] ? t : ae;
        }
        r->correct += as == h->qlab[b] && ae == h->qlab[B + b];
    }
}

void ft_head_forward(struct ft_head *h, const float *in, const int32_t *labels,
                     const int64_t *sample_index, uint64_t step, int train, float grad_scale,
                     struct ft_head_result *r)
{
    int B = h->B, C = h->C, K = h->K, R = h->rows;
    h->drop_on = train && h->p_drop > 0;
    for (int b = 0; b < B; b++)
        h->keys[b] = rng_stream(0xF7D0, step, (uint64_t)sample_index[b]);
    if (h->task == FT_TASK_QA) {
        forward_qa(h, in, labels, train, grad_scale, r);
        return;
    }
    const float *top;
    if (h->dense) {
        gather_rows(h->x, in, h->cls_idx, B, C);
        head_dropout(h, h->xd, h->x, B, 1, FT_SITE_IN);
        linear_forward(h->h1, h->xd, h->dense_w, h->dense_b, B, C, C);
        tanh_forward(h->h1, h->h1, (size_t)B * C);
        head_dropout(h, h->h1d, h->h1, B, 1, FT_SITE_DENSE);
        top = h->h1d;
    } else {
        memcpy(h->x, in, sizeof(float) * (size_t)R * (size_t)C);
        head_dropout(h, h->xd, h->x, R, R / B, FT_SITE_IN);
        top = h->xd;
    }
    int rows = h->dense ? B : R;
    linear_forward(h->logits, top, h->w, h->b, rows, C, K);
    r->loss_sum += xent_forward_backward(train ? h->dlogits : NULL, h->logits, labels, rows, K,
                                         grad_scale, &r->count, &r->correct);
}

void ft_head_backward(struct ft_head *h, float *din)
{
    int B = h->B, T = h->T, C = h->C, K = h->K, R = h->rows;
    if (h->task == FT_TASK_QA) {
        int N = B * T;
        for (int n = 0; n < N; n++) {
            h->dlogits[2 * n] = h->dqs[n];
            h->dlogits[2 * n + 1] = h->dqe[n];
        }
        linear_backward(din, 0, h->dw, h->db, h->dlogits, h->x, h->w, N, C, 2);
        return;
    }
    if (h->dense) {
        linear_backward(h->d1, 0, h->dw, h->db, h->dlogits, h->h1d, h->w, B, C, K);
        head_dropout(h, h->d1, h->d1, B, 1, FT_SITE_DENSE);
        tanh_backward(h->d1, h->d1, h->h1, (size_t)B * C);
        linear_backward(h->d2, 0, h->ddense_w, h->ddense_b, h->d1, h->xd, h->dense_w, B, C, C);
        head_dropout(h, h->d2, h->d2, B, 1, FT_SITE_IN);
        memset(din, 0, sizeof(float) * (size_t)B * (size_t)T * (size_t)C);
        scatter_add_rows(din, h->d2, h->cls_idx, B, C);
        return;
    }
    linear_backward(h->d1, 0, h->dw, h->db, h->dlogits, h->xd, h->w, R, C, K);
    head_dropout(h, din, h->d1, R, R / B, FT_SITE_IN);
}

const float *ft_head_logits(const struct ft_head *h)
{
    return h->logits;
}

void ft_head_qa_logits(const struct ft_head *h, const float **start, const float **end)
{
    *start = h->qs;
    *end = h->qe;
}

void ft_head_step(struct ft_head *h, const struct adam_hparams *hp, float gscale)
{
    for (int i = 0; i < h->n_tensors; i++) {
        const struct ft_head_tensor *t = &h->t[i];
        struct adam_hparams x = *hp;
        x.wd = t->no_decay ? 0.0f : hp->wd;
        adamw_update(h->params + t->offset, h->grads + t->offset, h->m + t->offset,
                     h->v + t->offset, t->numel, gscale, &x);
    }
}
