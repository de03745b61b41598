/* test_ops.c - every op: finite-difference gradient checks (quotients in double)
 * and the optimised kernel against its naive reference twin, on small shapes
 * with odd sizes, padded keys and dropout. */
#include "testutil.h"
#include "ops_setup.h"

#include "activation.h"
#include "attention.h"
#include "dropout.h"
#include "embedding.h"
#include "fastmath.h"
#include "gemm.h"
#include "layernorm.h"
#include "mem.h"
#include "ops.h"
#include "rows.h"
#include "xent.h"

#include <math.h>

#define FD_TOL 2e-3 /* finite differences of float functions */
#define TWIN_TOL 2e-5

static double dot_d(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)a[i] * b[i];
    return s;
}

/* ---- layernorm ---- */
struct ln_ctx {
    int N, C;
    float *inp, *w, *b, *out, *mean, *rstd, *R;
};

static double ln_loss(void *p)
{
    struct ln_ctx *c = p;
    layernorm_forward(c->out, c->mean, c->rstd, c->inp, c->w, c->b, c->N, c->C, 1e-5f);
    return dot_d(c->out, c->R, (size_t)c->N * c->C);
}

static void test_layernorm(void **state)
{
    (void)state;
    struct ln_ctx c = {.N = 7, .C = 37};
    size_t n = (size_t)c.N * c.C;
    c.inp = xmalloc(4 * n), c.out = xmalloc(4 * n), c.R = xmalloc(4 * n);
    c.w = xmalloc(4 * c.C), c.b = xmalloc(4 * c.C);
    c.mean = xmalloc(4 * c.N), c.rstd = xmalloc(4 * c.N);
    tu_fill_uniform(c.inp, n, -2, 2, 1);
    tu_fill_uniform(c.R, n, -1, 1, 2);
    tu_fill_uniform(c.w, c.C, 0.5f, 1.5f, 3);
    tu_fill_uniform(c.b, c.C, -0.5f, 0.5f, 4);
    float *dinp = xcalloc(n, 4), *dw = xcalloc(c.C, 4), *db = xcalloc(c.C, 4);
    float *dinp2 = xcalloc(n, 4), *dw2 = xcalloc(c.C, 4), *db2 = xcalloc(c.C, 4);
    float *out2 = xmalloc(4 * n), *m2 = xmalloc(4 * c.N), *r2 = xmalloc(4 * c.N);
    ln_loss(&c);
    layernorm_backward(dinp, 0, dw, db, c.R, c.inp, c.w, c.mean, c.rstd, c.N, c.C);
    assert_true(tu_gradcheck(ln_loss, &c, c.inp, dinp, n, 1e-3f, 200) < FD_TOL);
    assert_true(tu_gradcheck(ln_loss, &c, c.w, dw, c.C, 1e-3f, 200) < FD_TOL);
    assert_true(tu_gradcheck(ln_loss, &c, c.b, db, c.C, 1e-3f, 200) < FD_TOL);
    /* twins */
    ln_loss(&c);
    layernorm_forward_ref(out2, m2, r2, c.inp, c.w, c.b, c.N, c.C, 1e-5f);
    tu_assert_close("layernorm fwd", c.out, out2, n, TWIN_TOL);
    layernorm_backward_ref(dinp2, 0, dw2, db2, c.R, c.inp, c.w, c.mean, c.rstd, c.N, c.C);
    tu_assert_close("layernorm dinp", dinp, dinp2, n, TWIN_TOL);
    tu_assert_close("layernorm dw", dw, dw2, c.C, TWIN_TOL);
    tu_assert_close("layernorm db", db, db2, c.C, TWIN_TOL);
    /* accumulate mode adds to what is there */
    layernorm_backward(dinp, 1, NULL, NULL, c.R, c.inp, c.w, c.mean, c.rstd, c.N, c.C);
    for (size_t i = 0; i < n; i++)
        assert_float_equal(dinp[i], 2 * dinp2[i], 1e-5);
    xfree(c.inp), xfree(c.out), xfree(c.R), xfree(c.w), xfree(c.b), xfree(c.mean);
    xfree(c.rstd), xfree(dinp), xfree(dw), xfree(db), xfree(dinp2), xfree(dw2), xfree(db2);
    xfree(out2), xfree(m2), xfree(r2);
}

/* ---- activations ---- */
struct act_ctx {
    size_t n;
    enum act_kind k;
    float *inp, *out, *R;
};

static double act_loss(void *p)
{
    struct act_ctx *c = p;
    if (c->k == ACT_TANH)
        tanh_forward(c->out, c->inp, c->n);
    else
        act_forward(c->out, c->inp, c->n, c->k);
    return dot_d(c->out, c->R, c->n);
}

static void test_activations(void **state)
{
    (void)state;
    struct act_ctx c = {.n = 301};
    c.inp = xmalloc(4 * c.n), c.out = xmalloc(4 * c.n), c.R = xmalloc(4 * c.n);
    float *d = xmalloc(4 * c.n), *d2 = xmalloc(4 * c.n), *o2 = xmalloc(4 * c.n);
    tu_fill_uniform(c.inp, c.n, -4, 4, 5);
    tu_fill_uniform(c.R, c.n, -1, 1, 6);
    for (int k = 0; k < ACT_COUNT; k++) {
        c.k = (enum act_kind)k;
        act_loss(&c);
        if (c.k == ACT_TANH) {
            tanh_backward(d, c.R, c.out, c.n);
        } else {
            act_backward(d, c.R, c.inp, c.n, c.k);
            act_forward_ref(o2, c.inp, c.n, c.k);
            tu_assert_close(act_name(c.k), c.out, o2, c.n, 1e-6);
            act_backward_ref(d2, c.R, c.inp, c.n, c.k);
            tu_assert_close(act_name(c.k), d, d2, c.n, 1e-5);
        }
        if (c.k != ACT_RELU) /* relu has a kink; the twin covers it */
            assert_true(tu_gradcheck(act_loss, &c, c.inp, d, c.n, 1e-3f, 301) < FD_TOL);
    }
    /* HF names */
    assert_int_equal(act_parse("gelu"), ACT_GELU_ERF);
    assert_int_equal(act_parse("gelu_new"), ACT_GELU_TANH);
    assert_int_equal(act_parse("swish"), -1);
    /* gelu(1) = 0.8413447, gelu_new(1) = 0.8411920 */
    float one = 1.0f, g;
    act_forward(&g, &one, 1, ACT_GELU_ERF);
    assert_float_equal(g, 0.8413447f, 1e-6);
    act_forward(&g, &one, 1, ACT_GELU_TANH);
    assert_float_equal(g, 0.8411920f, 1e-6);
    xfree(c.inp), xfree(c.out), xfree(c.R), xfree(d), xfree(d2), xfree(o2);
}

/* ---- embedding ---- */
static void test_embedding(void **state)
{
    (void)state;
    enum { N = 13, E = 37, V = 11, P = 9, TT = 2 };
    int32_t ids[N], pos[N], types[N];
    for (int n = 0; n < N; n++)
        ids[n] = (n * 7) % V, pos[n] = n % P, types[n] = n % TT;
    float wte[V * E], wpe[P * E], wtt[TT * E], out[N * E], R[N * E];
    tu_fill_uniform(wte, V * E, -1, 1, 1);
    tu_fill_uniform(wpe, P * E, -1, 1, 2);
    tu_fill_uniform(wtt, TT * E, -1, 1, 3);
    tu_fill_uniform(R, N * E, -1, 1, 4);
    embedding_forward(out, ids, pos, types, wte, wpe, wtt, N, E);
    for (int n = 0; n < N; n++)
        for (int e = 0; e < E; e++)
            assert_float_equal(out[n * E + e],
                               wte[ids[n] * E + e] + wpe[pos[n] * E + e] + wtt[types[n] * E + e],
                               1e-6);
    float a1[V * E] = {0}, b1[P * E] = {0}, c1[TT * E] = {0};
    float a2[V * E] = {0}, b2[P * E] = {0}, c2[TT * E] = {0};
    embedding_backward(a1, b1, c1, R, ids, pos, types, N, E);
    embedding_backward_ref(a2, b2, c2, R, ids, pos, types, N, E);
    tu_assert_close("dwte", a1, a2, V * E, 1e-6);
    tu_assert_close("dwpe", b1, b2, P * E, 1e-6);
    tu_assert_close("dwtt", c1, c2, TT * E, 1e-6);
}

/* ---- attention ---- */
struct attn_ctx {
    int B, T, C, NH;
    float *qkv, *ctx, *att, *scratch, *R;
    int32_t *mask;
    struct dropout_cfg drop;
};

static double attn_loss(void *p)
{
    struct attn_ctx *c = p;
    attention_forward(c->ctx, c->att, c->scratch, c->qkv, c->mask, c->B, c->T, c->C, c->NH,
                      &c->drop, ATTN_SITE);
    return dot_d(c->ctx, c->R, (size_t)c->B * c->T * c->C);
}

static void attention_case(float p_drop, enum ops_backend backend)
{
    ops_set_backend(backend);
    uint64_t keys[3] = {11, 22, 33};
    struct attn_ctx c = {.B = 3, .T = 7, .C = 12, .NH = 3, .drop = {p_drop, 99, keys}};
    size_t N = (size_t)c.B * c.T, nTT = (size_t)c.B * c.NH * c.T * c.T;
    c.qkv = xmalloc(4 * N * 3 * c.C), c.ctx = xmalloc(4 * N * c.C), c.R = xmalloc(4 * N * c.C);
    c.att = xmalloc(4 * nTT);
    size_t ns = attention_fwd_scratch_floats(c.B, c.T, c.C, c.NH);
    size_t nb = attention_bwd_scratch_floats(c.B, c.T, c.C, c.NH);
    c.scratch = xmalloc(4 * (ns > nb ? ns : nb));
    c.mask = xmalloc(4 * N);
    for (int b = 0; b < c.B; b++) /* row b has b padded keys at the end */
        for (int t = 0; t < c.T; t++)
            c.mask[b * c.T + t] = t < c.T - 2 * b;
    tu_fill_uniform(c.qkv, N * 3 * c.C, -1.5f, 1.5f, 7);
    tu_fill_uniform(c.R, N * c.C, -1, 1, 8);
    float *dqkv = xmalloc(4 * N * 3 * c.C), *dqkv2 = xmalloc(4 * N * 3 * c.C);
    float *ctx2 = xmalloc(4 * N * c.C), *att2 = xmalloc(4 * nTT);
    attn_loss(&c);
    attention_backward(dqkv, c.scratch, c.R, c.qkv, c.att, c.B, c.T, c.C, c.NH, &c.drop,
                       ATTN_SITE);
    /* masked keys get exactly zero probability */
    for (int b = 0; b < c.B; b++)
        for (int t = 0; t < c.T * c.NH; t++)
            for (int j = c.T - 2 * b; j < c.T; j++)
                assert_true(c.att[((size_t)b * c.NH * c.T + t) * c.T + j] == 0.0f);
    assert_true(tu_gradcheck(attn_loss, &c, c.qkv, dqkv, N * 3 * c.C, 1e-3f, 500) < FD_TOL);
    attention_forward_ref(ctx2, att2, c.qkv, c.mask, c.B, c.T, c.C, c.NH, &c.drop, ATTN_SITE);
    attn_loss(&c);
    tu_assert_close("attention ctx", c.ctx, ctx2, N * c.C, TWIN_TOL);
    tu_assert_close("attention probs", c.att, att2, nTT, TWIN_TOL);
    attention_backward_ref(dqkv2, c.R, c.qkv, c.att, c.B, c.T, c.C, c.NH, &c.drop, ATTN_SITE);
    tu_assert_close("attention dqkv", dqkv, dqkv2, N * 3 * c.C, 1e-4);
    xfree(c.qkv), xfree(c.ctx), xfree(c.R), xfree(c.att);
    xfree(c.scratch), xfree(c.mask), xfree(dqkv), xfree(dqkv2), xfree(ctx2), xfree(att2);
    ops_set_backend(OPS_BACKEND_DNNL);
}

static void test_attention(void **state)
{
    (void)state;
    attention_case(0.0f, OPS_BACKEND_DNNL);
    attention_case(0.3f, OPS_BACKEND_DNNL);
    attention_case(0.3f, OPS_BACKEND_REF);
}

/* ---- dropout ---- */
static void test_dropout(void **state)
{
    (void)state;
    enum { R = 64, C = 257 };
    uint64_t keys[4] = {1, 2, 3, 4};
    struct dropout_cfg cfg = {0.25f, 5, keys};
    float *x = xmalloc(4 * R * C), *y = xmalloc(4 * R * C), *y2 = xmalloc(4 * R * C);
    tu_fill_uniform(x, R * C, 0.5f, 1.5f, 9);
    dropout_apply(y, x, R, C, R / 4, 77, &cfg);
    dropout_apply_ref(y2, x, R, C, R / 4, 77, &cfg);
    tu_assert_close("dropout twin", y, y2, R * C, 1e-6);
    long zeros = 0;
    for (int i = 0; i < R * C; i++) {
        if (y[i] == 0.0f)
            zeros++;
        else
            assert_float_equal(y[i], x[i] / 0.75f, 1e-6);
    }
    double rate = (double)zeros / (R * C); /* 16448 draws: sd 0.0034 */
    assert_true(rate > 0.235 && rate < 0.265);
    /* The mask depends on the keys and the site, and is regenerated identically. */
    dropout_apply(y2, x, R, C, R / 4, 77, &cfg);
    assert_memory_equal(y, y2, 4 * R * C);
    dropout_apply(y2, x, R, C, R / 4, 78, &cfg);
    assert_true(memcmp(y, y2, 4 * R * C) != 0);
    /* In place on a gradient applies the same mask. */
    for (int i = 0; i < R * C; i++)
        y2[i] = 1.0f;
    dropout_apply(y2, y2, R, C, R / 4, 77, &cfg);
    for (int i = 0; i < R * C; i++)
        assert_true((y2[i] == 0.0f) == (y[i] == 0.0f));
    xfree(x), xfree(y), xfree(y2);
}

/* ---- cross-entropy ---- */
struct xent_ctx {
    int M, V;
    float *logits;
    int32_t *labels;
};

static double xent_loss(void *p)
{
    struct xent_ctx *c = p;
    long n = 0, hit = 0;
    return xent_forward_backward(NULL, c->logits, c->labels, c->M, c->V, 0, &n, &hit);
}

static void test_xent(void **state)
{
    (void)state;
    struct xent_ctx c = {.M = 9, .V = 31};
    int32_t labels[9] = {3, -1, 0, 30, 7, -100, 12, 12, 5};
    c.labels = labels;
    c.logits = xmalloc(4 * c.M * c.V);
    float *d = xmalloc(4 * c.M * c.V), *d2 = xmalloc(4 * c.M * c.V);
    tu_fill_uniform(c.logits, (size_t)c.M * c.V, -3, 3, 10);
    long n1 = 0, h1 = 0, n2 = 0, h2 = 0;
    double l1 = xent_forward_backward(d, c.logits, labels, c.M, c.V, 1.0f, &n1, &h1);
    double l2 = xent_forward_backward_ref(d2, c.logits, labels, c.M, c.V, 1.0f, &n2, &h2);
    assert_int_equal(n1, 7);
    assert_int_equal(n2, 7);
    assert_int_equal(h1, h2);
    assert_float_equal(l1, l2, 1e-5 * fabs(l2));
    tu_assert_close("xent dlogits", d, d2, (size_t)c.M * c.V, 1e-5);
    assert_true(tu_gradcheck(xent_loss, &c, c.logits, d, (size_t)c.M * c.V, 1e-3f, 279) < FD_TOL);
    /* in place */
    xent_forward_backward(c.logits, c.logits, labels, c.M, c.V, 1.0f, &n1, &h1);
    tu_assert_close("xent in place", c.logits, d2, (size_t)c.M * c.V, 1e-5);
    xfree(c.logits), xfree(d), xfree(d2);
}

/* ---- vectorisable approximations against libm ---- */
static void test_fastmath(void **state)
{
    (void)state;
    double e_exp = 0, e_erf = 0, e_tanh = 0;
    for (int i = 0; i <= 200000; i++) {
        float x = -87.0f + 175.0f * (float)i / 200000.0f;
        double rel = fabs((double)fm_expf(x) - exp((double)x)) / exp((double)x);
        e_exp = rel > e_exp ? rel : e_exp;
        float z = -6.0f + 12.0f * (float)i / 200000.0f;
        double a = fabs((double)fm_erff(z) - erf((double)z));
        e_erf = a > e_erf ? a : e_erf;
        a = fabs((double)fm_tanhf(z) - tanh((double)z));
        e_tanh = a > e_tanh ? a : e_tanh;
    }
    assert_true(e_exp < 2e-7);
    assert_true(e_erf < 3e-7);
    assert_true(e_tanh < 2e-7);
    assert_true(fm_expf(-200.0f) < 1e-37f && fm_expf(-200.0f) >= 0.0f);
    assert_true(fm_erff(10.0f) == 1.0f && fm_erff(-10.0f) == -1.0f);
}

/* ---- rows ---- */
static void test_rows(void **state)
{
    (void)state;
    float inp[5 * 3], out[4 * 3], back[5 * 3] = {0};
    tu_fill_uniform(inp, 15, -1, 1, 11);
    int32_t idx[4] = {4, -1, 0, 2};
    gather_rows(out, inp, idx, 4, 3);
    for (int c = 0; c < 3; c++) {
        assert_true(out[c] == inp[12 + c]);
        assert_true(out[3 + c] == 0.0f);
        assert_true(out[6 + c] == inp[c]);
        assert_true(out[9 + c] == inp[6 + c]);
    }
    scatter_add_rows(back, out, idx, 4, 3);
    scatter_add_rows(back, out, idx, 4, 3);
    for (int c = 0; c < 3; c++) {
        assert_true(back[12 + c] == 2 * inp[12 + c]);
        assert_true(back[3 + c] == 0.0f);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layernorm), cmocka_unit_test(test_activations),
        cmocka_unit_test(test_embedding), cmocka_unit_test(test_attention),
        cmocka_unit_test(test_dropout),   cmocka_unit_test(test_xent),
        cmocka_unit_test(test_rows),      cmocka_unit_test(test_fastmath),
    };
    return cmocka_run_group_tests_name("ops", tests, ops_setup, ops_teardown);
}
