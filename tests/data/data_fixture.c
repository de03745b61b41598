/* data_fixture.c - see data_fixture.h. */
#include "data_fixture.h"
#include "testutil.h"

#include "check.h"
#include "fileio.h"
#include "json_util.h"
#include "mem.h"
#include "prep.h"
#include "rng.h"
#include "tokenizer.h"

#include <hdf5.h>
#include <stdio.h>
#include <string.h>

static const char *const words[] = {
    "the", "of", "and", "to", "in", "was", "he", "is", "for", "it", "with", "as", "his", "on",
    "be", "at", "by", "had", "are", "but", "from", "or", "have", "an", "they", "which", "one",
    "you", "were", "her", "all", "she", "there", "would", "their", "we", "him", "been", "has",
    "when", "who", "will", "more", "no", "if", "out", "so", "said", "what", "up", "its", "about",
    "into", "than", "them", "can", "only", "other", "new", "some", "could", "time", "these",
    "two", "may", "then", "do", "first", "any", "my", "now", "such", "like", "our", "over",
    "man", "me", "even", "most", "made", "after", "also", "did", "many", "before", "must",
    "through", "back", "years", "where", "much", "your", "way", "well", "down", "should",
    "because", "each", "just", "those", "people", "how", "too", "little", "state", "good",
    "very", "make", "world", "still", "own", "see", "men", "work", "long", "get", "here",
    "between", "both", "life", "being", "under", "never", "day", "same", "another", "know",
    "while", "last", "might", "us", "great", "old", "year", "off", "come", "since", "against",
    "go", "came", "right", "used", "take", "three", "house", "river", "ship", "sea", "whale"};

void df_fixture(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/tests/data/fixtures/%s", BT_SOURCE_DIR, name);
}

int df_check_golden(const char *name, df_pick_tokenizer pick, void *ctx,
                    const char *count_vocab, int *counted)
{
    char path[4096], err[BT_ERR_LEN];
    df_fixture(path, sizeof path, name);
    char *text;
    size_t len;
    if (file_read_all(path, &text, &len, err) != BT_OK)
        fail_msg("%s", err);
    int rows = 0;
    *counted = 0;
    for (char *line = text; *line;) {
        char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        json_t *row = jsonu_loads(line, n, path, err);
        if (!row)
            fail_msg("%s", err);
        const char *which = json_string_value(json_object_get(row, "vocab"));
        const char *src = json_string_value(json_object_get(row, "src"));
        json_t *jt = json_object_get(row, "text"), *ids = json_object_get(row, "ids");
        if (!which || !src || !json_is_string(jt) || !json_is_array(ids))
            fail_msg("%s row %d: vocab, src, text and ids are required", path, rows + 1);
        struct tok_buf b;
        tok_buf_init(&b);
        tokenizer_encode(pick(ctx, which), json_string_value(jt), json_string_length(jt), &b);
        size_t want = json_array_size(ids);
        int same = b.n == want;
        for (size_t i = 0; same && i < want; i++)
            same = b.ids[i] == (int32_t)json_integer_value(json_array_get(ids, i));
        if (!same) {
            fprintf(stderr, "mismatch (%s) %s\n got:", which, src);
            for (size_t i = 0; i < b.n; i++)
                fprintf(stderr, " %d", b.ids[i]);
            fprintf(stderr, "\n");
            fail_msg("golden row %d (%s) differs", rows + 1, src);
        }
        tok_buf_free(&b);
        *counted += !strcmp(which, count_vocab);
        json_decref(row);
        rows++;
        line = nl ? nl + 1 : line + n;
    }
    xfree(text);
    return rows;
}

int64_t df_write_corpus(const char *path, int n_docs, int max_sent, int min_words,
                        int max_words, uint64_t seed)
{
    FILE *f = fopen(path, "w");
    if (!f)
        fail_msg("cannot write %s", path);
    size_t nw = sizeof words / sizeof *words;
    int64_t total = 0;
    for (int d = 0; d < n_docs; d++) {
        int ns = 1 + (int)rng_below(seed, 1, (uint64_t)d, (uint64_t)max_sent);
        for (int s = 0; s < ns; s++) {
            uint64_t key = ((uint64_t)d << 20) | (uint64_t)s;
            int w = min_words + (int)rng_below(seed, 2, key, (uint64_t)(max_words - min_words + 1));
            for (int k = 0; k < w; k++)
                fprintf(f, "%s%s", k ? " " : "",
                        words[rng_below(seed, 3, key * 64 + (uint64_t)k, nw)]);
            fprintf(f, ".\n");
            total++;
        }
        if (d + 1 < n_docs)
            fprintf(f, "\n");
    }
    fclose(f);
    return total;
}

void df_prep(const char *input, const char *out_dir, int shards, int max_seq_len, int threads)
{
    char vocab[4096], err[BT_ERR_LEN];
    df_fixture(vocab, sizeof vocab, "bert-base-uncased-vocab.txt");
    const char *inputs[1] = {input};
    struct prep_opts o = {0};
    o.vocab_path = vocab;
    o.inputs = inputs;
    o.n_inputs = 1;
    o.output = out_dir;
    o.shards = shards;
    o.max_seq_len = max_seq_len;
    o.lowercase = 1;
    o.threads = threads;
    o.quiet = 1;
    struct prep_stats st;
    if (prep_run(&o, &st, err) != BT_OK)
        fail_msg("prep: %s", err);
}

static void write_ds(hid_t f, const char *name, hid_t ftype, hid_t mtype, int rank, hsize_t d0,
                     hsize_t d1, const void *data)
{
    hsize_t dims[2] = {d0, d1};
    hid_t sp = H5Screate_simple(rank, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, rank, dims);
    H5Pset_deflate(dcpl, 4); /* h5py compression='gzip' */
    hid_t ds = H5Dcreate2(f, name, ftype, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (ds < 0 || H5Dwrite(ds, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        fail_msg("cannot write NVIDIA dataset %s", name);
    H5Dclose(ds);
    H5Pclose(dcpl);
    H5Sclose(sp);
}

void df_write_nvidia(const char *path, int rows, int T, int P, uint64_t seed, int32_t *orig_ids)
{
    size_t nt = (size_t)rows * (size_t)T, np = (size_t)rows * (size_t)P;
    int32_t *ids = xcalloc(nt, sizeof *ids), *pos = xcalloc(np, sizeof *pos);
    int32_t *lab = xcalloc(np, sizeof *lab);
    int8_t *mask = xcalloc(nt, 1), *seg = xcalloc(nt, 1), *nsp = xcalloc((size_t)rows, 1);
    for (int r = 0; r < rows; r++) {
        int len = T / 2 + (int)rng_below(seed, 10, (uint64_t)r, (uint64_t)(T / 2 + 1));
        int a = 1 + (int)rng_below(seed, 11, (uint64_t)r, (uint64_t)(len - 4));
        int32_t *row = ids + (size_t)r * T;
        row[0] = 101;
        for (int t = 1; t < len - 1; t++)
            row[t] = 999 + (int32_t)rng_below(seed, 12, (uint64_t)r * 4096 + (uint64_t)t, 29000);
        row[a + 1] = 102; /* [CLS] A [SEP] B [SEP] */
        row[len - 1] = 102;
        for (int t = 0; t < len; t++) {
            mask[(size_t)r * T + t] = 1;
            seg[(size_t)r * T + t] = t > a + 1;
        }
        nsp[r] = (int8_t)rng_below(seed, 13, (uint64_t)r, 2);
        if (orig_ids)
            memcpy(orig_ids + (size_t)r * T, row, (size_t)T * sizeof *row);
        /* static masks: up to P ascending non-special positions */
        int k = 0;
        for (int t = 1; t < len - 1 && k < P; t++) {
            if (t == a + 1 || rng_below(seed, 14, (uint64_t)r * 4096 + (uint64_t)t, 6) != 0)
                continue;
            pos[(size_t)r * P + k] = t;
            lab[(size_t)r * P + k] = row[t];
            row[t] = 103;
            k++;
        }
    }
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    if (f < 0)
        fail_msg("cannot create %s", path);
    write_ds(f, "input_ids", H5T_STD_I32LE, H5T_NATIVE_INT32, 2, rows, T, ids);
    write_ds(f, "input_mask", H5T_STD_I8LE, H5T_NATIVE_INT8, 2, rows, T, mask);
    write_ds(f, "segment_ids", H5T_STD_I8LE, H5T_NATIVE_INT8, 2, rows, T, seg);
    write_ds(f, "masked_lm_positions", H5T_STD_I32LE, H5T_NATIVE_INT32, 2, rows, P, pos);
    write_ds(f, "masked_lm_ids", H5T_STD_I32LE, H5T_NATIVE_INT32, 2, rows, P, lab);
    write_ds(f, "next_sentence_labels", H5T_STD_I8LE, H5T_NATIVE_INT8, 1, rows, 0, nsp);
    H5Fclose(f);
    xfree(ids);
    xfree(pos);
    xfree(lab);
    xfree(mask);
    xfree(seg);
    xfree(nsp);
}
