/* inspect.c - see inspect.h. */
#include "inspect.h"
#include "masking.h"
#include "json_util.h"
#include "mem.h"
#include "nvidia_shard.h"
#include "shard_dir.h"
#include "shard_reader.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *base_name(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int64_t file_bytes(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 ? (int64_t)st.st_size : -1;
}

static int summary_ours(char **paths, int n, json_t *root, char *err)
{
    json_t *files = json_array();
    json_object_set_new(root, "files", files);
    struct shard_meta m0 = {0};
    for (int i = 0; i < n; i++) {
        struct shard_meta m;
        int rc = shard_reader_meta(paths[i], &m, err);
        if (rc != BT_OK)
            return rc;
        if (i == 0)
            m0 = m;
        json_t *f = json_object();
        json_object_set_new(f, "name", json_string(base_name(paths[i])));
        json_object_set_new(f, "shard_index", json_integer(m.shard_index));
        json_object_set_new(f, "documents", json_integer(m.n_docs));
        json_object_set_new(f, "sentences", json_integer(m.n_sentences));
        json_object_set_new(f, "tokens", json_integer(m.n_tokens));
        json_object_set_new(f, "bytes", json_integer(file_bytes(paths[i])));
        json_array_append_new(files, f);
    }
    char hex[32];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)m0.vocab_checksum);
    json_object_set_new(root, "format", json_string(SHARD_FORMAT_NAME));
    json_object_set_new(root, "format_version", json_integer(m0.format_version));
    json_object_set_new(root, "n_shards", json_integer(m0.n_shards));
    json_object_set_new(root, "complete", json_boolean(m0.n_shards == n));
    json_object_set_new(root, "documents", json_integer(m0.total_docs));
    json_object_set_new(root, "sentences", json_integer(m0.total_sentences));
    json_object_set_new(root, "tokens", json_integer(m0.total_tokens));
    json_object_set_new(root, "mean_tokens_per_sentence",
                        json_real((double)m0.total_tokens / (double)m0.total_sentences));
    json_object_set_new(root, "mean_sentences_per_document",
                        json_real((double)m0.total_sentences / (double)m0.total_docs));
    json_object_set_new(root, "max_seq_len", json_integer(m0.max_seq_len));
    json_object_set_new(root, "vocab_size", json_integer(m0.vocab_size));
    json_object_set_new(root, "vocab_checksum", json_string(hex));
    json_object_set_new(root, "lowercase", json_boolean(m0.lowercase));
    json_object_set_new(root, "split_sentences", json_boolean(m0.split_sentences));
    json_t *sp = json_object();
    json_object_set_new(sp, "pad", json_integer(m0.pad_id));
    json_object_set_new(sp, "unk", json_integer(m0.unk_id));
    json_object_set_new(sp, "cls", json_integer(m0.cls_id));
    json_object_set_new(sp, "sep", json_integer(m0.sep_id));
    json_object_set_new(sp, "mask", json_integer(m0.mask_id));
    json_object_set_new(root, "special_ids", sp);
    json_object_set_new(root, "input_bytes", json_integer(m0.input_bytes));
    json_object_set_new(root, "invalid_utf8_bytes", json_integer(m0.invalid_utf8_bytes));
    return BT_OK;
}

static int summary_nvidia(char **paths, int n, json_t *root, char *err)
{
    struct nv_set s;
    int rc = nv_open(&s, paths, n, err);
    if (rc != BT_OK)
        return rc;
    json_t *files = json_array();
    for (int i = 0; i < n; i++) {
        json_t *f = json_object();
        json_object_set_new(f, "name", json_string(base_name(paths[i])));
        json_object_set_new(f, "rows", json_integer(s.rows[i]));
        json_object_set_new(f, "bytes", json_integer(file_bytes(paths[i])));
        json_array_append_new(files, f);
    }
    json_object_set_new(root, "format", json_string("nvidia-deeplearningexamples-bert"));
    json_object_set_new(root, "files", files);
    json_object_set_new(root, "n_files", json_integer(n));
    json_object_set_new(root, "rows", json_integer(s.total_rows));
    json_object_set_new(root, "seq_len", json_integer(s.T));
    json_object_set_new(root, "max_predictions_per_seq", json_integer(s.P));
    nv_close(&s);
    return BT_OK;
}

static int is_special(const struct data_info *I, int32_t id)
{
    return id == I->pad_id || id == I->unk_id || id == I->cls_id || id == I->sep_id ||
           id == I->mask_id;
}

int inspect_masking_stats(const struct inspect_opts *o, struct inspect_masking *s, char *err)
{
    memset(s, 0, sizeof *s);
    if (o->samples < 1)
        return bt_errf(err, BT_EUSAGE, "inspect: --samples must be at least 1");
    int mb = o->samples < 128 ? (int)o->samples : 128;
    struct loader_opts lo = {0};
    lo.dir = o->dir;
    lo.seq_len = o->seq_len;
    lo.mask_prob = o->mask_prob;
    lo.max_pred = o->max_pred > 0 ? o->max_pred : (int)lrint(o->seq_len * o->mask_prob) + 1;
    if (lo.max_pred > o->seq_len)
        lo.max_pred = o->seq_len;
    lo.short_seq_prob = 0.1;
    lo.objective = o->objective;
    lo.seed = o->seed;
    lo.rank = 0;
    lo.world = 1;
    lo.global_batch = mb;
    lo.micro_batch = mb;
    lo.static_masks = o->static_masks;
    lo.masking = o->mask_mode;
    lo.prefetch = 1;
    struct loader *L;
    int rc = loader_open(&L, &lo, err);
    if (rc != BT_OK)
        return rc;
    const struct data_info *I = loader_info(L);
    struct batch b;
    batch_alloc(&b, mb, lo.seq_len, lo.max_pred);
    int T = lo.seq_len;
    while (rc == BT_OK && s->rows < o->samples) {
        if ((rc = loader_next(L, &b, err)) != BT_OK)
            break;
        int use = o->samples - s->rows < mb ? (int)(o->samples - s->rows) : mb;
        int *row_preds = xcalloc((size_t)mb, sizeof(int));
        for (int k = 0; k < b.n_pred; k++) {
            int r = b.pred_pos[k] / T;
            if (r >= use)
                continue;
            row_preds[r]++;
            int32_t got = b.input_ids[b.pred_pos[k]], lab = b.pred_label[k];
            s->preds++;
            if (got == I->mask_id)
                s->to_mask++;
            else if (got == lab)
                s->kept++;
            else
                s->to_random++;
            s->specials_masked += is_special(I, lab);
            s->padding_masked += b.attention_mask[b.pred_pos[k]] == 0;
        }
        for (int r = 0; r < use; r++) {
            for (int t = 0; t < T; t++)
                s->real_tokens += b.attention_mask[r * T + t];
            s->rows_at_cap += row_preds[r] == lo.max_pred;
            if (b.nsp_labels[r] >= 0) {
                s->pair_rows++;
                s->pair_positive += b.nsp_labels[r];
            }
        }
        xfree(row_preds);
        s->rows += use;
    }
    s->slots = s->rows * T;
    batch_free(&b);
    loader_close(L);
    return rc;
}

static json_t *masking_json(const struct inspect_opts *o, const struct inspect_masking *s)
{
    json_t *m = json_object();
    double p = s->preds > 0 ? (double)s->preds : 1.0;
    json_object_set_new(m, "objective", json_string(objective_name(o->objective)));
    json_object_set_new(m, "mask_mode", json_string(mask_mode_name((enum mask_mode)o->mask_mode)));
    json_object_set_new(m, "samples", json_integer(s->rows));
    json_object_set_new(m, "seed", json_integer((json_int_t)o->seed));
    json_object_set_new(m, "seq_len", json_integer(o->seq_len));
    json_object_set_new(m, "masked_predictions", json_integer(s->preds));
    json_object_set_new(m, "masked_fraction", json_real((double)s->preds / (double)s->real_tokens));
    json_object_set_new(m, "frac_mask_token", json_real((double)s->to_mask / p));
    json_object_set_new(m, "frac_random_token", json_real((double)s->to_random / p));
    json_object_set_new(m, "frac_unchanged", json_real((double)s->kept / p));
    json_object_set_new(m, "specials_masked", json_integer(s->specials_masked));
    json_object_set_new(m, "padding_masked", json_integer(s->padding_masked));
    json_object_set_new(m, "rows_at_max_pred", json_integer(s->rows_at_cap));
    if (s->pair_rows > 0)
        json_object_set_new(m, o->objective == OBJ_SOP ? "swapped_fraction"
                                                       : "random_next_fraction",
                            json_real((double)s->pair_positive / (double)s->pair_rows));
    json_object_set_new(m, "mean_real_length", json_real((double)s->real_tokens / (double)s->rows));
    json_object_set_new(m, "padding_fraction",
                        json_real(1.0 - (double)s->real_tokens / (double)s->slots));
    return m;
}

int inspect_run(const struct inspect_opts *o, FILE *out, char *err)
{
    char **paths;
    int n;
    int rc = shard_dir_list(o->dir, &paths, &n, err);
    if (rc != BT_OK)
        return rc;
    enum shard_kind kind;
    json_t *root = json_object();
    json_object_set_new(root, "dir", json_string(o->dir));
    rc = shard_probe(paths[0], &kind, err);
    if (rc == BT_OK)
        rc = kind == SHARD_KIND_OURS ? summary_ours(paths, n, root, err)
                                     : summary_nvidia(paths, n, root, err);
    shard_dir_free(paths, n);
    if (rc == BT_OK && o->masking) {
        struct inspect_masking s;
        rc = inspect_masking_stats(o, &s, err);
        if (rc == BT_OK)
            json_object_set_new(root, "masking", masking_json(o, &s));
    }
    if (rc == BT_OK) {
        size_t flags = JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(6);
        char *text = json_dumps(root, flags);
        if (!text || fprintf(out, "%s\n", text) < 0 || fflush(out) != 0)
            rc = bt_errf(err, BT_EIO, "inspect: cannot write the report");
        free(text);
    }
    json_decref(root);
    return rc;
}
