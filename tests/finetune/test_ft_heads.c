/* test_ft_heads.c - the task heads of bert-finetune against finite differences.
 *  - each head alone (sequence classification on the pooled output, RoBERTa's
 *    dense sequence head, token classification, QA start/end), dropout on:
 *    gradients of every head tensor and of the head's input;
 *  - encoder + head as bert-finetune composes them (ft_compose), on a tiny
 *    BERT and RoBERTa: gradients of embeddings, a layer, the pooler and the head;
 *  - ignored labels contribute nothing; the loss scale is applied as given;
 *  - HF names and shapes of the head tensors. */
#include "testutil.h"
#include "ops_setup.h"

#include "bert.h"
#include "ft_compose.h"
#include "ft_heads.h"
#include "mem.h"
#include "ops.h"

#include <math.h>
#include <stdlib.h>

static struct bert_config tiny_config(enum model_type type)
{
    struct bert_config c;
    memset(&c, 0, sizeof c);
    c.type = type;
    c.vocab_size = 60;
    c.hidden_size = 16;
    c.num_layers = 1;
    c.num_heads = 2;
    c.intermediate_size = 32;
    c.max_position_embeddings = 24;
    c.type_vocab_size = type == MODEL_ROBERTA ? 1 : 2;
    c.embedding_size = 16;
    c.num_hidden_groups = 1;
    c.inner_group_num = 1;
    c.act = 0; /* gelu (erf) */
    c.hidden_dropout = c.attn_dropout = c.classifier_dropout = 0.2;
    c.layer_norm_eps = 1e-12;
    c.initializer_range = 0.02;
    c.pad_token_id = 0;
    return c;
}

/* tu_gradcheck's error, but relative to max(max |grad|, floor): tensors whose
 * true gradient is 0 (QA's bias: a constant shift of all start logits leaves the
 * softmax unchanged) are then judged against the other tensors' scale. */
static double fd_err(double (*loss)(void *), void *ctx, float *x, const float *grad, size_t n,
                     int checks, double floor)
{
    double gmax = 1e-12;
    for (size_t i = 0; i < n; i++)
        gmax = fabs(grad[i]) > gmax ? fabs(grad[i]) : gmax;
    double e = tu_gradcheck(loss, ctx, x, grad, n, 1e-3f, checks);
    return e * gmax / (gmax > floor ? gmax : floor);
}

static double max_abs(const float *x, size_t n)
{
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fabs(x[i]) > m ? fabs(x[i]) : m;
    return m;
}

/* ---- heads alone ---- */

struct head_ctx {
    struct ft_head *h;
    float *in;
    int32_t *labels;
    int64_t *sidx;
    float scale;
};

static double head_loss(void *p)
{
    struct head_ctx *c = p;
    struct ft_head_result r = {0};
    ft_head_forward(c->h, c->in, c->labels, c->sidx, 3, 1, c->scale, &r);
    return r.loss_sum * c->scale;
}

static void check_head(enum ft_task task, enum model_type type, int K)
{
    enum { B = 3, T = 5 };
    struct bert_config c = tiny_config(type);
    struct ft_head h;
    ft_head_init(&h, task, &c, K, B, T, 0.2f);
    ft_head_init_weights(&h, 0.5f, 7);
    for (size_t i = 0; i < h.n; i++) /* nonzero biases too */
        h.params[i] += 0.1f * (float)((int)(i % 7) - 3);
    size_t nin = (size_t)h.rows * (size_t)c.hidden_size;
    float *in = xmalloc(nin * sizeof(float)), *din = xmalloc(nin * sizeof(float));
    tu_fill_uniform(in, nin, -1.5f, 1.5f, 11);
    int32_t labels[B * T * 2];
    int nl = task == FT_TASK_SEQ_CLS ? B : task == FT_TASK_QA ? 2 * B : B * T;
    for (int i = 0; i < nl; i++)
        labels[i] = task == FT_TASK_QA ? (i * 3 + 1) % T : (i * 5 + 2) % K;
    if (task == FT_TASK_TOKEN_CLS)
        labels[1] = labels[7] = -100; /* non-first pieces */
    if (task == FT_TASK_SEQ_CLS)
        labels[2] = -1; /* a padding row */
    int64_t sidx[B] = {40, 41, 42};
    struct head_ctx ctx = {&h, in, labels, sidx, 0.37f};
    memset(h.grads, 0, h.n * sizeof(float));
    struct ft_head_result r = {0};
    ft_head_forward(&h, in, labels, sidx, 3, 1, ctx.scale, &r);
    ft_head_backward(&h, din);
    assert_true(isfinite(r.loss_sum) && r.loss_sum > 0);
    long want = task == FT_TASK_SEQ_CLS ? B - 1 : task == FT_TASK_QA ? B : B * T - 2;
    assert_int_equal(r.count, want);
    float *g = xmalloc(h.n * sizeof(float));
    memcpy(g, h.grads, h.n * sizeof(float));
    double floor = 0.05 * max_abs(g, h.n);
    for (int i = 0; i < h.n_tensors; i++) {
        double e = fd_err(head_loss, &ctx, h.params + h.t[i].offset, g + h.t[i].offset,
                          h.t[i].numel, 40, floor);
        if (!(e < 1e-2))
            fail_msg("%s %s: finite differences of %s: error %.3g", ft_task_name(task),
                     model_type_name(type), h.t[i].name, e);
    }
    double e = fd_err(head_loss, &ctx, in, din, nin, 60, floor);
    if (!(e < 1e-2))
        fail_msg("%s %s: finite differences of the input: error %.3g", ft_task_name(task),
                 model_type_name(type), e);
    xfree(g);
    xfree(in);
    xfree(din);
    ft_head_free(&h);
}

static void test_head_seq_pooled(void **state)
{
    (void)state;
    check_head(FT_TASK_SEQ_CLS, MODEL_BERT, 3);
    check_head(FT_TASK_SEQ_CLS, MODEL_ALBERT, 2);
}

static void test_head_seq_dense(void **state)
{
    (void)state;
    check_head(FT_TASK_SEQ_CLS, MODEL_ROBERTA, 3);
}

static void test_head_token(void **state)
{
    (void)state;
    check_head(FT_TASK_TOKEN_CLS, MODEL_BERT, 5);
}

static void test_head_qa(void **state)
{
    (void)state;
    check_head(FT_TASK_QA, MODEL_BERT, 2);
}

/* HF names, shapes and the head's input choice. */
static void test_head_names(void **state)
{
    (void)state;
    struct bert_config cb = tiny_config(MODEL_BERT), cr = tiny_config(MODEL_ROBERTA);
    struct ft_head h;
    ft_head_init(&h, FT_TASK_SEQ_CLS, &cb, 4, 2, 3, 0.1f);
    assert_int_equal(h.n_tensors, 2);
    assert_string_equal(h.t[0].name, "classifier.weight");
    assert_int_equal(h.t[0].shape[0], 4);
    assert_int_equal(h.t[0].shape[1], 16);
    assert_string_equal(h.t[1].name, "classifier.bias");
    assert_true(h.use_pooled);
    ft_head_free(&h);
    ft_head_init(&h, FT_TASK_SEQ_CLS, &cr, 4, 2, 3, 0.1f);
    assert_int_equal(h.n_tensors, 4);
    assert_string_equal(h.t[0].name, "classifier.dense.weight");
    assert_string_equal(h.t[2].name, "classifier.out_proj.weight");
    assert_false(h.use_pooled);
    ft_head_free(&h);
    ft_head_init(&h, FT_TASK_QA, &cb, 0, 2, 3, 0.1f);
    assert_string_equal(h.t[0].name, "qa_outputs.weight");
    assert_int_equal(h.t[0].shape[0], 2);
    assert_true(h.p_drop == 0.0f);
    ft_head_free(&h);
    assert_int_equal(ft_task_parse("token-cls"), FT_TASK_TOKEN_CLS);
    assert_int_equal(ft_task_parse("ner"), -1);
}

/* ---- encoder + head ---- */

struct model_ctx {
    struct bert_model *m;
    struct bert_acts *a;
    struct ft_head *h;
    struct batch *b;
    int32_t *labels;
    struct bert_step st;
    float scale;
};

static double model_loss(void *p)
{
    struct model_ctx *c = p;
    struct ft_head_result r = {0};
    ft_compose_forward(c->m, c->a, c->h, c->b, c->labels, &c->st, c->scale, &r);
    return r.loss_sum * c->scale;
}

static void check_composed(enum ft_task task, enum model_type type)
{
    enum { B = 2, T = 6 };
    struct bert_config c = tiny_config(type);
    struct bert_model m;
    bert_init(&m, &c);
    bert_init_weights(&m, 3);
    for (size_t i = 0; i < m.n_params; i++) /* larger weights: stronger gradients */
        m.params[i] *= 10.0f;
    struct ft_head h;
    int K = task == FT_TASK_QA ? 2 : 3;
    ft_head_init(&h, task, &c, K, B, T, 0.2f);
    ft_head_init_weights(&h, 0.5f, 4);
    struct batch b;
    batch_alloc(&b, B, T, 1);
    b.rows = B;
    for (int i = 0; i < B * T; i++) {
        b.input_ids[i] = 1 + (i * 13 + 3) % (c.vocab_size - 1);
        b.token_type_ids[i] = type == MODEL_ROBERTA ? 0 : i % T >= 3;
        b.attention_mask[i] = !(i / T == 1 && i % T >= 4);
        if (!b.attention_mask[i])
            b.input_ids[i] = 0;
    }
    b.nsp_labels[0] = b.nsp_labels[1] = -1;
    b.sample_index[0] = 7, b.sample_index[1] = 8;
    int32_t labels[B * T];
    for (int i = 0; i < B * T; i++)
        labels[i] = task == FT_TASK_QA ? (i % 2 ? 3 : 1) : (i * 2 + 1) % K;
    if (task == FT_TASK_TOKEN_CLS)
        labels[10] = labels[11] = -100; /* padding positions */
    struct model_ctx ctx = {&m, bert_acts_alloc(&m, B, T, 1), &h, &b, labels,
                            {.seed = 5, .step = 1, .train = 1}, 0.5f};
    struct ft_scratch s;
    ft_scratch_alloc(&s, &m, B, T);
    memset(m.grads, 0, m.n_params * sizeof(float));
    memset(h.grads, 0, h.n * sizeof(float));
    struct ft_head_result r = {0};
    ft_compose_forward(&m, ctx.a, &h, &b, labels, &ctx.st, ctx.scale, &r);
    ft_compose_backward(&m, ctx.a, &h, &b, &ctx.st, &s, NULL, NULL);
    float *g = xmalloc(m.n_params * sizeof(float)), *gh = xmalloc(h.n * sizeof(float));
    memcpy(g, m.grads, m.n_params * sizeof(float));
    memcpy(gh, h.grads, h.n * sizeof(float));
    int checked = 0;
    double floor = 0.05 * max_abs(g, m.n_params);
    for (int i = 0; i < m.n_tensors; i++) {
        const struct tensor_desc *t = &m.tensors[i];
        int pooler = strstr(t->name, "pooler") != NULL;
        if (t->segment > m.U && !pooler)
            continue; /* pre-training heads: unused here, gradient 0 */
        if (pooler && !h.use_pooled)
            continue;
        double e = fd_err(model_loss, &ctx, m.params + t->offset, g + t->offset, t->numel, 16,
                          floor);
        if (!(e < 2e-2))
            fail_msg("%s %s: finite differences of %s: error %.3g", ft_task_name(task),
                     model_type_name(type), t->name, e);
        checked++;
    }
    for (int i = 0; i < h.n_tensors; i++) {
        double e = fd_err(model_loss, &ctx, h.params + h.t[i].offset, gh + h.t[i].offset,
                          h.t[i].numel, 16, floor);
        if (!(e < 2e-2))
            fail_msg("%s %s: finite differences of %s: error %.3g", ft_task_name(task),
                     model_type_name(type), h.t[i].name, e);
    }
    assert_true(checked >= 14);
    /* The MLM / NSP tensors got no gradient. */
    for (int i = 0; i < m.n_tensors; i++)
        if (m.tensors[i].segment > m.U && !strstr(m.tensors[i].name, "pooler"))
            for (size_t k = 0; k < m.tensors[i].numel; k++)
                assert_true(g[m.tensors[i].offset + k] == 0.0f);
    xfree(g);
    xfree(gh);
    ft_scratch_free(&s);
    bert_acts_free(ctx.a);
    batch_free(&b);
    ft_head_free(&h);
    bert_free(&m);
}

static void test_composed_seq(void **state)
{
    (void)state;
    check_composed(FT_TASK_SEQ_CLS, MODEL_BERT);
    check_composed(FT_TASK_SEQ_CLS, MODEL_ROBERTA);
}

static void test_composed_token_qa(void **state)
{
    (void)state;
    check_composed(FT_TASK_TOKEN_CLS, MODEL_BERT);
    check_composed(FT_TASK_QA, MODEL_ALBERT);
}

/* Padding rows (all labels ignored) change neither the loss nor any gradient. */
static void test_padding_rows_inert(void **state)
{
    (void)state;
    enum { B = 2, T = 4 };
    struct bert_config c = tiny_config(MODEL_BERT);
    struct ft_head h;
    ft_head_init(&h, FT_TASK_TOKEN_CLS, &c, 3, B, T, 0.2f);
    ft_head_init_weights(&h, 0.5f, 1);
    size_t nin = (size_t)B * T * 16;
    float *in = xmalloc(nin * sizeof(float)), *din = xmalloc(nin * sizeof(float));
    tu_fill_uniform(in, nin, -1, 1, 2);
    int32_t lab[B * T] = {0, 1, 2, -100, -100, -100, -100, -100};
    int64_t sidx[B] = {1, -1};
    struct ft_head_result r1 = {0}, r2 = {0};
    memset(h.grads, 0, h.n * sizeof(float));
    ft_head_forward(&h, in, lab, sidx, 0, 1, 1.0f, &r1);
    ft_head_backward(&h, din);
    float *g1 = xmalloc(h.n * sizeof(float));
    memcpy(g1, h.grads, h.n * sizeof(float));
    for (size_t i = nin / 2; i < nin; i++) /* change the padding row's input */
        in[i] = 3.0f;
    memset(h.grads, 0, h.n * sizeof(float));
    ft_head_forward(&h, in, lab, sidx, 0, 1, 1.0f, &r2);
    ft_head_backward(&h, din);
    assert_true(r1.loss_sum == r2.loss_sum);
    assert_int_equal(r1.count, 3);
    for (size_t i = 0; i < h.n; i++)
        assert_true(g1[i] == h.grads[i]);
    for (size_t i = nin / 2; i < nin; i++)
        assert_true(din[i] == 0.0f);
    xfree(g1);
    xfree(in);
    xfree(din);
    ft_head_free(&h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_head_seq_pooled),   cmocka_unit_test(test_head_seq_dense),
        cmocka_unit_test(test_head_token),        cmocka_unit_test(test_head_qa),
        cmocka_unit_test(test_head_names),        cmocka_unit_test(test_composed_seq),
        cmocka_unit_test(test_composed_token_qa), cmocka_unit_test(test_padding_rows_inert),
    };
    return cmocka_run_group_tests(tests, ops_setup, ops_teardown);
}
