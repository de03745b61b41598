/* ft_model.c - see ft_model.h. */
#include "ft_model.h"
#include "checkpoint.h"
#include "ckpt_dir.h"
#include "fileio.h"
#include "json_util.h"
#include "log.h"
#include "mem.h"
#include "safetensors.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void ft_model_src_free(struct ft_model_src *src)
{
    ft_labels_free(&src->labels);
    memset(src, 0, sizeof *src);
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

/* The stored name for one of our tensor names: as is, or without the model
 * prefix (BertModel / RobertaModel / AlbertModel state dicts). */
static const char *stored_name(const struct st_file *f, const char *name)
{
    if (st_find(f, name))
        return name;
    static const char *const pre[] = {"bert.", "roberta.", "albert."};
    for (size_t i = 0; i < 3; i++) {
        size_t n = strlen(pre[i]);
        if (!strncmp(name, pre[i], n) && st_find(f, name + n))
            return name + n;
    }
    return NULL;
}

static int load_weights(struct ft_model_src *src, struct bert_model *m, char *err)
{
    struct st_file f;
    int rc = st_open(&f, src->weights, err);
    if (rc != BT_OK)
        return rc;
    int optional = 0;
    for (int i = 0; i < m->n_tensors && rc == BT_OK; i++) {
        const struct tensor_desc *t = &m->tensors[i];
        size_t part_numel = t->numel / (size_t)t->n_parts;
        int64_t shape[2] = {t->shape[0] / t->n_parts, t->shape[1]};
        for (int p = 0; p < t->n_parts && rc == BT_OK; p++) {
            const char *name = stored_name(&f, t->part_names[p]);
            if (!name) {
                if (t->segment <= m->U)
                    rc = bt_errf(err, BT_EUSAGE,
                                 "%s: tensor '%s' is missing (every embedding and encoder "
                                 "tensor is needed)",
                                 src->weights, t->part_names[p]);
                else if (strstr(t->name, "pooler"))
                    src->missing_pooler = 1;
                else
                    optional++;
                continue;
            }
            rc = st_read_f32(&f, name, m->params + t->offset + (size_t)p * part_numel, t->ndim,
                             shape, err);
            if (rc != BT_OK)
                rc = BT_EUSAGE;
        }
    }
    st_close(&f);
    if (rc == BT_OK && optional)
        log0_info("%s: %d pre-training head tensor(s) absent (not needed for fine-tuning)",
                  src->weights, optional);
    return rc;
}

/* Task, labels and lowercase of an already fine-tuned model: the object that
 * bert-finetune writes as finetune.json and as the checkpoint's "extra". */
static int parse_ft_meta(struct ft_model_src *src, const json_t *j, const char *where,
                         char *err)
{
    const char *task = NULL;
    int rc = jsonu_get_str(j, "task", 1, &task, where, err);
    json_t *labels = json_object_get(j, "labels");
    if (rc == BT_OK && !json_is_array(labels))
        rc = bt_errf(err, BT_EUSAGE, "%s: key 'labels' must be an array of strings", where);
    if (rc == BT_OK)
        snprintf(src->task, sizeof src->task, "%s", task);
    for (size_t i = 0; rc == BT_OK && i < json_array_size(labels); i++) {
        json_t *x = json_array_get(labels, i);
        if (!json_is_string(x))
            rc = bt_errf(err, BT_EUSAGE, "%s: labels[%zu] must be a string", where, i);
        else
            rc = ft_labels_add(&src->labels, json_string_value(x), json_string_length(x), NULL,
                               err);
    }
    json_t *lc = json_object_get(j, "lowercase");
    if (rc == BT_OK && json_is_boolean(lc) && src->lowercase < 0)
        src->lowercase = json_is_true(lc);
    return rc;
}

/* vocab.txt, tokenizer_config.json's do_lower_case and finetune.json of dir. */
static int read_side_files(struct ft_model_src *src, const char *dir, char *err)
{
    char p[2 * FT_PATH_LEN + 64];
    snprintf(p, sizeof p, "%s/vocab.txt", dir);
    if (file_exists(p))
        snprintf(src->vocab, sizeof src->vocab, "%s", p);
    snprintf(p, sizeof p, "%s/tokenizer_config.json", dir);
    if (file_exists(p)) {
        json_t *j = jsonu_load_file(p, err);
        if (!j)
            return BT_EUSAGE;
        json_t *v = json_object_get(j, "do_lower_case");
        if (json_is_boolean(v))
            src->lowercase = json_is_true(v);
        json_decref(j);
    }
    snprintf(p, sizeof p, "%s/finetune.json", dir);
    if (!file_exists(p))
        return BT_OK;
    json_t *j = jsonu_load_file(p, err);
    if (!j)
        return BT_EUSAGE;
    int rc = parse_ft_meta(src, j, p, err);
    json_decref(j);
    return rc;
}

/* Our checkpoint: the model through ckpt_load_model, then the metadata's
 * "extra" (written by bert-finetune) and a vocab.txt beside the file. */
static int load_ckpt(struct ft_model_src *src, const char *path, struct bert_model *m,
                     char *err)
{
    int rc = ckpt_dir_resolve(path, src->weights, sizeof src->weights, err);
    if (rc != BT_OK)
        return rc;
    src->kind = FT_MODEL_CKPT;
    if ((rc = ckpt_load_model(path, m, err)) != BT_OK)
        return rc;
    char dir[2 * FT_PATH_LEN + 64];
    file_dirname(src->weights, dir, sizeof dir);
    if ((rc = read_side_files(src, dir, err)) != BT_OK)
        return rc;
    struct ckpt_file *f;
    if ((rc = ckpt_file_open(&f, src->weights, err)) != BT_OK)
        return rc;
    const char *meta = ckpt_file_meta(f);
    json_t *j = jsonu_loads(meta, strlen(meta), src->weights, err);
    json_t *x = j ? json_object_get(j, "extra") : NULL;
    if (json_is_object(x) && json_object_get(x, "task"))
        rc = parse_ft_meta(src, x, src->weights, err);
    json_decref(j);
    ckpt_file_close(f);
    return rc;
}

int ft_model_load(struct ft_model_src *src, const char *path, struct bert_model *m,
                  uint64_t seed, char *err)
{
    memset(src, 0, sizeof *src);
    src->lowercase = -1;
    snprintf(src->path, sizeof src->path, "%s", path);
    struct bert_config cfg;
    int rc;
    if (!file_is_dir(path)) {
        if (!file_exists(path))
            return bt_errf(err, BT_EUSAGE, "%s: no such model directory or config file", path);
        if (!ends_with(path, ".json"))
            return load_ckpt(src, path, m, err); /* a checkpoint file */
        src->kind = FT_MODEL_CONFIG;
        if ((rc = bert_config_load(&cfg, path, err)) != BT_OK)
            return rc;
        bert_init(m, &cfg);
        bert_init_weights(m, seed);
        log0_warn("%s is a configuration only: the encoder starts from random weights", path);
        return BT_OK;
    }
    char p[2 * FT_PATH_LEN + 64];
    snprintf(p, sizeof p, "%s/config.json", path);
    if (!file_exists(p)) {
        rc = load_ckpt(src, path, m, err);
        if (rc == BT_EUSAGE && src->kind != FT_MODEL_CKPT)
            return bt_errf(err, BT_EUSAGE,
                           "%s: not a model: no config.json + model.safetensors (Hugging Face) "
                           "and no checkpoint (model.ckpt, or checkpoints/step_*/DONE of a "
                           "bert-train run)",
                           path);
        return rc;
    }
    src->kind = FT_MODEL_HF_DIR;
    snprintf(src->weights, sizeof src->weights, "%s/model.safetensors", path);
    if (!file_exists(src->weights)) {
        snprintf(p, sizeof p, "%s/pytorch_model.bin", path);
        return bt_errf(err, BT_EUSAGE,
                       "%s: no model.safetensors (a Hugging Face model directory needs "
                       "config.json and model.safetensors)%s",
                       path,
                       file_exists(p) ? " (pytorch_model.bin is not read: convert it with "
                                        "safetensors' convert script)"
                                      : "");
    }
    snprintf(p, sizeof p, "%s/config.json", path);
    if ((rc = bert_config_load(&cfg, p, err)) != BT_OK)
        return rc;
    if ((rc = read_side_files(src, path, err)) != BT_OK)
        return rc;
    bert_init(m, &cfg);
    bert_init_weights(m, seed);
    if ((rc = load_weights(src, m, err)) != BT_OK)
        return rc;
    return BT_OK;
}

static int same_shape(const struct ft_head_tensor *t, int ndim, const int64_t *shape)
{
    return ndim == t->ndim && shape[0] == t->shape[0] && (t->ndim == 1 || shape[1] == t->shape[1]);
}

static int load_head_ckpt(const struct ft_model_src *src, struct ft_head *h, int *loaded,
                          char *err)
{
    struct ckpt_file *f = NULL;
    int rc = ckpt_file_open(&f, src->weights, err);
    for (int i = 0; rc == BT_OK && i < h->n_tensors; i++) {
        const struct ft_head_tensor *t = &h->t[i];
        int k = ckpt_file_find(f, t->name);
        if (k < 0)
            continue;
        const struct ckpt_entry *e = ckpt_file_entry(f, k);
        if (!same_shape(t, e->ndim, e->shape)) {
            log0_warn("%s: '%s' has another shape than the head needs (new label set?); it "
                      "starts from random weights",
                      src->weights, t->name);
            continue;
        }
        rc = ckpt_file_read(f, k, h->params + t->offset, err);
        *loaded += rc == BT_OK;
    }
    if (f)
        ckpt_file_close(f);
    return rc;
}

int ft_model_load_head(const struct ft_model_src *src, struct ft_head *h, int *loaded,
                       char *err)
{
    *loaded = 0;
    if (src->kind == FT_MODEL_CKPT)
        return load_head_ckpt(src, h, loaded, err);
    if (src->kind != FT_MODEL_HF_DIR)
        return BT_OK;
    struct st_file f;
    int rc = st_open(&f, src->weights, err);
    if (rc != BT_OK)
        return BT_EUSAGE;
    for (int i = 0; i < h->n_tensors && rc == BT_OK; i++) {
        const struct ft_head_tensor *t = &h->t[i];
        const struct st_tensor *s = st_find(&f, t->name);
        if (!s)
            continue;
        if (!same_shape(t, s->ndim, s->shape)) {
            char a[64];
            log0_warn("%s: '%s' has shape %s, the head needs another (new label set?); it "
                      "starts from random weights",
                      src->weights, t->name, st_shape_str(s->ndim, s->shape, a, sizeof a));
            continue;
        }
        rc = st_read_f32(&f, t->name, h->params + t->offset, t->ndim, t->shape, err);
        *loaded += rc == BT_OK;
    }
    st_close(&f);
    return rc == BT_OK ? BT_OK : BT_EUSAGE;
}

const char *ft_model_arch_name(enum model_type t, enum ft_task task)
{
    static const char *const fam[MODEL_COUNT] = {"Bert", "Roberta", "Albert"};
    static const char *const kind[FT_TASK_COUNT] = {"ForSequenceClassification",
                                                    "ForTokenClassification",
                                                    "ForQuestionAnswering"};
    static char buf[96];
    snprintf(buf, sizeof buf, "%s%s", fam[t], kind[task]);
    return buf;
}

/* config.json: our model config plus the task's architecture and labels. */
static int write_config(const char *dir, const struct bert_model *m,
                        const struct ft_save_info *info, char *err)
{
    char *base = bert_config_to_json(&m->cfg);
    json_t *j = jsonu_loads(base, strlen(base), "model config", err);
    free(base);
    if (!j)
        return BT_ERUNTIME;
    json_object_set_new(j, "architectures",
                        json_pack("[s]", ft_model_arch_name(m->cfg.type, info->task)));
    if (info->task != FT_TASK_QA) {
        json_t *i2l = json_object(), *l2i = json_object();
        for (int i = 0; i < info->labels->n; i++) {
            char k[16];
            snprintf(k, sizeof k, "%d", i);
            json_object_set_new(i2l, k, json_string(info->labels->name[i]));
            json_object_set_new(l2i, info->labels->name[i], json_integer(i));
        }
        json_object_set_new(j, "id2label", i2l);
        json_object_set_new(j, "label2id", l2i);
    }
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(j);
    char p[2 * FT_PATH_LEN + 64];
    snprintf(p, sizeof p, "%s/config.json", dir);
    int rc = file_write_atomic(p, s, strlen(s), err);
    free(s);
    return rc;
}

static int write_weights(const char *dir, const struct bert_model *m, const struct ft_head *h,
                         enum ft_task task, char *err)
{
    struct st_out *outs = xcalloc((size_t)m->n_tensors * 3 + FT_HEAD_MAX_TENSORS, sizeof *outs);
    int n = 0;
    for (int i = 0; i < m->n_tensors; i++) {
        const struct tensor_desc *t = &m->tensors[i];
        int pooler = strstr(t->name, "pooler") != NULL;
        if (t->segment > m->U && !(pooler && task == FT_TASK_SEQ_CLS))
            continue;
        size_t part_numel = t->numel / (size_t)t->n_parts;
        for (int p = 0; p < t->n_parts; p++)
            outs[n++] = (struct st_out){t->part_names[p], t->ndim,
                                        {t->shape[0] / t->n_parts, t->shape[1]},
                                        m->params + t->offset + (size_t)p * part_numel};
    }
    for (int i = 0; i < h->n_tensors; i++)
        outs[n++] = (struct st_out){h->t[i].name, h->t[i].ndim,
                                    {h->t[i].shape[0], h->t[i].shape[1]},
                                    h->params + h->t[i].offset};
    char p[2 * FT_PATH_LEN + 64];
    snprintf(p, sizeof p, "%s/model.safetensors", dir);
    int rc = st_write_f32(p, outs, n, err);
    xfree(outs);
    return rc;
}

/* {"task", "labels", "lowercase", "recipe"}: finetune.json / the checkpoint's extra. */
static char *meta_json(const struct ft_save_info *info)
{
    char err[BT_ERR_LEN];
    json_t *j = json_object(), *labels = json_array();
    json_object_set_new(j, "task", json_string(ft_task_name(info->task)));
    for (int i = 0; i < info->labels->n; i++)
        json_array_append_new(labels, json_string(info->labels->name[i]));
    json_object_set_new(j, "labels", labels);
    json_object_set_new(j, "lowercase", json_boolean(info->lowercase));
    json_t *r = jsonu_loads(info->recipe_json, strlen(info->recipe_json), "recipe", err);
    if (r)
        json_object_set_new(j, "recipe", r);
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(j);
    return s;
}

static int write_meta(const char *dir, const struct ft_save_info *info, char *err)
{
    char *s = meta_json(info);
    char p[2 * FT_PATH_LEN + 64];
    snprintf(p, sizeof p, "%s/finetune.json", dir);
    int rc = file_write_atomic(p, s, strlen(s), err);
    free(s);
    if (rc != BT_OK)
        return rc;
    snprintf(p, sizeof p, "%s/tokenizer_config.json", dir);
    char tc[128];
    int len = snprintf(tc, sizeof tc, "{\n  \"do_lower_case\": %s,\n  \"tokenizer_class\": "
                       "\"BertTokenizer\"\n}\n", info->lowercase ? "true" : "false");
    return file_write_atomic(p, tc, (size_t)len, err);
}

int ft_model_save_hf(const char *dir, const struct bert_model *m, const struct ft_head *h,
                     const struct ft_save_info *info, char *err)
{
    char tmp[FT_PATH_LEN + 64], old[FT_PATH_LEN + 64], p[2 * FT_PATH_LEN + 64];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", dir, (long)getpid());
    snprintf(old, sizeof old, "%s.old.%ld", dir, (long)getpid());
    int rc = file_remove_tree(tmp, err);
    if (rc == BT_OK)
        rc = file_mkdir_p(tmp, err);
    if (rc == BT_OK)
        rc = write_config(tmp, m, info, err);
    if (rc == BT_OK)
        rc = write_weights(tmp, m, h, info->task, err);
    if (rc == BT_OK)
        rc = write_meta(tmp, info, err);
    if (rc == BT_OK) {
        size_t len;
        const char *vb = vocab_bytes(info->vocab, &len);
        snprintf(p, sizeof p, "%s/vocab.txt", tmp);
        rc = file_write_atomic(p, vb, len, err);
    }
    if (rc != BT_OK) {
        char e2[BT_ERR_LEN];
        if (file_remove_tree(tmp, e2) != BT_OK) { /* the first error is the one to report */
        }
        return rc;
    }
    int had = file_is_dir(dir);
    if (had && rename(dir, old) != 0)
        return bt_errf(err, BT_EIO, "%s: cannot move the previous model aside: %s", dir,
                       strerror(errno));
    if (rename(tmp, dir) != 0)
        return bt_errf(err, BT_EIO, "%s: cannot rename %s into place: %s", dir, tmp,
                       strerror(errno));
    if (had && (rc = file_remove_tree(old, err)) != BT_OK)
        return rc;
    return file_fsync_dir(dir, err);
}

int ft_model_save_ckpt(const char *dir, const struct bert_model *m, const struct ft_head *h,
                       const struct ft_save_info *info, char *err)
{
    int rc = file_mkdir_p(dir, err);
    char p[2 * FT_PATH_LEN + 64];
    snprintf(p, sizeof p, "%s/vocab.txt", dir);
    size_t len;
    const char *vb = vocab_bytes(info->vocab, &len);
    if (rc == BT_OK)
        rc = file_write_atomic(p, vb, len, err);
    if (rc != BT_OK)
        return rc;
    struct ckpt_tensor extra[FT_HEAD_MAX_TENSORS];
    memset(extra, 0, sizeof extra);
    for (int i = 0; i < h->n_tensors; i++) {
        snprintf(extra[i].name, sizeof extra[i].name, "%s", h->t[i].name);
        extra[i].ndim = h->t[i].ndim;
        extra[i].shape[0] = h->t[i].shape[0];
        extra[i].shape[1] = h->t[i].shape[1];
        extra[i].data = h->params + h->t[i].offset;
    }
    char *meta = meta_json(info);
    rc = ckpt_save_model(dir, m, extra, h->n_tensors, meta, err);
    free(meta);
    return rc;
}
