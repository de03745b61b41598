/* bert_params.c - the tensor table, the slab layout, initialisation and the
 * mapping to Hugging Face state-dict names (load and save); see bert.h. */
#include "bert.h"
#include "log.h"
#include "mem.h"
#include "rng.h"
#include "safetensors.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct walker {
    struct bert_model *m;
    int build;          /* append table entries */
    float *base;        /* slab to point views into, or NULL */
    size_t off;
    int seg;
};

static void put(struct walker *w, float **slot, int flags, int n_parts, int ndim, int64_t d0,
                int64_t d1, const char *fmt, ...) BT_PRINTF(8, 9);

/* Replaces the first "{}" of pattern with word. */
static void fill_placeholder(char *out, const char *pattern, const char *word)
{
    const char *at = strstr(pattern, "{}");
    if (!at) {
        snprintf(out, TENSOR_NAME_LEN, "%s", pattern);
        return;
    }
    snprintf(out, TENSOR_NAME_LEN, "%.*s%s%s", (int)(at - pattern), pattern, word, at + 2);
}

/* Appends one tensor of shape (d0, d1) (ndim 1: (d0)). A fused Q/K/V tensor has
 * n_parts = 3 row blocks of that shape; its name contains "{}", which becomes
 * query / key / value in the part names and qkv in the table name. */
static void put(struct walker *w, float **slot, int flags, int n_parts, int ndim, int64_t d0,
                int64_t d1, const char *fmt, ...)
{
    size_t numel = (size_t)d0 * (size_t)(ndim == 2 ? d1 : 1) * (size_t)n_parts;
    if (w->build) {
        static const char *const qkv[3] = {"query", "key", "value"};
        struct bert_model *m = w->m;
        struct tensor_desc *t = &m->tensors[m->n_tensors++];
        char pattern[TENSOR_NAME_LEN];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(pattern, sizeof pattern, fmt, ap);
        va_end(ap);
        memset(t, 0, sizeof *t);
        t->ndim = ndim;
        t->shape[0] = d0 * n_parts;
        t->shape[1] = ndim == 2 ? d1 : 1;
        t->offset = w->off;
        t->numel = numel;
        t->flags = flags;
        t->segment = w->seg;
        t->n_parts = n_parts;
        fill_placeholder(t->name, pattern, "qkv");
        for (int p = 0; p < n_parts; p++)
            fill_placeholder(t->part_names[p], pattern, n_parts == 1 ? "" : qkv[p]);
    }
    if (w->base)
        *slot = w->base + w->off;
    w->off += numel;
}

/* Walks the layout in slab order; see the segment rules in bert.h. */
static void walk(struct walker *w, struct bert_params *v)
{
    const struct bert_config *c = &w->m->cfg;
    int C = c->hidden_size, E = c->embedding_size, F = c->intermediate_size, V = c->vocab_size;
    int albert = c->type == MODEL_ALBERT;
    const char *pre = c->type == MODEL_BERT ? "bert." : c->type == MODEL_ROBERTA ? "roberta."
                                                                                 : "albert.";
    float *dummy;
#define SLOT(x) (v ? &(x) : &dummy)
    w->seg = 0;
    put(w, SLOT(v->wte), TF_EMBEDDING, 1, 2, V, E, "%sembeddings.word_embeddings.weight", pre);
    put(w, SLOT(v->wpe), TF_EMBEDDING, 1, 2, c->max_position_embeddings, E,
        "%sembeddings.position_embeddings.weight", pre);
    put(w, SLOT(v->wtt), TF_EMBEDDING, 1, 2, c->type_vocab_size, E,
        "%sembeddings.token_type_embeddings.weight", pre);
    put(w, SLOT(v->emb_ln_w), TF_NO_DECAY | TF_ONES, 1, 1, E, 0, "%sembeddings.LayerNorm.weight",
        pre);
    put(w, SLOT(v->emb_ln_b), TF_NO_DECAY | TF_ZEROS, 1, 1, E, 0, "%sembeddings.LayerNorm.bias",
        pre);
    if (albert) {
        put(w, SLOT(v->map_w), 0, 1, 2, C, E, "albert.encoder.embedding_hidden_mapping_in.weight");
        put(w, SLOT(v->map_b), TF_NO_DECAY | TF_ZEROS, 1, 1, C, 0,
            "albert.encoder.embedding_hidden_mapping_in.bias");
    }
    for (int u = 0; u < w->m->U; u++) {
        struct bert_layer_params *l = v ? &v->layers[u] : NULL;
        char lp[TENSOR_NAME_LEN];
        const char *n_qkv, *n_ao, *n_ln1, *n_fi, *n_fo, *n_ln2;
        if (albert) {
            snprintf(lp, sizeof lp, "albert.encoder.albert_layer_groups.%d.albert_layers.%d.",
                     u / c->inner_group_num, u % c->inner_group_num);
            n_qkv = "attention.{}";
            n_ao = "attention.dense";
            n_ln1 = "attention.LayerNorm";
            n_fi = "ffn";
            n_fo = "ffn_output";
            n_ln2 = "full_layer_layer_norm";
        } else {
            snprintf(lp, sizeof lp, "%sencoder.layer.%d.", pre, u);
            n_qkv = "attention.self.{}";
            n_ao = "attention.output.dense";
            n_ln1 = "attention.output.LayerNorm";
            n_fi = "intermediate.dense";
            n_fo = "output.dense";
            n_ln2 = "output.LayerNorm";
        }
        w->seg = 1 + u;
        put(w, SLOT(l->qkv_w), 0, 3, 2, C, C, "%s%s.weight", lp, n_qkv);
        put(w, SLOT(l->qkv_b), TF_NO_DECAY | TF_ZEROS, 3, 1, C, 0, "%s%s.bias", lp, n_qkv);
        put(w, SLOT(l->ao_w), 0, 1, 2, C, C, "%s%s.weight", lp, n_ao);
        put(w, SLOT(l->ao_b), TF_NO_DECAY | TF_ZEROS, 1, 1, C, 0, "%s%s.bias", lp, n_ao);
        put(w, SLOT(l->ln1_w), TF_NO_DECAY | TF_ONES, 1, 1, C, 0, "%s%s.weight", lp, n_ln1);
        put(w, SLOT(l->ln1_b), TF_NO_DECAY | TF_ZEROS, 1, 1, C, 0, "%s%s.bias", lp, n_ln1);
        put(w, SLOT(l->fi_w), 0, 1, 2, F, C, "%s%s.weight", lp, n_fi);
        put(w, SLOT(l->fi_b), TF_NO_DECAY | TF_ZEROS, 1, 1, F, 0, "%s%s.bias", lp, n_fi);
        put(w, SLOT(l->fo_w), 0, 1, 2, C, F, "%s%s.weight", lp, n_fo);
        put(w, SLOT(l->fo_b), TF_NO_DECAY | TF_ZEROS, 1, 1, C, 0, "%s%s.bias", lp, n_fo);
        put(w, SLOT(l->ln2_w), TF_NO_DECAY | TF_ONES, 1, 1, C, 0, "%s%s.weight", lp, n_ln2);
        put(w, SLOT(l->ln2_b), TF_NO_DECAY | TF_ZEROS, 1, 1, C, 0, "%s%s.bias", lp, n_ln2);
    }
    w->seg = 1 + w->m->U;
    if (c->type == MODEL_BERT) {
        put(w, SLOT(v->pool_w), 0, 1, 2, C, C, "bert.pooler.dense.weight");
        put(w, SLOT(v->pool_b), TF_NO_DECAY | TF_ZEROS, 1, 1, C, 0, "bert.pooler.dense.bias");
        put(w, SLOT(v->mlm_w), 0, 1, 2, E, C, "cls.predictions.transform.dense.weight");
        put(w, SLOT(v->mlm_b), TF_NO_DECAY | TF_ZEROS, 1, 1, E, 0,
            "cls.predictions.transform.dense.bias");
        put(w, SLOT(v->mlm_ln_w), TF_NO_DECAY | TF_ONES, 1, 1, E, 0,
            "cls.predictions.transform.LayerNorm.weight");
        put(w, SLOT(v->mlm_ln_b), TF_NO_DECAY | TF_ZEROS, 1, 1, E, 0,
            "cls.predictions.transform.LayerNorm.bias");
        put(w, SLOT(v->mlm_bias), TF_NO_DECAY | TF_ZEROS, 1, 1, V, 0, "cls.predictions.bias");
        put(w, SLOT(v->nsp_w), 0, 1, 2, 2, C, "cls.seq_relationship.weight");
        put(w, SLOT(v->nsp_b), TF_NO_DECAY | TF_ZEROS, 1, 1, 2, 0, "cls.seq_relationship.bias");
    } else if (c->type == MODEL_ROBERTA) {
        put(w, SLOT(v->mlm_w), 0, 1, 2, E, C, "lm_head.dense.weight");
        put(w, SLOT(v->mlm_b), TF_NO_DECAY | TF_ZEROS, 1, 1, E, 0, "lm_head.dense.bias");
        put(w, SLOT(v->mlm_ln_w), TF_NO_DECAY | TF_ONES, 1, 1, E, 0, "lm_head.layer_norm.weight");
        put(w, SLOT(v->mlm_ln_b), TF_NO_DECAY | TF_ZEROS, 1, 1, E, 0, "lm_head.layer_norm.bias");
        put(w, SLOT(v->mlm_bias), TF_NO_DECAY | TF_ZEROS, 1, 1, V, 0, "lm_head.bias");
    } else {
        put(w, SLOT(v->pool_w), 0, 1, 2, C, C, "albert.pooler.weight");
        put(w, SLOT(v->pool_b), TF_NO_DECAY | TF_ZEROS, 1, 1, C, 0, "albert.pooler.bias");
        put(w, SLOT(v->mlm_w), 0, 1, 2, E, C, "predictions.dense.weight");
        put(w, SLOT(v->mlm_b), TF_NO_DECAY | TF_ZEROS, 1, 1, E, 0, "predictions.dense.bias");
        put(w, SLOT(v->mlm_ln_w), TF_NO_DECAY | TF_ONES, 1, 1, E, 0,
            "predictions.LayerNorm.weight");
        put(w, SLOT(v->mlm_ln_b), TF_NO_DECAY | TF_ZEROS, 1, 1, E, 0,
            "predictions.LayerNorm.bias");
        put(w, SLOT(v->mlm_bias), TF_NO_DECAY | TF_ZEROS, 1, 1, V, 0, "predictions.bias");
        put(w, SLOT(v->nsp_w), 0, 1, 2, 2, C, "sop_classifier.classifier.weight");
        put(w, SLOT(v->nsp_b), TF_NO_DECAY | TF_ZEROS, 1, 1, 2, 0,
            "sop_classifier.classifier.bias");
    }
#undef SLOT
}

void bert_init_table(struct bert_model *m, const struct bert_config *cfg)
{
    memset(m, 0, sizeof *m);
    m->cfg = *cfg;
    m->U = bert_config_unique_layers(cfg);
    m->tensors = xcalloc((size_t)(16 + 12 * m->U), sizeof *m->tensors);
    struct walker w = {.m = m, .build = 1};
    walk(&w, NULL);
    m->n_params = w.off;
    m->n_segments = m->U + 2;
    m->seg_offset = xcalloc((size_t)m->n_segments + 1, sizeof(size_t));
    for (int i = m->n_tensors - 1; i >= 0; i--)
        m->seg_offset[m->tensors[i].segment] = m->tensors[i].offset;
    m->seg_offset[m->n_segments] = m->n_params;
}

void bert_init(struct bert_model *m, const struct bert_config *cfg)
{
    bert_init_table(m, cfg);
    m->params = xaligned_alloc(xmul(m->n_params, sizeof(float)));
    m->grads = xaligned_alloc(xmul(m->n_params, sizeof(float)));
    m->p.layers = xcalloc((size_t)m->U, sizeof(struct bert_layer_params));
    m->g.layers = xcalloc((size_t)m->U, sizeof(struct bert_layer_params));
    struct walker wp = {.m = m, .base = m->params}, wg = {.m = m, .base = m->grads};
    walk(&wp, &m->p);
    walk(&wg, &m->g);
}

void bert_free(struct bert_model *m)
{
    xfree(m->tensors);
    xfree(m->seg_offset);
    xfree(m->params);
    xfree(m->grads);
    xfree(m->p.layers);
    xfree(m->g.layers);
    memset(m, 0, sizeof *m);
}

void bert_init_weights(struct bert_model *m, uint64_t seed)
{
    double sd = m->cfg.initializer_range;
    for (int i = 0; i < m->n_tensors; i++) {
        const struct tensor_desc *t = &m->tensors[i];
        float *x = m->params + t->offset;
        struct rng r;
        rng_init(&r, seed, rng_stream(0x1417, (uint64_t)i, 0));
        for (size_t k = 0; k < t->numel; k++)
            x[k] = (t->flags & TF_ONES)    ? 1.0f
                   : (t->flags & TF_ZEROS) ? 0.0f
                                           : (float)(sd * rng_next_normal(&r));
    }
    size_t E = (size_t)m->cfg.embedding_size;
    memset(m->p.wte + (size_t)m->cfg.pad_token_id * E, 0, E * sizeof(float));
}

const struct tensor_desc *bert_find_tensor(const struct bert_model *m, const char *name,
                                           int *part)
{
    for (int i = 0; i < m->n_tensors; i++) {
        const struct tensor_desc *t = &m->tensors[i];
        for (int p = 0; p < t->n_parts; p++)
            if (!strcmp(t->part_names[p], name)) {
                if (part)
                    *part = p;
                return t;
            }
        if (!strcmp(t->name, name)) {
            if (part)
                *part = -1;
            return t;
        }
    }
    return NULL;
}

int bert_load_safetensors(struct bert_model *m, const char *path, char *err)
{
    struct st_file f;
    int rc = st_open(&f, path, err);
    if (rc != BT_OK)
        return rc;
    for (int i = 0; i < m->n_tensors && rc == BT_OK; i++) {
        const struct tensor_desc *t = &m->tensors[i];
        size_t part_numel = t->numel / (size_t)t->n_parts;
        int64_t shape[2] = {t->shape[0] / t->n_parts, t->shape[1]};
        for (int p = 0; p < t->n_parts && rc == BT_OK; p++)
            rc = st_read_f32(&f, t->part_names[p], m->params + t->offset + (size_t)p * part_numel,
                             t->ndim, shape, err);
    }
    st_close(&f);
    return rc;
}

static const char *tied_decoder_name(enum model_type t, int bias)
{
    static const char *const names[MODEL_COUNT][2] = {
        {"cls.predictions.decoder.weight", "cls.predictions.decoder.bias"},
        {"lm_head.decoder.weight", "lm_head.decoder.bias"},
        {"predictions.decoder.weight", "predictions.decoder.bias"}};
    return names[t][bias];
}

int bert_save_safetensors(const struct bert_model *m, const void *slab,
                          const struct st_out *extra, int n_extra, const char *path, char *err)
{
    const float *base = slab;
    struct st_out *outs = xcalloc((size_t)(m->n_tensors * 3 + 2 + n_extra), sizeof *outs);
    int n = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        const struct tensor_desc *t = &m->tensors[i];
        size_t part_numel = t->numel / (size_t)t->n_parts;
        for (int p = 0; p < t->n_parts; p++) {
            struct st_out *o = &outs[n++];
            o->name = t->part_names[p];
            o->ndim = t->ndim;
            o->shape[0] = t->shape[0] / t->n_parts;
            o->shape[1] = t->shape[1];
            o->data = base + t->offset + (size_t)p * part_numel;
        }
    }
    /* Tied decoder weight and bias, as HF's state_dict lists them. */
    const struct tensor_desc *wte = &m->tensors[0];
    const struct tensor_desc *bias = NULL;
    for (int i = 0; i < m->n_tensors; i++)
        if (m->tensors[i].offset == (size_t)(m->p.mlm_bias - m->params))
            bias = &m->tensors[i];
    outs[n++] = (struct st_out){tied_decoder_name(m->cfg.type, 0), 2,
                                {wte->shape[0], wte->shape[1]}, base + wte->offset};
    outs[n++] = (struct st_out){tied_decoder_name(m->cfg.type, 1), 1, {bias->shape[0]},
                                base + bias->offset};
    for (int i = 0; i < n_extra; i++)
        outs[n++] = extra[i];
    int rc = st_write_f32(path, outs, n, err);
    xfree(outs);
    return rc;
}

size_t bert_base_param_count(const struct bert_model *m)
{
    size_t C = (size_t)m->cfg.hidden_size;
    return m->seg_offset[1 + m->U] + C * C + C; /* embeddings + layers + HF's pooler */
}
