/* refcase.c - see refcase.h. */
#include "refcase.h"
#include "bert.h"
#include "mem.h"
#include "safetensors.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void add_item(struct refcase_report *rep, const char *name, double e)
{
    rep->items = xrealloc(rep->items, sizeof *rep->items * (size_t)(rep->n + 1));
    snprintf(rep->items[rep->n].name, REFCASE_NAME_LEN, "%s", name);
    rep->items[rep->n].err = e;
    if (rep->n == 0 || e > rep->worst || isnan(e)) {
        rep->worst = isnan(e) ? INFINITY : e;
        rep->worst_index = rep->n;
    }
    rep->n++;
}

/* max |got - want| / max(max |want|, floor) over n elements (got is float). */
static double rel_err(const float *got, const double *want, size_t n, double floor)
{
    double num = 0, den = floor > 1e-30 ? floor : 1e-30;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]);
        if (!(d <= num))
            num = isnan(d) ? INFINITY : d;
        if (fabs(want[i]) > den)
            den = fabs(want[i]);
    }
    return num / den;
}

/* Reads reference tensor `name` (any float dtype) with n elements as double. */
static int ref_tensor(const struct st_file *f, const char *name, size_t n, double **out, char *err)
{
    const struct st_tensor *t = st_find(f, name);
    if (!t)
        return bt_errf(err, BT_EUSAGE, "%s: missing tensor '%s'", f->path, name);
    if (t->numel != n)
        return bt_errf(err, BT_EUSAGE, "%s: tensor '%s' has %zu elements, expected %zu", f->path,
                       name, t->numel, n);
    *out = xmalloc(sizeof(double) * n);
    int rc = st_read_f64(f, name, *out, t->ndim, t->shape, err);
    if (rc != BT_OK) {
        xfree(*out);
        *out = NULL;
    }
    return rc;
}

static int compare(struct refcase_report *rep, const struct st_file *f, const char *name,
                   const float *got, size_t n, double floor, char *err)
{
    double *want;
    int rc = ref_tensor(f, name, n, &want, err);
    if (rc != BT_OK)
        return rc;
    add_item(rep, name, rel_err(got, want, n, floor));
    xfree(want);
    return BT_OK;
}

static int read_inputs(const char *path, struct batch *b, int *B_out, int *T_out, char *err)
{
    struct st_file f;
    int rc = st_open(&f, path, err);
    if (rc != BT_OK)
        return rc;
    const struct st_tensor *ids = st_find(&f, "input_ids");
    if (!ids || ids->ndim != 2) {
        st_close(&f);
        return bt_errf(err, BT_EUSAGE, "%s: expected a 2-D tensor 'input_ids'", path);
    }
    int B = (int)ids->shape[0], T = (int)ids->shape[1];
    size_t N = (size_t)B * T;
    int64_t *buf = xmalloc(sizeof(int64_t) * N), *lab = xmalloc(sizeof(int64_t) * N);
    int64_t *nsp = xmalloc(sizeof(int64_t) * (size_t)B);
    int64_t shape[2] = {B, T}, bshape[1] = {B};
    batch_alloc(b, B, T, T);
    b->rows = B;
    const char *names[3] = {"input_ids", "token_type_ids", "attention_mask"};
    int32_t *dst[3] = {b->input_ids, b->token_type_ids, b->attention_mask};
    for (int k = 0; k < 3 && rc == BT_OK; k++) {
        rc = st_read_i64(&f, names[k], buf, 2, shape, err);
        for (size_t i = 0; rc == BT_OK && i < N; i++)
            dst[k][i] = (int32_t)buf[i];
    }
    if (rc == BT_OK)
        rc = st_read_i64(&f, "labels", lab, 2, shape, err);
    if (rc == BT_OK) {
        /* Every position goes through the MLM head so all logits can be compared;
         * unlabelled ones (-100) are ignored by the loss. */
        b->n_pred = (int)N;
        for (size_t i = 0; i < N; i++) {
            b->pred_pos[i] = (int32_t)i;
            b->pred_label[i] = lab[i] < 0 ? -1 : (int32_t)lab[i];
        }
        for (int r = 0; r < B; r++)
            b->sample_index[r] = r;
        if (st_find(&f, "nsp"))
            rc = st_read_i64(&f, "nsp", nsp, 1, bshape, err);
        else
            for (int r = 0; r < B; r++)
                nsp[r] = -1;
        for (int r = 0; rc == BT_OK && r < B; r++)
            b->nsp_labels[r] = (int32_t)nsp[r];
    }
    xfree(buf);
    xfree(lab);
    xfree(nsp);
    st_close(&f);
    if (rc != BT_OK)
        batch_free(b);
    *B_out = B;
    *T_out = T;
    return rc;
}

static int compare_all(struct refcase_report *rep, const struct st_file *out,
                       const struct bert_model *m, const struct bert_acts *a,
                       const struct bert_result *r, int B, int T, char *err)
{
    const struct bert_config *c = &m->cfg;
    size_t N = (size_t)B * T, C = (size_t)c->hidden_size, NH = (size_t)c->num_heads;
    int rc;
    double mlm = r->mlm_loss_sum / (double)(r->mlm_count ? r->mlm_count : 1);
    double nsp = r->nsp_count ? r->nsp_loss_sum / (double)r->nsp_count : 0.0;
    float losses[3] = {(float)(mlm + nsp), (float)mlm, (float)nsp};
    const char *lnames[3] = {"loss", "mlm_loss", "nsp_loss"};
    for (int i = 0; i < (bert_config_has_nsp(c) ? 3 : 2); i++)
        if ((rc = compare(rep, out, lnames[i], &losses[i], 1, 0, err)) != BT_OK)
            return rc;
    if ((rc = compare(rep, out, "prediction_logits", bert_acts_mlm_logits(a),
                      N * (size_t)c->vocab_size, 0, err)) != BT_OK)
        return rc;
    if (bert_config_has_nsp(c) &&
        (rc = compare(rep, out, "seq_relationship_logits", bert_acts_nsp_logits(a), (size_t)B * 2,
                      0, err)) != BT_OK)
        return rc;
    char name[64];
    for (int i = 0; i <= c->num_layers; i++) {
        snprintf(name, sizeof name, "hidden_states.%d", i);
        if ((rc = compare(rep, out, name, bert_acts_hidden(a, i * c->inner_group_num), N * C,
                          0, err)) != BT_OK)
            return rc;
    }
    for (int i = 0; i < c->num_layers; i++) {
        snprintf(name, sizeof name, "attentions.%d", i);
        if ((rc = compare(rep, out, name,
                          bert_acts_attention(a, i * c->inner_group_num + c->inner_group_num - 1),
                          (size_t)B * NH * T * T, 0, err)) != BT_OK)
            return rc;
    }
    /* A gradient that is zero in exact arithmetic (the key bias: softmax ignores a
     * constant added to a row of scores) is measured against 1e-3 of the largest
     * reference gradient instead of its own rounding noise. */
    double gmax = 0;
    for (int i = 0; i < out->n; i++)
        if (!strncmp(out->t[i].name, "grad.", 5)) {
            double *want;
            if ((rc = ref_tensor(out, out->t[i].name, out->t[i].numel, &want, err)) != BT_OK)
                return rc;
            for (size_t k = 0; k < out->t[i].numel; k++)
                gmax = fmax(gmax, fabs(want[k]));
            xfree(want);
        }
    for (int i = 0; i < m->n_tensors; i++) {
        const struct tensor_desc *t = &m->tensors[i];
        size_t part = t->numel / (size_t)t->n_parts;
        for (int p = 0; p < t->n_parts; p++) {
            char gname[TENSOR_NAME_LEN + 8];
            snprintf(gname, sizeof gname, "grad.%s", t->part_names[p]);
            if ((rc = compare(rep, out, gname, m->grads + t->offset + (size_t)p * part, part,
                              1e-3 * gmax, err)) != BT_OK)
                return rc;
        }
    }
    return BT_OK;
}

int refcase_run(const char *dir, struct refcase_report *rep, char *err)
{
    memset(rep, 0, sizeof *rep);
    char path[4096];
    struct bert_config cfg;
    snprintf(path, sizeof path, "%s/config.json", dir);
    int rc = bert_config_load(&cfg, path, err);
    if (rc != BT_OK)
        return rc;
    cfg.hidden_dropout = cfg.attn_dropout = cfg.classifier_dropout = 0.0f;
    struct bert_model m;
    bert_init(&m, &cfg);
    snprintf(path, sizeof path, "%s/weights.safetensors", dir);
    rc = bert_load_safetensors(&m, path, err);
    struct batch b;
    int B = 0, T = 0;
    if (rc == BT_OK) {
        snprintf(path, sizeof path, "%s/inputs.safetensors", dir);
        rc = read_inputs(path, &b, &B, &T, err);
    }
    if (rc != BT_OK) {
        bert_free(&m);
        return rc;
    }
    snprintf(rep->summary, sizeof rep->summary, "%s, L=%d C=%d NH=%d F=%d V=%d, batch %d x %d",
             model_type_name(cfg.type), cfg.num_layers, cfg.hidden_size, cfg.num_heads,
             cfg.intermediate_size, cfg.vocab_size, B, T);
    long labelled = 0, pairs = 0;
    for (int i = 0; i < b.n_pred; i++)
        labelled += b.pred_label[i] >= 0;
    for (int r = 0; r < B; r++)
        pairs += b.nsp_labels[r] >= 0;
    struct bert_step st = {.seed = 0, .step = 0, .train = 1,
                           .mlm_scale = labelled ? 1.0f / (float)labelled : 0.0f,
                           .nsp_scale = pairs ? 1.0f / (float)pairs : 0.0f};
    struct bert_acts *a = bert_acts_alloc(&m, B, T, T);
    struct bert_result res = {0};
    bert_forward(&m, a, &b, &st, &res);
    bert_backward(&m, a, &b, &st, NULL, NULL);
    struct st_file out;
    snprintf(path, sizeof path, "%s/outputs.safetensors", dir);
    rc = st_open(&out, path, err);
    if (rc == BT_OK) {
        rc = compare_all(rep, &out, &m, a, &res, B, T, err);
        st_close(&out);
    }
    bert_acts_free(a);
    batch_free(&b);
    bert_free(&m);
    if (rc != BT_OK)
        refcase_report_free(rep);
    return rc;
}

void refcase_report_free(struct refcase_report *rep)
{
    xfree(rep->items);
    memset(rep, 0, sizeof *rep);
}
