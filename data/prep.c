/* prep.c - see prep.h. Reads each input in blocks of whole lines, tokenizes
 * the lines of a block with `threads` pthreads, appends the results in input
 * order to one growing corpus, then writes the shards into a temporary
 * directory and renames it. */
#include "prep.h"
#include "sentence_split.h"
#include "fileio.h"
#include "log.h"
#include "mem.h"
#include "shard_format.h"
#include "shard_writer.h"
#include "text_reader.h"
#include "timer.h"
#include "tokenizer.h"
#include "unicode.h"
#include "vocab.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* ---- growing corpus ------------------------------------------------------ */

struct builder {
    int32_t *tok;
    size_t nt, ct;
    int64_t *sent; /* sentence start (token index) */
    size_t ns, cs;
    int64_t *doc;  /* document start (sentence index) */
    size_t nd, cd;
    size_t open_doc_sent; /* sentences of the document being built */
};

#define GROW(p, n, cap, need)                                                                      \
    do {                                                                                           \
        if ((n) + (need) > (cap)) {                                                                \
            size_t c_ = (cap) ? (cap) : 1024;                                                      \
            while (c_ < (n) + (need))                                                              \
                c_ *= 2;                                                                           \
            (p) = xrealloc((p), xmul(c_, sizeof *(p)));                                            \
            (cap) = c_;                                                                            \
        }                                                                                          \
    } while (0)

static void add_sentence(struct builder *b, const int32_t *ids, size_t n)
{
    if (b->open_doc_sent == 0) {
        GROW(b->doc, b->nd, b->cd, 1);
        b->doc[b->nd++] = (int64_t)b->ns;
    }
    GROW(b->sent, b->ns, b->cs, 1);
    b->sent[b->ns++] = (int64_t)b->nt;
    GROW(b->tok, b->nt, b->ct, n);
    memcpy(b->tok + b->nt, ids, n * sizeof *ids);
    b->nt += n;
    b->open_doc_sent++;
}

static void end_doc(struct builder *b)
{
    b->open_doc_sent = 0;
}

static void builder_free(struct builder *b)
{
    xfree(b->tok);
    xfree(b->sent);
    xfree(b->doc);
}

/* ---- parallel tokenization of one block ---------------------------------- */

struct worker {
    pthread_t th;
    const struct tokenizer *tk;
    const char *blk;
    const size_t *ls, *ll; /* line start / length */
    size_t l0, l1;         /* lines [l0, l1) */
    int64_t *ntok;         /* per line: tokens, or -1 for a blank line */
    struct tok_buf tb;
};

static int line_is_blank(const char *s, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        size_t adv = 1;
        int32_t cp = u[i] < 0x80 ? u[i] : uni_decode(u + i, n - i, &adv);
        if (cp < 0 || !uni_is_pyspace(cp))
            return 0;
        i += adv;
    }
    return 1;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    w->tb.n = 0;
    for (size_t i = w->l0; i < w->l1; i++) {
        const char *s = w->blk + w->ls[i];
        if (line_is_blank(s, w->ll[i])) {
            w->ntok[i] = -1;
            continue;
        }
        size_t before = w->tb.n;
        tokenizer_encode(w->tk, s, w->ll[i], &w->tb);
        w->ntok[i] = (int64_t)(w->tb.n - before);
    }
    return NULL;
}

struct prep_ctx {
    const struct prep_opts *o;
    struct tokenizer tk;
    struct worker *w;
    int nw;
    size_t *ls, *ll;
    int64_t *ntok;
    size_t cap_lines;
    struct builder b;
    struct sentence_splitter ss;
    struct prep_stats *st;
    int64_t total_bytes;
    double t0, t_last;
};

static int tokenize_block(struct prep_ctx *c, const char *blk, size_t len, char *err)
{
    size_t nl = 0;
    for (size_t i = 0; i < len;) {
        const char *e = memchr(blk + i, '\n', len - i);
        size_t end = e ? (size_t)(e - blk) : len;
        if (nl == c->cap_lines) {
            c->cap_lines = c->cap_lines ? 2 * c->cap_lines : 4096;
            c->ls = xrealloc(c->ls, xmul(c->cap_lines, sizeof *c->ls));
            c->ll = xrealloc(c->ll, xmul(c->cap_lines, sizeof *c->ll));
            c->ntok = xrealloc(c->ntok, xmul(c->cap_lines, sizeof *c->ntok));
        }
        c->ls[nl] = i;
        c->ll[nl] = end - i;
        nl++;
        i = end + 1;
    }
    c->st->lines += (int64_t)nl;
    /* contiguous line ranges of about equal bytes */
    int nw = c->nw;
    size_t l = 0;
    for (int k = 0; k < nw; k++) {
        struct worker *w = &c->w[k];
        w->tk = &c->tk;
        w->blk = blk;
        w->ls = c->ls;
        w->ll = c->ll;
        w->ntok = c->ntok;
        w->l0 = l;
        size_t target = len / (size_t)nw * (size_t)(k + 1);
        while (l < nl && (k == nw - 1 || c->ls[l] < target))
            l++;
        w->l1 = l;
    }
    int started = 0;
    for (int k = 1; k < nw; k++) {
        if (pthread_create(&c->w[k].th, NULL, worker_main, &c->w[k]) != 0) {
            for (int j = 1; j < k; j++)
                pthread_join(c->w[j].th, NULL);
            return bt_errf(err, BT_ERUNTIME, "cannot start tokenizer thread %d: %s", k,
                           strerror(errno));
        }
        started = k;
    }
    worker_main(&c->w[0]);
    for (int k = 1; k <= started; k++)
        pthread_join(c->w[k].th, NULL);
    /* merge in input order */
    int32_t unk = vocab_special_id(c->tk.vocab, VOCAB_UNK);
    size_t cap = (size_t)c->o->max_seq_len - 2;
    for (int k = 0; k < nw; k++) {
        const struct worker *w = &c->w[k];
        size_t off = 0;
        for (size_t i = w->l0; i < w->l1; i++) {
            if (w->ntok[i] < 0) {
                end_doc(&c->b);
                continue;
            }
            size_t n = (size_t)w->ntok[i];
            const int32_t *ids = w->tb.ids + off;
            off += n;
            for (size_t j = 0; j < n; j++)
                c->st->unk_tokens += ids[j] == unk;
            while (n > 0) {
                size_t m = c->o->split_sentences ? sentence_split_next(&c->ss, ids, n) : n;
                if (m > cap)
                    c->st->split_lines++;
                for (size_t p = 0; p < m; p += cap)
                    add_sentence(&c->b, ids + p, m - p < cap ? m - p : cap);
                ids += m;
                n -= m;
            }
        }
    }
    return BT_OK;
}

static void progress(struct prep_ctx *c, int64_t done, int final)
{
    double now = timer_now();
    if (c->o->quiet || (!final && now - c->t_last < 2.0))
        return;
    c->t_last = now;
    double el = now - c->t0;
    double mb = (double)done / 1e6;
    if (final)
        fprintf(stderr,
                "bert-prep: %.1f MB in %.1f s (%.1f MB/s): %lld documents, %lld sentences, %lld "
                "tokens, %lld invalid UTF-8 bytes dropped, %lld long lines split\n",
                mb, el, el > 0 ? mb / el : 0.0, (long long)c->b.nd, (long long)c->b.ns,
                (long long)c->b.nt, (long long)c->st->invalid_utf8_bytes,
                (long long)c->st->split_lines);
    else
        fprintf(stderr, "bert-prep: %.1f / %.1f MB tokenized (%.0f%%), %.1f MB/s, %lld tokens\n",
                mb, (double)c->total_bytes / 1e6,
                c->total_bytes ? 100.0 * (double)done / (double)c->total_bytes : 100.0,
                el > 0 ? mb / el : 0.0, (long long)c->b.nt);
}

static int read_inputs(struct prep_ctx *c, char *err)
{
    const struct prep_opts *o = c->o;
    int64_t done = 0;
    for (int f = 0; f < o->n_inputs; f++) {
        struct text_reader r;
        int rc = text_reader_open(&r, o->inputs[f], o->block_bytes ? o->block_bytes : 8u << 20,
                                  err);
        if (rc != BT_OK)
            return rc;
        size_t sent_before = c->b.ns;
        const char *blk;
        size_t len;
        while ((rc = text_reader_next(&r, &blk, &len, err)) == BT_OK && len > 0) {
            rc = tokenize_block(c, blk, len, err);
            if (rc != BT_OK)
                break;
            progress(c, done + r.bytes_read, 0);
        }
        done += r.bytes_read;
        c->st->input_bytes += r.bytes_read;
        c->st->invalid_utf8_bytes += r.invalid_bytes;
        text_reader_close(&r);
        end_doc(&c->b);
        if (rc != BT_OK)
            return rc;
        if (c->b.ns == sent_before)
            return bt_errf(err, BT_EUSAGE, "%s: the input holds no text (empty or blank)",
                           o->inputs[f]);
    }
    return BT_OK;
}

/* ---- writing ------------------------------------------------------------- */

static int write_shards(struct prep_ctx *c, const char *dir, const struct vocab *v, char *err)
{
    const struct builder *b = &c->b;
    int n = c->o->shards;
    int64_t nd = (int64_t)b->nd;
    /* doc boundaries of shard k: [first[k], first[k+1]) balanced by tokens */
    int64_t *first = xmalloc(xmul((size_t)n + 1, sizeof(int64_t)));
    first[0] = 0;
    for (int k = 0; k < n; k++) {
        int64_t start = first[k], left = n - k;
        int64_t end = start + 1;
        if (left == 1) {
            end = nd;
        } else {
            int64_t target = (int64_t)((double)b->nt * (double)(k + 1) / (double)n);
            while (end < nd - (left - 1) && b->sent[b->doc[end]] < target)
                end++;
        }
        first[k + 1] = end;
    }
    struct shard_meta m = {0};
    m.format_version = SHARD_FORMAT_VERSION;
    m.n_shards = n;
    m.vocab_size = vocab_size(v);
    m.lowercase = c->tk.lowercase;
    m.max_seq_len = c->o->max_seq_len;
    m.split_sentences = c->o->split_sentences;
    m.pad_id = vocab_special_id(v, VOCAB_PAD);
    m.unk_id = vocab_special_id(v, VOCAB_UNK);
    m.cls_id = vocab_special_id(v, VOCAB_CLS);
    m.sep_id = vocab_special_id(v, VOCAB_SEP);
    m.mask_id = vocab_special_id(v, VOCAB_MASK);
    m.vocab_checksum = vocab_checksum(v);
    m.total_docs = (int64_t)b->nd;
    m.total_sentences = (int64_t)b->ns;
    m.total_tokens = (int64_t)b->nt;
    m.invalid_utf8_bytes = c->st->invalid_utf8_bytes;
    m.input_bytes = c->st->input_bytes;
    int rc = BT_OK;
    int64_t *so = NULL, *dof = NULL;
    for (int k = 0; k < n && rc == BT_OK; k++) {
        int64_t d0 = first[k], d1 = first[k + 1];
        int64_t s0 = b->doc[d0], s1 = d1 < nd ? b->doc[d1] : (int64_t)b->ns;
        int64_t t0 = b->sent[s0], t1 = s1 < (int64_t)b->ns ? b->sent[s1] : (int64_t)b->nt;
        m.shard_index = k;
        m.n_docs = d1 - d0;
        m.n_sentences = s1 - s0;
        m.n_tokens = t1 - t0;
        so = xrealloc(so, xmul((size_t)m.n_sentences + 1, sizeof *so));
        dof = xrealloc(dof, xmul((size_t)m.n_docs + 1, sizeof *dof));
        for (int64_t i = 0; i < m.n_sentences; i++)
            so[i] = b->sent[s0 + i] - t0;
        so[m.n_sentences] = m.n_tokens;
        for (int64_t i = 0; i < m.n_docs; i++)
            dof[i] = b->doc[d0 + i] - s0;
        dof[m.n_docs] = m.n_sentences;
        struct shard_data d = {b->tok + t0, so, dof, NULL, 0};
        d.vocab = vocab_bytes(v, &d.vocab_len);
        char path[4300];
        if (snprintf(path, sizeof path, "%s/" SHARD_FILE_PATTERN, dir, k) >= (int)sizeof path) {
            rc = bt_errf(err, BT_EUSAGE, "%s: output path too long", dir);
            break;
        }
        rc = shard_writer_write(path, &m, &d, err);
    }
    xfree(so);
    xfree(dof);
    xfree(first);
    return rc;
}

static int check_opts(const struct prep_opts *o, char *err)
{
    if (!o->vocab_path || !o->output || o->n_inputs < 1)
        return bt_errf(err, BT_EUSAGE, "--vocab, --input and --output are required");
    if (o->shards < 1 || o->shards > 100000)
        return bt_errf(err, BT_EUSAGE, "--shards %d must be in 1..100000", o->shards);
    if (o->max_seq_len < 8 || o->max_seq_len > 65536)
        return bt_errf(err, BT_EUSAGE, "--max-seq-len %d must be in 8..65536", o->max_seq_len);
    if (o->threads < 1 || o->threads > 256)
        return bt_errf(err, BT_EUSAGE, "--threads %d must be in 1..256", o->threads);
    if (file_exists(o->output))
        return bt_errf(err, BT_EUSAGE, "%s: the output already exists; remove it or choose "
                       "another --output", o->output);
    return BT_OK;
}

int prep_run(const struct prep_opts *o, struct prep_stats *st, char *err)
{
    memset(st, 0, sizeof *st);
    int rc = check_opts(o, err);
    if (rc != BT_OK)
        return rc;
    struct tok_model tm;
    if ((rc = tok_model_open(&tm, o->tokenizer, o->vocab_path, o->merges_path, err)) != BT_OK)
        return rc;
    const struct vocab *v = tm.vocab;
    if ((rc = vocab_check_specials(v, o->vocab_path, err)) != BT_OK) {
        tok_model_close(&tm);
        return rc;
    }
    struct prep_ctx c;
    memset(&c, 0, sizeof c);
    c.o = o;
    c.st = st;
    c.tk = tok_model_tokenizer(&tm, o->lowercase);
    c.nw = o->threads;
    if (o->split_sentences)
        sentence_splitter_init(&c.ss, v);
    c.w = xcalloc((size_t)c.nw, sizeof *c.w);
    for (int k = 0; k < c.nw; k++)
        tok_buf_init(&c.w[k].tb);
    for (int f = 0; f < o->n_inputs; f++) {
        struct text_reader r;
        if ((rc = text_reader_open(&r, o->inputs[f], 4096, err)) != BT_OK)
            goto out;
        c.total_bytes += r.file_size;
        text_reader_close(&r);
    }
    c.t0 = c.t_last = timer_now();
    if ((rc = read_inputs(&c, err)) != BT_OK)
        goto out;
    if ((int64_t)c.b.nd < o->shards) {
        rc = bt_errf(err, BT_EUSAGE, "--shards %d is more than the %zu documents in the input",
                     o->shards, c.b.nd);
        goto out;
    }
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", o->output, (long)getpid());
    char ignore[BT_ERR_LEN];
    int gone = file_remove_tree(tmp, ignore); /* a stale one from a crashed run of this pid */
    if ((rc = file_mkdir_p(tmp, err)) == BT_OK)
        rc = write_shards(&c, tmp, v, err);
    if (rc == BT_OK)
        rc = file_fsync_dir(tmp, err);
    if (rc == BT_OK && rename(tmp, o->output) != 0)
        rc = bt_errf(err, BT_EIO, "cannot rename '%s' to '%s': %s", tmp, o->output,
                     strerror(errno));
    if (rc == BT_OK) {
        char parent[4200];
        file_dirname(o->output, parent, sizeof parent);
        rc = file_fsync_dir(parent, err);
    } else {
        gone = file_remove_tree(tmp, ignore);
    }
    (void)gone;
    st->docs = (int64_t)c.b.nd;
    st->sentences = (int64_t)c.b.ns;
    st->tokens = (int64_t)c.b.nt;
    st->seconds = timer_now() - c.t0;
    if (rc == BT_OK)
        progress(&c, st->input_bytes, 1);
out:
    for (int k = 0; k < c.nw; k++)
        tok_buf_free(&c.w[k].tb);
    xfree(c.w);
    xfree(c.ls);
    xfree(c.ll);
    xfree(c.ntok);
    builder_free(&c.b);
    if (o->split_sentences)
        sentence_splitter_free(&c.ss);
    tok_model_close(&tm);
    return rc;
}
