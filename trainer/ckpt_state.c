/* ckpt_state.c - see ckpt_state.h. */
#include "ckpt_state.h"
#include "ckpt_dir.h"
#include "fileio.h"
#include "json_util.h"
#include "mem.h"
#include "ops.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#ifndef BT_GIT_REV
#define BT_GIT_REV "unknown"
#endif

static char *build_meta(const struct bert_model *m, const struct recipe *recipe,
                        const struct train_state *st, const char *extra_meta_json)
{
    char err[BT_ERR_LEN];
    char *cfg_text = bert_config_to_json(&m->cfg);
    json_t *meta = json_object();
    json_object_set_new(meta, "format", json_string("bertc-checkpoint"));
    json_object_set_new(meta, "kind", json_string(st ? "train" : "model"));
    json_object_set_new(meta, "model_config", jsonu_loads(cfg_text, strlen(cfg_text), "cfg", err));
    free(cfg_text);
    if (recipe) {
        char *rt = recipe_to_json(recipe);
        json_object_set_new(meta, "recipe", jsonu_loads(rt, strlen(rt), "recipe", err));
        free(rt);
    }
    if (st) {
        json_object_set_new(meta, "step", json_integer(st->step));
        json_object_set_new(meta, "samples", json_integer(st->samples));
        json_object_set_new(meta, "skipped", json_integer(st->skipped));
        json_object_set_new(meta, "data_state", json_pack("{s:I,s:I}", "epoch",
                                                          (json_int_t)st->data_epoch, "sample",
                                                          (json_int_t)st->data_sample));
        json_object_set_new(meta, "optimizer",
                            json_pack("{s:s,s:I}", "kind", recipe ? recipe->optimizer : "adamw",
                                      "t", (json_int_t)st->opt_t));
        json_object_set_new(meta, "seed", json_integer(recipe ? recipe->seed : 0));
        json_object_set_new(meta, "world_size", json_integer(st->world));
        json_object_set_new(meta, "threads", json_integer(st->threads));
    }
    json_object_set_new(meta, "build",
                        json_pack("{s:s,s:s}", "git", BT_GIT_REV, "matmul", ops_backend_name()));
    char when[32];
    time_t now = time(NULL);
    struct tm tmv;
    gmtime_r(&now, &tmv);
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tmv);
    json_object_set_new(meta, "created", json_string(when));
    if (extra_meta_json) {
        json_t *x = jsonu_loads(extra_meta_json, strlen(extra_meta_json), "extra", err);
        json_object_set_new(meta, "extra", x ? x : json_null());
    }
    char *s = json_dumps(meta, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17));
    json_decref(meta);
    return s;
}

static void add_slab(struct ckpt_tensor *out, int *n, const struct bert_model *m, const char *prefix,
                     const float *slab)
{
    for (int i = 0; i < m->n_tensors; i++) {
        const struct tensor_desc *t = &m->tensors[i];
        struct ckpt_tensor *c = &out[(*n)++];
        memset(c, 0, sizeof *c);
        snprintf(c->name, CKPT_NAME_LEN, "%s/%s", prefix, t->name);
        c->ndim = t->ndim;
        c->shape[0] = t->shape[0];
        c->shape[1] = t->shape[1];
        c->data = slab + t->offset;
    }
}

int ckpt_state_write(const char *path, const struct bert_model *m, const struct ckpt_slabs *s,
                     const struct recipe *recipe, const struct train_state *st,
                     const struct ckpt_tensor *extra, int n_extra, const char *extra_meta_json,
                     const struct ckpt_write_opts *o, char *err)
{
    struct ckpt_tensor *ts = xcalloc((size_t)(3 * m->n_tensors + n_extra + 1), sizeof *ts);
    int n = 0;
    add_slab(ts, &n, m, "param", s->params);
    if (s->adam_m)
        add_slab(ts, &n, m, "adam_m", s->adam_m);
    if (s->adam_v)
        add_slab(ts, &n, m, "adam_v", s->adam_v);
    for (int i = 0; i < n_extra; i++)
        ts[n++] = extra[i];
    char *meta = build_meta(m, recipe, st, extra_meta_json);
    int rc = ckpt_file_write(path, meta, ts, n, o, err);
    free(meta);
    xfree(ts);
    return rc;
}

static json_t *parse_meta(struct ckpt_file *f, char *err)
{
    const char *text = ckpt_file_meta(f);
    json_t *j = jsonu_loads(text, strlen(text), "checkpoint metadata", err);
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
        bt_errf(err, BT_EFORMAT, "checkpoint metadata is not a JSON object");
    }
    return j;
}

int ckpt_state_config(struct ckpt_file *f, struct bert_config *cfg, char *err)
{
    json_t *j = parse_meta(f, err);
    if (!j)
        return BT_EFORMAT;
    json_t *c = json_object_get(j, "model_config");
    int rc = c ? bert_config_from_json(cfg, c, "checkpoint model_config", err)
               : bt_errf(err, BT_EFORMAT, "checkpoint metadata has no model_config");
    json_decref(j);
    return rc == BT_OK ? BT_OK : BT_EFORMAT;
}

int ckpt_state_train(struct ckpt_file *f, struct train_state *st, struct recipe *r, char *err)
{
    json_t *j = parse_meta(f, err);
    if (!j)
        return BT_EFORMAT;
    memset(st, 0, sizeof *st);
    json_int_t step, samples, skipped, ep, smp, t, world = 1, threads = 1;
    int rc = BT_OK;
    if (json_unpack(j, "{s:I,s:I,s:I,s:{s:I,s:I},s:{s:I},s?:I,s?:I}", "step", &step, "samples",
                    &samples, "skipped", &skipped, "data_state", "epoch", &ep, "sample", &smp,
                    "optimizer", "t", &t, "world_size", &world, "threads", &threads)) {
        rc = bt_errf(err, BT_EFORMAT, "checkpoint metadata lacks the training state (not a "
                                      "training checkpoint?)");
    } else {
        st->step = (long)step;
        st->samples = samples;
        st->skipped = (long)skipped;
        st->data_epoch = ep;
        st->data_sample = smp;
        st->opt_t = (long)t;
        st->world = (int)world;
        st->threads = (int)threads;
    }
    if (rc == BT_OK && r) {
        recipe_defaults(r);
        json_t *rj = json_object_get(j, "recipe");
        const char *key;
        json_t *v;
        json_object_foreach(rj, key, v)
        {
            char assign[256];
            if (json_is_string(v))
                snprintf(assign, sizeof assign, "%s=%s", key, json_string_value(v));
            else if (json_is_boolean(v))
                snprintf(assign, sizeof assign, "%s=%s", key, json_is_true(v) ? "true" : "false");
            else if (json_is_integer(v))
                snprintf(assign, sizeof assign, "%s=%lld", key, (long long)json_integer_value(v));
            else
                snprintf(assign, sizeof assign, "%s=%.17g", key, json_number_value(v));
            if (recipe_set(r, assign, err) != BT_OK) {
                rc = BT_EFORMAT;
                break;
            }
        }
    }
    json_decref(j);
    return rc;
}

static int load_slab(struct ckpt_file *f, const struct bert_model *m, const char *prefix,
                     float *slab, char *err)
{
    for (int i = 0; i < m->n_tensors; i++) {
        const struct tensor_desc *t = &m->tensors[i];
        char name[CKPT_NAME_LEN + 16];
        snprintf(name, sizeof name, "%s/%s", prefix, t->name);
        int k = ckpt_file_find(f, name);
        if (k < 0)
            return bt_errf(err, BT_EFORMAT, "checkpoint lacks tensor '%s'", name);
        const struct ckpt_entry *e = ckpt_file_entry(f, k);
        if (e->ndim != t->ndim || e->shape[0] != t->shape[0] ||
            (t->ndim == 2 && e->shape[1] != t->shape[1]))
            return bt_errf(err, BT_EUSAGE,
                           "checkpoint tensor '%s' has shape [%lld, %lld], the model expects "
                           "[%lld, %lld]",
                           name, (long long)e->shape[0], (long long)(e->ndim > 1 ? e->shape[1] : 1),
                           (long long)t->shape[0], (long long)t->shape[1]);
        int rc = ckpt_file_read(f, k, slab + t->offset, err);
        if (rc != BT_OK)
            return rc;
    }
    return BT_OK;
}

int ckpt_state_load(struct ckpt_file *f, const struct bert_model *m, float *params, float *m_out,
                    float *v_out, char *err)
{
    int rc = load_slab(f, m, "param", params, err);
    if (rc == BT_OK && m_out)
        rc = load_slab(f, m, "adam_m", m_out, err);
    if (rc == BT_OK && v_out)
        rc = load_slab(f, m, "adam_v", v_out, err);
    return rc;
}

void ckpt_config_diff(const struct bert_config *a, const struct bert_config *b, char *out,
                      size_t n)
{
    size_t used = 0;
    out[0] = '\0';
#define CMP(field, key)                                                                           \
    if (a->field != b->field && used < n)                                                         \
        used += (size_t)snprintf(out + used, n - used, "%s%s %d vs %d", used ? ", " : "", key,    \
                                 (int)a->field, (int)b->field);
    CMP(type, "model_type")
    CMP(vocab_size, "vocab_size")
    CMP(hidden_size, "hidden_size")
    CMP(num_layers, "num_hidden_layers")
    CMP(num_heads, "num_attention_heads")
    CMP(intermediate_size, "intermediate_size")
    CMP(max_position_embeddings, "max_position_embeddings")
    CMP(type_vocab_size, "type_vocab_size")
    CMP(embedding_size, "embedding_size")
    CMP(num_hidden_groups, "num_hidden_groups")
    CMP(inner_group_num, "inner_group_num")
    CMP(act, "hidden_act")
#undef CMP
}

int ckpt_save_model(const char *dir, const struct bert_model *m, const struct ckpt_tensor *extra,
                    int n_extra, const char *extra_meta_json, char *err)
{
    int rc = file_mkdir_p(dir, err);
    if (rc != BT_OK)
        return rc;
    char path[4200], done[4200];
    snprintf(path, sizeof path, "%s/%s", dir, CKPT_FILE_NAME);
    snprintf(done, sizeof done, "%s/DONE", dir);
    remove(done);
    struct ckpt_slabs s = {m->params, NULL, NULL};
    struct ckpt_write_opts o = {.threads = 0, .level = 3, .byte_planes = 1};
    rc = ckpt_state_write(path, m, &s, NULL, NULL, extra, n_extra, extra_meta_json, &o, err);
    if (rc == BT_OK)
        rc = file_write_atomic(done, "{\"kind\": \"model\"}\n", 18, err);
    return rc;
}

int ckpt_load_model(const char *path, struct bert_model *m, char *err)
{
    char file[4200];
    int rc = ckpt_dir_resolve(path, file, sizeof file, err);
    if (rc != BT_OK)
        return rc;
    struct ckpt_file *f;
    if ((rc = ckpt_file_open(&f, file, err)) != BT_OK)
        return rc;
    struct bert_config cfg;
    rc = ckpt_state_config(f, &cfg, err);
    if (rc == BT_OK) {
        bert_init(m, &cfg);
        rc = ckpt_state_load(f, m, m->params, NULL, NULL, err);
        if (rc != BT_OK)
            bert_free(m);
    }
    ckpt_file_close(f);
    return rc;
}
