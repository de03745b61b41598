/* bert-bench - measures, on this machine:
 *  1. a GEMM ceiling: the best of large oneDNN matmuls (the hardware's practical
 *     fp32 peak for this library and thread count);
 *  2. each op at BERT-base shapes (4096 tokens, C=768, F=3072): GFLOP/s for
 *     matmul-based ops, GB/s for elementwise ones;
 *  3. full training steps (forward + backward, dropout on) of a model config at
 *     batch x seq: tokens/s, achieved GFLOP/s (flops.h) and the fraction of the
 *     ceiling.
 *   bert-bench [--config FILE] [--batch B] [--seq T] [--steps S] [--warmup W]
 *              [--max-pred P] [--skip-ops] [--json FILE]
 * Thread count: OMP_NUM_THREADS. No timing is asserted anywhere. */
#include "activation.h"
#include "attention.h"
#include "bert.h"
#include "flops.h"
#include "gemm.h"
#include "json_util.h"
#include "layernorm.h"
#include "log.h"
#include "mem.h"
#include "ops.h"
#include "rng.h"
#include "timer.h"
#include "xent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct opts {
    const char *config, *json;
    int batch, seq, steps, warmup, max_pred, skip_ops;
};

static void fill(float *x, size_t n, uint64_t seed)
{
    struct rng r;
    rng_init(&r, seed, 1);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(rng_next_double(&r) - 0.5);
}

/* Best time of `reps` runs of fn after one warm-up. */
#define BEST_OF(reps, best, body)                                                                  \
    do {                                                                                           \
        body;                                                                                      \
        best = 1e30;                                                                               \
        for (int r_ = 0; r_ < (reps); r_++) {                                                      \
            double t0_ = timer_now();                                                              \
            body;                                                                                  \
            double dt_ = timer_now() - t0_;                                                        \
            if (dt_ < best)                                                                        \
                best = dt_;                                                                        \
        }                                                                                          \
    } while (0)

static double gemm_ceiling(json_t *out, const char *key)
{
    static const int shapes[][3] = {{4096, 3072, 768}, {4096, 768, 3072}, {2048, 2048, 2048}};
    double best_rate = 0;
    json_t *arr = json_array();
    for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++) {
        int M = shapes[s][0], N = shapes[s][1], K = shapes[s][2];
        float *A = xaligned_alloc(sizeof(float) * (size_t)M * K);
        float *B = xaligned_alloc(sizeof(float) * (size_t)K * N);
        float *C = xaligned_alloc(sizeof(float) * (size_t)M * N);
        fill(A, (size_t)M * K, 1);
        fill(B, (size_t)K * N, 2);
        double t;
        BEST_OF(5, t, gemm(0, 1, M, N, K, A, K, B, K, NULL, 0, C, N));
        double rate = 2.0 * M * N * K / t / 1e9;
        printf("  gemm %5d x %5d x %5d            %8.1f GFLOP/s\n", M, N, K, rate);
        json_array_append_new(arr, json_pack("{s:i,s:i,s:i,s:f}", "M", M, "N", N, "K", K,
                                             "gflops", rate));
        if (rate > best_rate)
            best_rate = rate;
        xfree(A);
        xfree(B);
        xfree(C);
    }
    json_object_set_new(out, key, arr);
    return best_rate;
}

static void report(json_t *arr, const char *name, double seconds, double flops, double bytes)
{
    if (flops > 0)
        printf("  %-34s %8.2f ms %8.1f GFLOP/s\n", name, seconds * 1e3, flops / seconds / 1e9);
    else
        printf("  %-34s %8.2f ms %8.1f GB/s\n", name, seconds * 1e3, bytes / seconds / 1e9);
    json_array_append_new(arr, json_pack("{s:s,s:f,s:f,s:f}", "op", name, "ms", seconds * 1e3,
                                         "gflops", flops > 0 ? flops / seconds / 1e9 : 0.0,
                                         "gbps", bytes > 0 ? bytes / seconds / 1e9 : 0.0));
}

static void bench_ops(json_t *out)
{
    enum { B = 32, T = 128, C = 768, F = 3072, NH = 12, V = 30522, M = 640 };
    size_t N = (size_t)B * T;
    json_t *arr = json_array();
    float *x = xaligned_alloc(4 * N * F), *y = xaligned_alloc(4 * N * F);
    float *w = xaligned_alloc(4 * (size_t)F * C), *dw = xaligned_alloc(4 * (size_t)F * C);
    float *b = xaligned_alloc(4 * (size_t)F), *qkv = xaligned_alloc(4 * N * 3 * C);
    float *mean = xaligned_alloc(4 * N), *rstd = xaligned_alloc(4 * N);
    fill(x, N * F, 3);
    fill(w, (size_t)F * C, 4);
    fill(qkv, N * 3 * C, 5);
    double t;
    static const struct { const char *name; int in, out; } lin[] = {
        {"linear qkv (4096x768 -> 2304)", C, 3 * C},
        {"linear attn-out (768 -> 768)", C, C},
        {"linear ffn-in (768 -> 3072)", C, F},
        {"linear ffn-out (3072 -> 768)", F, C}};
    for (size_t i = 0; i < 4; i++) {
        int ic = lin[i].in, oc = lin[i].out;
        double fl = 2.0 * N * ic * oc;
        BEST_OF(3, t, linear_forward(y, x, w, b, (int)N, ic, oc));
        report(arr, lin[i].name, t, fl, 0);
        char name[96];
        snprintf(name, sizeof name, "  backward (dinp + dW + db)");
        BEST_OF(3, t, linear_backward(x, 0, dw, b, y, x, w, (int)N, ic, oc));
        report(arr, name, t, 2 * fl, 0);
    }
    float *att = xaligned_alloc(4 * (size_t)B * NH * T * T);
    float *ctx = xaligned_alloc(4 * N * C), *dqkv = xaligned_alloc(4 * N * 3 * C);
    size_t ns = attention_bwd_scratch_floats(B, T, C, NH);
    float *scratch = xaligned_alloc(4 * ns);
    int32_t *mask = xmalloc(4 * N);
    for (size_t i = 0; i < N; i++)
        mask[i] = 1;
    double afl = 2.0 * 2.0 * N * T * C;
    BEST_OF(3, t, attention_forward(ctx, att, scratch, qkv, mask, B, T, C, NH, NULL, 0));
    report(arr, "attention forward (B32 T128 12 heads)", t, afl, 0);
    BEST_OF(3, t, attention_backward(dqkv, scratch, ctx, qkv, att, B, T, C, NH, NULL, 0));
    report(arr, "attention backward", t, 2 * afl, 0);
    uint64_t keys[B];
    for (int i = 0; i < B; i++)
        keys[i] = (uint64_t)i;
    struct dropout_cfg drop = {0.1f, 1, keys};
    BEST_OF(3, t, attention_forward(ctx, att, scratch, qkv, mask, B, T, C, NH, &drop, 0));
    report(arr, "attention forward, dropout 0.1", t, afl, 0);
    BEST_OF(3, t, layernorm_forward(y, mean, rstd, x, w, b, (int)N, C, 1e-12f));
    report(arr, "layernorm forward (4096 x 768)", t, 0, 2.0 * 4 * N * C);
    BEST_OF(3, t, layernorm_backward(y, 0, dw, b, x, x, w, mean, rstd, (int)N, C));
    report(arr, "layernorm backward", t, 0, 3.0 * 4 * N * C);
    BEST_OF(3, t, act_forward(y, x, N * F, ACT_GELU_ERF));
    report(arr, "gelu (erf) forward (4096 x 3072)", t, 0, 2.0 * 4 * N * F);
    BEST_OF(3, t, act_backward(y, x, x, N * F, ACT_GELU_ERF));
    report(arr, "gelu (erf) backward", t, 0, 3.0 * 4 * N * F);
    BEST_OF(3, t, dropout_apply(y, x, (int)N, C, T, 7, &drop));
    report(arr, "dropout (4096 x 768)", t, 0, 2.0 * 4 * N * C);
    float *logits = xaligned_alloc(4 * (size_t)M * V);
    int32_t *labels = xmalloc(4 * M);
    fill(logits, (size_t)M * V, 6);
    for (int i = 0; i < M; i++)
        labels[i] = (i * 97) % V;
    long cnt = 0, hit = 0;
    BEST_OF(3, t, xent_forward_backward(logits, logits, labels, M, V, 1.0f / M, &cnt, &hit));
    report(arr, "softmax xent (640 x 30522)", t, 0, 2.0 * 4 * M * V);
    json_object_set_new(out, "ops", arr);
    float *bufs[] = {x, y, w, dw, b, qkv, mean, rstd, att, ctx, dqkv, scratch, logits};
    for (size_t i = 0; i < sizeof bufs / sizeof *bufs; i++)
        xfree(bufs[i]);
    xfree(mask);
    xfree(labels);
}

/* A synthetic batch: random tokens, full rows, max_pred masked positions per row. */
static void synthetic_batch(struct batch *b, int V, int max_pred, uint64_t seed)
{
    struct rng r;
    rng_init(&r, seed, 3);
    b->rows = b->B;
    b->n_pred = 0;
    for (int i = 0; i < b->B; i++) {
        for (int t = 0; t < b->T; t++) {
            int n = i * b->T + t;
            b->input_ids[n] = 1000 + (int)rng_next_below(&r, (uint64_t)(V - 1000));
            b->token_type_ids[n] = t >= b->T / 2;
            b->attention_mask[n] = 1;
        }
        for (int k = 0; k < max_pred; k++) {
            int t = 1 + (int)((long)k * (b->T - 2) / max_pred);
            b->pred_pos[b->n_pred] = i * b->T + t;
            b->pred_label[b->n_pred++] = b->input_ids[i * b->T + t];
        }
        b->nsp_labels[i] = i % 2;
        b->sample_index[i] = i;
        b->n_tokens += b->T;
    }
}

static void bench_model(const struct opts *o, json_t *out)
{
    char err[BT_ERR_LEN];
    struct bert_config cfg;
    int rc = bert_config_load(&cfg, o->config, err);
    if (rc != BT_OK)
        bt_die("bert-bench", rc, err);
    struct bert_model m;
    bert_init(&m, &cfg);
    bert_init_weights(&m, 1);
    struct batch b;
    batch_alloc(&b, o->batch, o->seq, o->max_pred);
    synthetic_batch(&b, cfg.vocab_size, o->max_pred, 1);
    struct bert_acts *a = bert_acts_alloc(&m, o->batch, o->seq, o->max_pred);
    struct bert_step st = {.seed = 1, .train = 1, .mlm_scale = 1.0f / (float)b.n_pred,
                           .nsp_scale = 1.0f / (float)o->batch};
    double fl = bert_flops_step(&cfg, o->batch, o->seq, b.n_pred);
    printf("model %s: %zu parameters, batch %d x seq %d, %d masked, activations %.2f GiB, "
           "%.1f GFLOP per step\n",
           o->config, m.n_params, o->batch, o->seq, b.n_pred,
           (double)bert_acts_bytes(a) / (1 << 30), fl / 1e9);
    double tf = 0, tb = 0, best = 0;
    for (int s = 0; s < o->warmup + o->steps; s++) {
        struct bert_result r = {0};
        st.step = (uint64_t)s;
        memset(m.grads, 0, m.n_params * sizeof(float));
        double t0 = timer_now();
        bert_forward(&m, a, &b, &st, &r);
        double t1 = timer_now();
        bert_backward(&m, a, &b, &st, NULL, NULL);
        double t2 = timer_now();
        if (s >= o->warmup) {
            tf += t1 - t0;
            tb += t2 - t1;
            if (best == 0 || t2 - t0 < best)
                best = t2 - t0;
        }
        printf("  step %d: forward %.3f s, backward %.3f s, loss %.4f\n", s, t1 - t0, t2 - t1,
               r.mlm_loss_sum / r.mlm_count + (r.nsp_count ? r.nsp_loss_sum / r.nsp_count : 0));
    }
    double step = (tf + tb) / o->steps;
    double tps = (double)o->batch * o->seq / step;
    double gf = fl / step / 1e9;
    /* The ceiling is measured again after the steps and the best of both is used,
     * so a busy moment during either measurement cannot flatter the fraction. */
    printf("GEMM ceiling again, after the steps:\n");
    double ceiling = gemm_ceiling(out, "gemm_after");
    double before = json_real_value(json_object_get(out, "ceiling_before"));
    if (before > ceiling)
        ceiling = before;
    json_object_set_new(out, "ceiling_gflops", json_real(ceiling));
    printf("step (fwd+bwd): %.3f s (forward %.3f, backward %.3f): %.0f tokens/s, %.1f GFLOP/s, "
           "%.1f%% of the %.1f GFLOP/s GEMM ceiling\n",
           step, tf / o->steps, tb / o->steps, tps, gf, 100 * gf / ceiling, ceiling);
    /* The ceiling is a best-of figure; on a shared or virtual machine whose speed
     * swings, the fastest step is its like-for-like counterpart. */
    printf("fastest step: %.3f s: %.1f GFLOP/s, %.1f%% of the ceiling\n", best, fl / best / 1e9,
           100 * fl / best / 1e9 / ceiling);
    json_object_set_new(out, "model",
                        json_pack("{s:s,s:i,s:i,s:i,s:I,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "config",
                                  o->config, "batch", o->batch, "seq", o->seq, "n_pred", b.n_pred,
                                  "params", (json_int_t)m.n_params, "step_s", step, "fwd_s",
                                  tf / o->steps, "bwd_s", tb / o->steps, "tokens_per_s", tps,
                                  "gflops", gf, "fraction_of_ceiling", gf / ceiling,
                                  "fastest_step_s", best));
    bert_acts_free(a);
    batch_free(&b);
    bert_free(&m);
}

int main(int argc, char **argv)
{
    struct opts o = {.config = "configs/bert-base-uncased.json", .batch = 32, .seq = 128,
                     .steps = 3, .warmup = 1, .max_pred = -1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--skip-ops")) {
            o.skip_ops = 1;
            continue;
        }
        if (!v || a[0] != '-' || a[1] != '-') {
            fprintf(stderr, "usage: bert-bench [--config FILE] [--batch B] [--seq T] [--steps S] "
                            "[--warmup W] [--max-pred P] [--skip-ops] [--json FILE]\n");
            return 2;
        }
        i++;
        if (!strcmp(a, "--config"))
            o.config = v;
        else if (!strcmp(a, "--json"))
            o.json = v;
        else {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || n < 0 || n > 1 << 20)
                bt_die("bert-bench", BT_EUSAGE, "numeric options expect a non-negative integer");
            if (!strcmp(a, "--batch"))
                o.batch = (int)n;
            else if (!strcmp(a, "--seq"))
                o.seq = (int)n;
            else if (!strcmp(a, "--steps"))
                o.steps = (int)n;
            else if (!strcmp(a, "--warmup"))
                o.warmup = (int)n;
            else if (!strcmp(a, "--max-pred"))
                o.max_pred = (int)n;
            else {
                fprintf(stderr, "bert-bench: unknown option '%s'\n", a);
                return 2;
            }
        }
    }
    if (o.batch < 1 || o.seq < 2 || o.steps < 1)
        bt_die("bert-bench", BT_EUSAGE, "--batch, --seq and --steps must be positive");
    if (o.max_pred < 0)
        o.max_pred = (int)(0.15 * o.seq + 0.5);
    ops_init();
    json_t *out = json_object();
    json_object_set_new(out, "threads", json_integer(ops_max_threads()));
    json_object_set_new(out, "backend", json_string(ops_backend_name()));
    printf("bert-bench: %s, %d threads\nGEMM ceiling:\n", ops_backend_name(), ops_max_threads());
    json_object_set_new(out, "ceiling_before", json_real(gemm_ceiling(out, "gemm_before")));
    if (!o.skip_ops) {
        printf("ops at BERT-base shapes:\n");
        bench_ops(out);
    }
    bench_model(&o, out);
    if (o.json && json_dump_file(out, o.json, JSON_INDENT(2)) != 0)
        bt_die("bert-bench", BT_EIO, "cannot write the --json file");
    json_decref(out);
    ops_shutdown();
    return 0;
}
