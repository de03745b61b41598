/* bench_data.c - data pipeline throughput (a program, not a test; no timing is
 * asserted anywhere). Usage:
 *   bench_data CORPUS.txt VOCAB [WORKDIR [MERGES]]
 * VOCAB is a WordPiece vocab.txt, or a BPE vocab.json (MERGES: its merges.txt,
 * default merges.txt beside it). Reports
 *  - tokenizer MB/s of raw text on one core (tokenizer_encode line by line,
 *    best of 3 passes; WordPiece uncased and cased, BPE with a cold and a warm
 *    word cache), and bert-prep end-to-end MB/s with 1 and 2 threads;
 *  - loader examples/s at seq 128 (max_pred 20) and 512 (max_pred 80) for each
 *    objective, produced synchronously on one core (prefetch = 0), and the
 *    trainer-visible wait per batch with the prefetch thread when the
 *    "trainer" spends 50 ms per micro-batch. */
#include "check.h"
#include "fileio.h"
#include "loader.h"
#include "mem.h"
#include "prep.h"
#include "timer.h"
#include "tokenizer.h"
#include "vocab.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what, const char *err)
{
    fprintf(stderr, "bench_data: %s: %s\n", what, err);
    _exit(1);
}

/* Seconds for one pass over text, line by line, and the ids it made. */
static double pass(const struct tokenizer *tk, struct tok_buf *b, const char *text, size_t len,
                   size_t *ids)
{
    double t0 = timer_now();
    *ids = 0;
    for (size_t i = 0; i < len;) {
        const char *nl = memchr(text + i, '\n', len - i);
        size_t end = nl ? (size_t)(nl - text) : len;
        b->n = 0;
        tokenizer_encode(tk, text + i, end - i, b);
        *ids += b->n;
        i = end + 1;
    }
    return timer_now() - t0;
}

static void report(const char *what, size_t len, double dt, size_t ids)
{
    printf("tokenizer (%s, 1 core): %.2f MB in %.3f s = %.1f MB/s, %zu tokens (%.2f M tokens/s)\n",
           what, (double)len / 1e6, dt, (double)len / 1e6 / dt, ids, (double)ids / 1e6 / dt);
}

static void bench_tokenizer(const char *corpus, const char *vocab_path, const char *merges)
{
    char err[BT_ERR_LEN], *text;
    size_t len, ids = 0;
    struct tok_model m;
    if (file_read_all(corpus, &text, &len, err) != BT_OK)
        die("corpus", err);
    if (tok_model_open(&m, NULL, vocab_path, merges, err) != BT_OK)
        die("vocab", err);
    for (int lower = 1; lower >= 0; lower--) {
        struct tokenizer tk = tok_model_tokenizer(&m, lower);
        struct tok_buf b;
        tok_buf_init(&b);
        double best = 1e30, cold = 0;
        for (int p = 0; p < 3; p++) {
            double dt = pass(&tk, &b, text, len, &ids);
            if (p == 0)
                cold = dt;
            if (dt < best)
                best = dt;
        }
        tok_buf_free(&b);
        if (m.bpe) { /* the first pass fills the word cache */
            report("bpe, first pass", len, cold, ids);
            report("bpe, best of 3", len, best, ids);
            break;
        }
        report(lower ? "uncased" : "cased", len, best, ids);
    }
    tok_model_close(&m);
    xfree(text);
}

static void bench_prep(const char *corpus, const char *vocab, const char *merges,
                       const char *work, int threads, char *out, size_t n)
{
    char err[BT_ERR_LEN];
    snprintf(out, n, "%s/bench_shards_t%d", work, threads);
    if (file_remove_tree(out, err) != BT_OK)
        die("cleanup", err);
    const char *inputs[1] = {corpus};
    struct prep_opts o = {0};
    o.vocab_path = vocab;
    o.merges_path = merges;
    o.inputs = inputs;
    o.n_inputs = 1;
    o.output = out;
    o.shards = 4;
    o.max_seq_len = 512;
    o.lowercase = 1;
    o.threads = threads;
    o.quiet = 1;
    struct prep_stats st;
    double t0 = timer_now();
    if (prep_run(&o, &st, err) != BT_OK)
        die("prep", err);
    double dt = timer_now() - t0;
    printf("bert-prep (%d thread%s, 4 shards): %.2f MB in %.3f s = %.1f MB/s (%lld tokens)\n",
           threads, threads > 1 ? "s" : "", (double)st.input_bytes / 1e6, dt,
           (double)st.input_bytes / 1e6 / dt, (long long)st.tokens);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void bench_loader(const char *shards, enum objective obj, int T, int max_pred)
{
    char err[BT_ERR_LEN];
    const int mb = 32, batches = T == 128 ? 300 : 100;
    struct loader_opts o = {0};
    o.dir = shards;
    o.seq_len = T;
    o.max_pred = max_pred;
    o.mask_prob = 0.15;
    o.short_seq_prob = 0.1;
    o.objective = obj;
    o.seed = 42;
    o.world = 1;
    o.global_batch = mb;
    o.micro_batch = mb;
    o.prefetch = 0;
    struct loader *L;
    double t0 = timer_now();
    if (loader_open(&L, &o, err) != BT_OK)
        die("loader_open", err);
    double t_open = timer_now() - t0;
    struct batch b;
    batch_alloc(&b, mb, T, max_pred);
    t0 = timer_now();
    for (int i = 0; i < batches; i++)
        if (loader_next(L, &b, err) != BT_OK)
            die("loader_next", err);
    double dt = timer_now() - t0;
    printf("loader %-14s T=%-3d: %8.0f examples/s on 1 core (%d x %d rows; open + epoch 0 build "
           "%.2f s, epoch size %lld)\n",
           objective_name(obj), T, mb * batches / dt, batches, mb, t_open,
           (long long)loader_info(L)->epoch_size);
    loader_close(L);
    /* prefetch: a trainer spending 50 ms per micro-batch should never wait */
    o.prefetch = 1;
    if (loader_open(&L, &o, err) != BT_OK)
        die("loader_open", err);
    if (loader_next(L, &b, err) != BT_OK) /* the first batch is always a wait */
        die("loader_next", err);
    double w0 = loader_wait_seconds(L);
    for (int i = 0; i < 20; i++) {
        sleep_ms(50);
        if (loader_next(L, &b, err) != BT_OK)
            die("loader_next", err);
    }
    printf("  with prefetch, 50 ms steps: mean wait %.3f ms per micro-batch\n",
           (loader_wait_seconds(L) - w0) / 20 * 1e3);
    batch_free(&b);
    loader_close(L);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: bench_data CORPUS.txt VOCAB [WORKDIR [MERGES]]\n");
        return 2;
    }
    const char *work = argc > 3 ? argv[3] : ".", *merges = argc > 4 ? argv[4] : NULL;
    bench_tokenizer(argv[1], argv[2], merges);
    char shards[4200];
    bench_prep(argv[1], argv[2], merges, work, 2, shards, sizeof shards);
    bench_prep(argv[1], argv[2], merges, work, 1, shards, sizeof shards);
    for (int obj = 0; obj < OBJ_COUNT; obj++) {
        bench_loader(shards, (enum objective)obj, 128, 20);
        bench_loader(shards, (enum objective)obj, 512, 80);
    }
    return 0;
}
