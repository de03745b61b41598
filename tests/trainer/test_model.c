/* test_model.c - the model: HF parameter counts, config and weight-loading
 * errors, the three HF reference cases on both matmul backends, a whole-model
 * finite-difference check with dropout on, and a safetensors round trip. */
#include "testutil.h"
#include "ops_setup.h"

#include "bert.h"
#include "fileio.h"
#include "json_util.h"
#include "mem.h"
#include "ops.h"
#include "refcase.h"
#include "safetensors.h"

static size_t base_count(const char *config)
{
    char path[512], err[BT_ERR_LEN];
    tu_src_path(path, sizeof path, config);
    struct bert_config c;
    assert_int_equal(bert_config_load(&c, path, err), BT_OK);
    struct bert_model m;
    bert_init_table(&m, &c);
    size_t n = bert_base_param_count(&m);
    bert_free(&m);
    return n;
}

static void test_param_counts(void **state)
{
    (void)state;
    assert_int_equal(base_count("configs/bert-base-uncased.json"), 109482240);
    assert_int_equal(base_count("configs/bert-large-uncased.json"), 335141888);
    assert_int_equal(base_count("configs/roberta-base.json"), 124645632);
    assert_int_equal(base_count("configs/albert-base-v2.json"), 11683584);
}

/* Writes text to a temporary config and loads it; returns the status. */
static int load_text(const char *text, char *err)
{
    char dir[512], path[600];
    tu_tmpdir(dir, sizeof dir, "cfg");
    snprintf(path, sizeof path, "%s/config.json", dir);
    assert_int_equal(file_write_atomic(path, text, strlen(text), err), BT_OK);
    struct bert_config c;
    return bert_config_load(&c, path, err);
}

#define BASE_KEYS                                                                                  \
    "\"model_type\": \"bert\", \"vocab_size\": 100, \"num_hidden_layers\": 2, "                    \
    "\"intermediate_size\": 64, \"max_position_embeddings\": 32, \"type_vocab_size\": 2"

static void test_config_errors(void **state)
{
    (void)state;
    char err[BT_ERR_LEN];
    assert_int_equal(load_text("{" BASE_KEYS ", \"hidden_size\": 32, \"num_attention_heads\": 4, "
                               "\"hidden_act\": \"gelu\", \"architectures\": [\"BertForMaskedLM\"],"
                               " \"transformers_version\": \"4.6.0\", \"use_cache\": true}",
                               err),
                     BT_OK);
    assert_int_equal(load_text("{" BASE_KEYS ", \"hidden_size\": 100, \"num_attention_heads\": 3, "
                               "\"hidden_act\": \"gelu\"}",
                               err),
                     BT_EUSAGE);
    assert_non_null(strstr(err, "hidden_size 100 is not divisible by num_attention_heads 3"));
    assert_non_null(strstr(err, "config.json"));
    assert_int_equal(load_text("{" BASE_KEYS ", \"hidden_size\": 32, \"num_attention_heads\": 4, "
                               "\"hidden_act\": \"swish\"}",
                               err),
                     BT_EUSAGE);
    assert_non_null(strstr(err, "hidden_act 'swish'"));
    assert_int_equal(load_text("{" BASE_KEYS ", \"num_attention_heads\": 4, "
                               "\"hidden_act\": \"gelu\"}",
                               err),
                     BT_EUSAGE);
    assert_non_null(strstr(err, "missing required key 'hidden_size'"));
    assert_int_equal(load_text("{" BASE_KEYS ", \"hidden_size\": \"32\", \"num_attention_heads\": "
                               "4, \"hidden_act\": \"gelu\"}",
                               err),
                     BT_EUSAGE);
    assert_non_null(strstr(err, "'hidden_size' must be an integer, got string"));
    assert_int_equal(load_text("{" BASE_KEYS ", \"hidden_size\": 32, \"num_attention_heads\": 4, "
                               "\"hidden_act\": \"gelu\", \"model_type\": \"gpt2\"}",
                               err),
                     BT_EUSAGE);
    assert_int_equal(load_text("{\"model_type\": \"bert\",}", err), BT_EUSAGE);
    assert_non_null(strstr(err, "config.json:1:"));
}

static void write_tiny_config(char *dir_out, size_t n)
{
    char path[600], err[BT_ERR_LEN];
    tu_tmpdir(dir_out, n, "model");
    snprintf(path, sizeof path, "%s/config.json", dir_out);
    const char *text = "{" BASE_KEYS ", \"hidden_size\": 16, \"num_attention_heads\": 2, "
                       "\"hidden_act\": \"gelu\", \"hidden_dropout_prob\": 0.2, "
                       "\"attention_probs_dropout_prob\": 0.2}";
    assert_int_equal(file_write_atomic(path, text, strlen(text), err), BT_OK);
}

static void test_weight_errors(void **state)
{
    (void)state;
    char dir[512], path[700], err[BT_ERR_LEN];
    write_tiny_config(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/config.json", dir);
    struct bert_config c;
    assert_int_equal(bert_config_load(&c, path, err), BT_OK);
    struct bert_model m, m2;
    bert_init(&m, &c);
    bert_init(&m2, &c);
    bert_init_weights(&m, 3);
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    assert_int_equal(bert_save_safetensors(&m, m.params, NULL, 0, path, err), BT_OK);
    /* Round trip: identical tensors. */
    assert_int_equal(bert_load_safetensors(&m2, path, err), BT_OK);
    assert_memory_equal(m.params, m2.params, m.n_params * sizeof(float));
    /* Truncated file. */
    char *buf;
    size_t len;
    assert_int_equal(file_read_all(path, &buf, &len, err), BT_OK);
    assert_int_equal(file_write_atomic(path, buf, len - 100, err), BT_OK);
    assert_int_equal(bert_load_safetensors(&m2, path, err), BT_EFORMAT);
    assert_non_null(strstr(err, "model.safetensors"));
    assert_non_null(strstr(err, "truncated"));
    xfree(buf);
    /* Wrong shape and missing tensor. */
    float w[32 * 17];
    struct st_out bad[1] = {{"bert.embeddings.word_embeddings.weight", 2, {17, 16}, w}};
    tu_fill_uniform(w, 17 * 16, -1, 1, 1);
    assert_int_equal(st_write_f32(path, bad, 1, err), BT_OK);
    assert_int_equal(bert_load_safetensors(&m2, path, err), BT_EFORMAT);
    assert_non_null(strstr(err, "'bert.embeddings.word_embeddings.weight' has shape [17, 16], "
                                "expected [100, 16]"));
    struct st_out one[1] = {{"bert.embeddings.word_embeddings.weight", 2, {100, 16}, m.p.wte}};
    assert_int_equal(st_write_f32(path, one, 1, err), BT_OK);
    assert_int_equal(bert_load_safetensors(&m2, path, err), BT_EFORMAT);
    assert_non_null(strstr(err, "missing tensor 'bert.embeddings.position_embeddings.weight'"));
    bert_free(&m);
    bert_free(&m2);
}

static void test_reference_cases(void **state)
{
    (void)state;
    const char *cases[3] = {"bert-tiny", "roberta-tiny", "albert-tiny"};
    for (int b = 0; b < 2; b++) {
        ops_set_backend(b ? OPS_BACKEND_REF : OPS_BACKEND_DNNL);
        for (int i = 0; i < 3; i++) {
            char dir[512], err[BT_ERR_LEN];
            snprintf(dir, sizeof dir, "%s/tests/reference/%s", BT_SOURCE_DIR, cases[i]);
            struct refcase_report rep;
            assert_int_equal(refcase_run(dir, &rep, err), BT_OK);
            for (int k = 0; k < rep.n; k++) {
                /* 1e-4 for everything; 1e-5 for all but the key-bias gradients, which
                 * are rounding noise around an exact zero (see refcase.c). */
                double tol = strstr(rep.items[k].name, "key.bias") ? 1e-4 : 1e-5;
                if (!(rep.items[k].err <= tol))
                    fail_msg("%s %s: %.3g > %.0g", cases[i], rep.items[k].name, rep.items[k].err,
                             tol);
            }
            assert_true(rep.n > 40);
            refcase_report_free(&rep);
        }
    }
    ops_set_backend(OPS_BACKEND_DNNL);
}

/* Whole-model finite differences with dropout on (the masks are a function of
 * the keys, so the loss is a deterministic function of the parameters). */
struct fd_ctx {
    struct bert_model *m;
    struct bert_acts *a;
    struct batch *b;
    struct bert_step st;
};

static double fd_loss(void *p)
{
    struct fd_ctx *c = p;
    struct bert_result r = {0};
    struct bert_step st = c->st;
    st.train = 1;
    bert_forward(c->m, c->a, c->b, &st, &r);
    return r.mlm_loss_sum * st.mlm_scale + r.nsp_loss_sum * st.nsp_scale;
}

static void test_model_gradcheck(void **state)
{
    (void)state;
    char dir[512], path[700], err[BT_ERR_LEN];
    write_tiny_config(dir, sizeof dir);
    snprintf(path, sizeof path, "%s/config.json", dir);
    struct bert_config c;
    assert_int_equal(bert_config_load(&c, path, err), BT_OK);
    struct bert_model m;
    bert_init(&m, &c);
    bert_init_weights(&m, 5);
    for (size_t i = 0; i < m.n_params; i++) /* larger weights: stronger gradients */
        m.params[i] *= 10.0f;
    enum { B = 2, T = 7 };
    struct batch b;
    batch_alloc(&b, B, T, T);
    b.rows = B;
    for (int i = 0; i < B * T; i++) {
        b.input_ids[i] = (i * 37 + 5) % 100;
        b.token_type_ids[i] = i % T >= 4;
        b.attention_mask[i] = !(i / T == 1 && i % T >= 5);
    }
    b.n_pred = 4;
    int32_t pos[4] = {1, 3, 8, 10}, lab[4] = {7, 99, 0, 42};
    memcpy(b.pred_pos, pos, sizeof pos);
    memcpy(b.pred_label, lab, sizeof lab);
    b.nsp_labels[0] = 1, b.nsp_labels[1] = 0;
    b.sample_index[0] = 100, b.sample_index[1] = 101;
    struct fd_ctx ctx = {&m, bert_acts_alloc(&m, B, T, T), &b,
                         {.seed = 9, .step = 2, .train = 1, .mlm_scale = 0.25f, .nsp_scale = 0.5f}};
    struct bert_result r = {0};
    bert_forward(&m, ctx.a, &b, &ctx.st, &r);
    bert_backward(&m, ctx.a, &b, &ctx.st, NULL, NULL);
    float *grads = xmalloc(m.n_params * sizeof(float));
    memcpy(grads, m.grads, m.n_params * sizeof(float));
    for (int i = 0; i < m.n_tensors; i++) {
        const struct tensor_desc *t = &m.tensors[i];
        double e = tu_gradcheck(fd_loss, &ctx, m.params + t->offset, grads + t->offset, t->numel,
                                1e-3f, 8);
        if (!(e < 2e-2))
            fail_msg("finite differences of %s: error %.3g", t->name, e);
    }
    xfree(grads);
    bert_acts_free(ctx.a);
    batch_free(&b);
    bert_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_param_counts),    cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_weight_errors),   cmocka_unit_test(test_reference_cases),
        cmocka_unit_test(test_model_gradcheck),
    };
    return cmocka_run_group_tests_name("model", tests, ops_setup, ops_teardown);
}
