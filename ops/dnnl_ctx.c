/* dnnl_ctx.c - the only file that includes dnnl.h.
 * One CPU engine and one stream per process. Each distinct matmul shape (batch,
 * transposes, sizes, leading dimensions, strides, bias, accumulate) gets one
 * primitive, created on first use and kept in a small LRU table; a call rebinds
 * the caller's pointers with dnnl_memory_set_data_handle and executes.
 * Accumulation (beta = 1) uses the sum post-op. oneDNN 2.x API (matmul_desc_init);
 * an upgrade to 3.x touches only this file. */
#include "dnnl_ctx.h"
#include "check.h"

#include <dnnl.h>
#include <dnnl_debug.h>
#include <stdio.h>
#include <string.h>

#define DNNL_CHECK(expr)                                                                           \
    do {                                                                                           \
        dnnl_status_t st_ = (expr);                                                                \
        BT_CHECK(st_ == dnnl_success, "oneDNN call %s failed: %s", #expr, dnnl_status2str(st_));   \
    } while (0)

#define CACHE_SIZE 256

struct gemm_key {
    int B1, B2, transA, transB, M, N, K, lda, ldb, ldc, beta, has_bias;
    size_t sA1, sA2, sB1, sB2, sC1, sC2;
};

struct gemm_entry {
    struct gemm_key key;
    int used;
    unsigned long tick;
    dnnl_primitive_t prim;
    dnnl_memory_t a, b, c, bias;
};

static dnnl_engine_t g_engine;
static dnnl_stream_t g_stream;
static struct gemm_entry g_cache[CACHE_SIZE];
static unsigned long g_tick;
static long g_hits, g_misses;
static char g_version[64];

int dnnl_ctx_init(void)
{
    if (g_engine)
        return 1;
    DNNL_CHECK(dnnl_engine_create(&g_engine, dnnl_cpu, 0));
    DNNL_CHECK(dnnl_stream_create(&g_stream, g_engine, dnnl_stream_default_flags));
    const dnnl_version_t *v = dnnl_version();
    snprintf(g_version, sizeof g_version, "oneDNN %d.%d.%d", v->major, v->minor, v->patch);
    return 1;
}

const char *dnnl_ctx_version(void)
{
    return g_version[0] ? g_version : "oneDNN";
}

static void entry_free(struct gemm_entry *e)
{
    if (!e->used)
        return;
    dnnl_primitive_destroy(e->prim);
    dnnl_memory_destroy(e->a);
    dnnl_memory_destroy(e->b);
    dnnl_memory_destroy(e->c);
    if (e->bias)
        dnnl_memory_destroy(e->bias);
    memset(e, 0, sizeof *e);
}

void dnnl_ctx_shutdown(void)
{
    for (int i = 0; i < CACHE_SIZE; i++)
        entry_free(&g_cache[i]);
    if (g_stream)
        dnnl_stream_destroy(g_stream);
    if (g_engine)
        dnnl_engine_destroy(g_engine);
    g_stream = NULL;
    g_engine = NULL;
}

/* Memory descriptor of a [B1 x [B2 x]] rows x cols matrix stored with row stride
 * ld (viewed transposed when trans: stored cols x rows); batch dimensions of
 * size 1 are left out. */
static int mat_md(dnnl_memory_desc_t *md, const struct gemm_key *k, int rows, int cols, int trans,
                  int ld, size_t s1, size_t s2)
{
    dnnl_dims_t dims, strides;
    int nd = 0;
    if (k->B1 > 1) {
        dims[nd] = k->B1;
        strides[nd++] = (dnnl_dim_t)s1;
    }
    if (k->B2 > 1) {
        dims[nd] = k->B2;
        strides[nd++] = (dnnl_dim_t)s2;
    }
    dims[nd] = rows;
    strides[nd++] = trans ? 1 : ld;
    dims[nd] = cols;
    strides[nd++] = trans ? ld : 1;
    DNNL_CHECK(dnnl_memory_desc_init_by_strides(md, nd, dims, dnnl_f32, strides));
    return nd;
}

static void entry_create(struct gemm_entry *e, const struct gemm_key *k)
{
    dnnl_memory_desc_t a_md, b_md, c_md, bias_md;
    int nd = mat_md(&a_md, k, k->M, k->K, k->transA, k->lda, k->sA1, k->sA2);
    mat_md(&b_md, k, k->K, k->N, k->transB, k->ldb, k->sB1, k->sB2);
    mat_md(&c_md, k, k->M, k->N, 0, k->ldc, k->sC1, k->sC2);
    if (k->has_bias) {
        /* (1, ..., 1, N), dense */
        dnnl_dims_t d, s;
        for (int i = 0; i < nd; i++) {
            d[i] = i == nd - 1 ? k->N : 1;
            s[i] = i == nd - 1 ? 1 : k->N;
        }
        DNNL_CHECK(dnnl_memory_desc_init_by_strides(&bias_md, nd, d, dnnl_f32, s));
    }
    dnnl_matmul_desc_t desc;
    DNNL_CHECK(dnnl_matmul_desc_init(&desc, &a_md, &b_md, k->has_bias ? &bias_md : NULL, &c_md));
    dnnl_primitive_attr_t attr;
    DNNL_CHECK(dnnl_primitive_attr_create(&attr));
    if (k->beta) {
        dnnl_post_ops_t po;
        DNNL_CHECK(dnnl_post_ops_create(&po));
        DNNL_CHECK(dnnl_post_ops_append_sum(po, 1.0f));
        DNNL_CHECK(dnnl_primitive_attr_set_post_ops(attr, po));
        dnnl_post_ops_destroy(po);
    }
    dnnl_primitive_desc_t pd;
    DNNL_CHECK(dnnl_primitive_desc_create(&pd, &desc, attr, g_engine, NULL));
    DNNL_CHECK(dnnl_primitive_create(&e->prim, pd));
    dnnl_primitive_desc_destroy(pd);
    dnnl_primitive_attr_destroy(attr);
    DNNL_CHECK(dnnl_memory_create(&e->a, &a_md, g_engine, DNNL_MEMORY_NONE));
    DNNL_CHECK(dnnl_memory_create(&e->b, &b_md, g_engine, DNNL_MEMORY_NONE));
    DNNL_CHECK(dnnl_memory_create(&e->c, &c_md, g_engine, DNNL_MEMORY_NONE));
    e->bias = NULL;
    if (k->has_bias)
        DNNL_CHECK(dnnl_memory_create(&e->bias, &bias_md, g_engine, DNNL_MEMORY_NONE));
    e->key = *k;
    e->used = 1;
}

static struct gemm_entry *lookup(const struct gemm_key *k)
{
    struct gemm_entry *victim = &g_cache[0];
    for (int i = 0; i < CACHE_SIZE; i++) {
        struct gemm_entry *e = &g_cache[i];
        if (e->used && !memcmp(&e->key, k, sizeof *k)) {
            g_hits++;
            e->tick = ++g_tick;
            return e;
        }
        if (!e->used || (victim->used && e->tick < victim->tick))
            victim = e;
    }
    g_misses++;
    entry_free(victim);
    entry_create(victim, k);
    victim->tick = ++g_tick;
    return victim;
}

void dnnl_ctx_gemm(int B1, int B2, int transA, int transB, int M, int N, int K, const float *A,
                   int lda, size_t sA1, size_t sA2, const float *B, int ldb, size_t sB1,
                   size_t sB2, const float *bias, int beta, float *C, int ldc, size_t sC1,
                   size_t sC2)
{
    BT_CHECK(g_engine, "ops_init() was not called");
    struct gemm_key k;
    memset(&k, 0, sizeof k); /* padding bytes take part in memcmp */
    k.B1 = B1;
    k.B2 = B2;
    k.transA = !!transA;
    k.transB = !!transB;
    k.M = M;
    k.N = N;
    k.K = K;
    k.lda = lda;
    k.ldb = ldb;
    k.ldc = ldc;
    k.beta = !!beta;
    k.has_bias = bias != NULL;
    if (B1 > 1) {
        k.sA1 = sA1;
        k.sB1 = sB1;
        k.sC1 = sC1;
    }
    if (B2 > 1) {
        k.sA2 = sA2;
        k.sB2 = sB2;
        k.sC2 = sC2;
    }
    struct gemm_entry *e = lookup(&k);
    /* oneDNN takes non-const handles; it does not write src, weights or bias. */
    DNNL_CHECK(dnnl_memory_set_data_handle(e->a, (void *)(size_t)A));
    DNNL_CHECK(dnnl_memory_set_data_handle(e->b, (void *)(size_t)B));
    DNNL_CHECK(dnnl_memory_set_data_handle(e->c, C));
    dnnl_exec_arg_t args[4] = {{DNNL_ARG_SRC, e->a}, {DNNL_ARG_WEIGHTS, e->b}, {DNNL_ARG_DST, e->c}};
    int nargs = 3;
    if (bias) {
        DNNL_CHECK(dnnl_memory_set_data_handle(e->bias, (void *)(size_t)bias));
        args[nargs++] = (dnnl_exec_arg_t){DNNL_ARG_BIAS, e->bias};
    }
    DNNL_CHECK(dnnl_primitive_execute(e->prim, g_stream, nargs, args));
    DNNL_CHECK(dnnl_stream_wait(g_stream));
}

void dnnl_ctx_stats(long *hits, long *misses, long *entries)
{
    long n = 0;
    for (int i = 0; i < CACHE_SIZE; i++)
        n += g_cache[i].used;
    *hits = g_hits;
    *misses = g_misses;
    *entries = n;
}
