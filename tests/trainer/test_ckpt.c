/* test_ckpt.c - the checkpoint file format (round trips with and without byte
 * planes and threads, every kind of damage detected and named), the run
 * directory protocol (DONE markers, pruning, temporary leftovers), and the
 * model-level save / load / Hugging Face export round trip. */
#include "testutil.h"

#include "bert.h"
#include "checkpoint.h"
#include "ckpt_dir.h"
#include "ckpt_state.h"
#include "fileio.h"
#include "mem.h"
#include "ops.h"

#include <stdlib.h>

#define N_T 4
static const int64_t sizes[N_T] = {0, 7, 1000003, 300};

static void make_tensors(struct ckpt_tensor *t, float **bufs)
{
    for (int i = 0; i < N_T; i++) {
        memset(&t[i], 0, sizeof t[i]);
        snprintf(t[i].name, CKPT_NAME_LEN, "tensor.%d", i);
        t[i].ndim = i == 3 ? 2 : 1;
        t[i].shape[0] = i == 3 ? 20 : sizes[i];
        t[i].shape[1] = i == 3 ? 15 : 0;
        bufs[i] = xmalloc(sizeof(float) * (size_t)(sizes[i] + 1));
        tu_fill_uniform(bufs[i], (size_t)sizes[i], -0.1f, 0.1f, (uint64_t)i + 1);
        t[i].data = bufs[i];
    }
}

static void write_case(const char *path, struct ckpt_tensor *t, int planes, int threads)
{
    char err[BT_ERR_LEN];
    struct ckpt_write_opts o = {.threads = threads, .level = 1, .byte_planes = planes};
    if (ckpt_file_write(path, "{\"hello\": 1}", t, N_T, &o, err) != BT_OK)
        fail_msg("%s", err);
}

static void test_roundtrip(void **state)
{
    (void)state;
    char dir[512], path[600], err[BT_ERR_LEN];
    tu_tmpdir(dir, sizeof dir, "ckpt_rt");
    snprintf(path, sizeof path, "%s/a.ckpt", dir);
    struct ckpt_tensor t[N_T];
    float *bufs[N_T];
    make_tensors(t, bufs);
    for (int planes = 0; planes < 2; planes++)
        for (int threads = 0; threads <= 2; threads += 2) {
            write_case(path, t, planes, threads);
            struct ckpt_file *f;
            assert_int_equal(ckpt_file_open(&f, path, err), BT_OK);
            assert_string_equal(ckpt_file_meta(f), "{\"hello\": 1}");
            assert_int_equal(ckpt_file_count(f), N_T);
            for (int i = 0; i < N_T; i++) {
                int k = ckpt_file_find(f, t[i].name);
                assert_int_equal(k, i);
                const struct ckpt_entry *e = ckpt_file_entry(f, k);
                assert_int_equal(e->numel, (size_t)sizes[i]);
                assert_int_equal(e->byte_planes, planes);
                float *back = xmalloc(sizeof(float) * (size_t)(sizes[i] + 1));
                assert_int_equal(ckpt_file_read(f, k, back, err), BT_OK);
                assert_memory_equal(back, bufs[i], sizeof(float) * (size_t)sizes[i]);
                xfree(back);
            }
            assert_int_equal(ckpt_file_verify(f, err), BT_OK);
            ckpt_file_close(f);
        }
    for (int i = 0; i < N_T; i++)
        xfree(bufs[i]);
}

/* Applies fn to the file's bytes and returns ckpt_file_open + verify's status. */
static int damaged(const char *path, void (*fn)(char *buf, size_t *len), char *err)
{
    char *buf;
    size_t len;
    assert_int_equal(file_read_all(path, &buf, &len, err), BT_OK);
    char bad[700];
    snprintf(bad, sizeof bad, "%s.bad", path);
    fn(buf, &len);
    assert_int_equal(file_write_atomic(bad, buf, len, err), BT_OK);
    xfree(buf);
    struct ckpt_file *f;
    int rc = ckpt_file_open(&f, bad, err);
    if (rc == BT_OK) {
        rc = ckpt_file_verify(f, err);
        ckpt_file_close(f);
    }
    return rc;
}

static void flip_payload(char *b, size_t *len)
{
    b[*len / 2] ^= 0x10; /* inside the big tensor's payload */
}
static void flip_meta(char *b, size_t *len)
{
    (void)len;
    b[50] ^= 0x01; /* inside the metadata */
}
static void truncate_end(char *b, size_t *len)
{
    (void)b;
    *len -= 1000;
}
static void wrong_magic(char *b, size_t *len)
{
    (void)len;
    b[0] = 'X';
}
static void newer_version(char *b, size_t *len)
{
    (void)len;
    b[8] = 9;
}

static void test_damage(void **state)
{
    (void)state;
    char dir[512], path[600], err[BT_ERR_LEN];
    tu_tmpdir(dir, sizeof dir, "ckpt_dmg");
    snprintf(path, sizeof path, "%s/a.ckpt", dir);
    struct ckpt_tensor t[N_T];
    float *bufs[N_T];
    make_tensors(t, bufs);
    write_case(path, t, 1, 0);
    assert_int_equal(damaged(path, flip_payload, err), BT_EFORMAT);
    assert_non_null(strstr(err, "tensor.2"));
    assert_int_equal(damaged(path, flip_meta, err), BT_EFORMAT);
    assert_non_null(strstr(err, "checksum"));
    assert_int_equal(damaged(path, truncate_end, err), BT_EFORMAT);
    assert_non_null(strstr(err, "truncated"));
    assert_int_equal(damaged(path, wrong_magic, err), BT_EFORMAT);
    assert_non_null(strstr(err, "wrong magic"));
    assert_int_equal(damaged(path, newer_version, err), BT_EFORMAT);
    assert_non_null(strstr(err, "newer"));
    for (int i = 0; i < N_T; i++)
        xfree(bufs[i]);
}

static void commit_dummy(const char *run, long step)
{
    char tmp[600], file[700], err[BT_ERR_LEN];
    assert_int_equal(ckpt_dir_begin(run, step, tmp, sizeof tmp, err), BT_OK);
    snprintf(file, sizeof file, "%s/%s", tmp, CKPT_FILE_NAME);
    assert_int_equal(file_write_atomic(file, "x", 1, err), BT_OK);
    assert_int_equal(ckpt_dir_commit(run, step, tmp, err), BT_OK);
}

static void test_run_dir(void **state)
{
    (void)state;
    char run[512], err[BT_ERR_LEN], tmp[600], path[700];
    tu_tmpdir(run, sizeof run, "ckpt_dir");
    for (long s = 10; s <= 60; s += 10)
        commit_dummy(run, s);
    /* An interrupted writer leaves a temporary directory and a step without DONE. */
    assert_int_equal(ckpt_dir_begin(run, 70, tmp, sizeof tmp, err), BT_OK);
    ckpt_dir_step_path(path, sizeof path, run, 80, 0);
    assert_int_equal(file_mkdir_p(path, err), BT_OK);
    long *steps;
    int n;
    assert_int_equal(ckpt_dir_list(run, &steps, &n, err), BT_OK);
    assert_int_equal(n, 6);
    assert_int_equal(steps[5], 60);
    free(steps);
    /* Keep 2, permanent every 20: 20, 40 (permanent) + 50, 60 stay. */
    assert_int_equal(ckpt_dir_prune(run, 2, 20, err), BT_OK);
    assert_int_equal(ckpt_dir_list(run, &steps, &n, err), BT_OK);
    assert_int_equal(n, 4);
    assert_int_equal(steps[0], 20);
    assert_int_equal(steps[1], 40);
    assert_int_equal(steps[2], 50);
    assert_int_equal(steps[3], 60);
    free(steps);
    /* keep 0 still never removes the newest complete checkpoint. */
    assert_int_equal(ckpt_dir_prune(run, 0, 0, err), BT_OK);
    assert_int_equal(ckpt_dir_list(run, &steps, &n, err), BT_OK);
    assert_int_equal(n, 1);
    assert_int_equal(steps[0], 60);
    free(steps);
    assert_int_equal(ckpt_dir_clean_tmp(run, err), BT_OK);
    assert_false(file_exists(tmp));
    /* Resolution of run dir, step dir and file. */
    char file[700];
    assert_int_equal(ckpt_dir_resolve(run, file, sizeof file, err), BT_OK);
    assert_non_null(strstr(file, "step_00000060/model.ckpt"));
    ckpt_dir_step_path(path, sizeof path, run, 60, 0);
    assert_int_equal(ckpt_dir_resolve(path, file, sizeof file, err), BT_OK);
    assert_int_equal(ckpt_dir_resolve("/nonexistent/x", file, sizeof file, err), BT_EUSAGE);
}

static void test_model_export_roundtrip(void **state)
{
    (void)state;
    char dir[512], path[700], err[BT_ERR_LEN];
    tu_tmpdir(dir, sizeof dir, "ckpt_model");
    struct bert_config c = {.type = MODEL_ALBERT, .vocab_size = 40, .hidden_size = 8,
                            .num_layers = 2, .num_heads = 2, .intermediate_size = 16,
                            .max_position_embeddings = 12, .type_vocab_size = 2,
                            .embedding_size = 4, .num_hidden_groups = 1, .inner_group_num = 1,
                            .layer_norm_eps = 1e-12, .initializer_range = 0.02};
    struct bert_model m, back, hf;
    bert_init(&m, &c);
    bert_init_weights(&m, 3);
    float head[6] = {1, 2, 3, 4, 5, 6};
    struct ckpt_tensor extra = {"classifier.weight", 2, {3, 2}, head};
    snprintf(path, sizeof path, "%s/ft", dir);
    assert_int_equal(ckpt_save_model(path, &m, &extra, 1, "{\"task\": \"seq-cls\"}", err), BT_OK);
    assert_int_equal(ckpt_load_model(path, &back, err), BT_OK);
    assert_int_equal(back.n_params, m.n_params);
    assert_memory_equal(back.params, m.params, m.n_params * sizeof(float));
    /* HF export and re-import: identical tensors. */
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    assert_int_equal(bert_save_safetensors(&back, back.params, NULL, 0, path, err), BT_OK);
    bert_init(&hf, &c);
    assert_int_equal(bert_load_safetensors(&hf, path, err), BT_OK);
    assert_memory_equal(hf.params, m.params, m.n_params * sizeof(float));
    bert_free(&m);
    bert_free(&back);
    bert_free(&hf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip),
        cmocka_unit_test(test_damage),
        cmocka_unit_test(test_run_dir),
        cmocka_unit_test(test_model_export_roundtrip),
    };
    ops_init();
    int rc = cmocka_run_group_tests_name("checkpoint", tests, NULL, NULL);
    ops_shutdown();
    return rc;
}
