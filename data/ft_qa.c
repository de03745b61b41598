/* ft_qa.c - see ft_qa.h. */
#include "ft_qa.h"
#include "mem.h"

#include <string.h>

/* Context pieces with their byte ranges, tokenized once per context. */
struct doc {
    struct tok_buf b;
    struct tok_offsets o;
    int ctx;
};

/* Answer piece range [*ts, *te] of byte range [as, ae); -1 when none overlaps. */
static void answer_pieces(const struct tok_offsets *o, size_t as, size_t ae, int *ts, int *te)
{
    *ts = *te = -1;
    for (size_t i = 0; i < o->n; i++) {
        if (o->end[i] > as && o->start[i] < ae) {
            if (*ts < 0)
                *ts = (int)i;
            *te = (int)i;
        }
    }
}

/* Sets max_ctx for the rows [r0, r1) of one question (windows in order). */
static void mark_max_context(struct ft_feats *f, int r0, int r1, int nq, size_t ndoc)
{
    size_t T = (size_t)f->T;
    for (int r = r0; r < r1; r++) {
        int start = f->doc_start[r];
        for (size_t p = (size_t)nq + 2; p < T && f->off_s[(size_t)r * T + p] >= 0; p++) {
            int tok = start + (int)(p - (size_t)nq - 2);
            int best = -1;
            double best_score = -1;
            for (int q = r0; q < r1; q++) {
                int s = f->doc_start[q];
                int len = (int)T - nq - 3;
                if (s + len > (int)ndoc)
                    len = (int)ndoc - s;
                if (tok < s || tok >= s + len)
                    continue;
                int left = tok - s, right = s + len - 1 - tok;
                double score = (left < right ? left : right) + 0.01 * len;
                if (score > best_score) {
                    best_score = score;
                    best = q;
                }
            }
            f->max_ctx[(size_t)r * T + p] = best == r;
        }
    }
}

void ft_feats_qa(struct ft_feats *f, const struct ft_tok *t, const struct ft_squad_set *s,
                 const struct ft_qa_opts *o)
{
    int T = o->T;
    ft_feats_init(f, T, 2, 0, 1);
    struct doc d = {.ctx = -1};
    tok_buf_init(&d.b);
    tok_offsets_init(&d.o);
    struct tok_buf qb;
    tok_buf_init(&qb);
    for (int i = 0; i < s->n_q; i++) {
        const struct ft_squad_question *q = &s->q[i];
        if (q->ctx != d.ctx) {
            d.b.n = d.o.n = 0;
            tokenizer_encode_offsets(&t->tk, s->ctx[q->ctx], s->ctx_len[q->ctx], &d.b, &d.o);
            d.ctx = q->ctx;
        }
        qb.n = 0;
        tokenizer_encode(&t->tk, q->question, strlen(q->question), &qb);
        int nq = (int)qb.n < o->max_query ? (int)qb.n : o->max_query;
        if (nq > T - 4)
            nq = T - 4;
        int max_doc = T - nq - 3, ndoc = (int)d.b.n;
        int ts, te;
        answer_pieces(&d.o, q->ans[0].start, q->ans[0].end, &ts, &te);
        int r0 = f->n;
        for (int start = 0;;) {
            int len = ndoc - start < max_doc ? ndoc - start : max_doc;
            int r = ft_feats_add_row(f, i), p = 0;
            size_t x = (size_t)r * (size_t)T;
            ft_feats_put(f, r, p++, t->cls, 0);
            for (int k = 0; k < nq; k++)
                ft_feats_put(f, r, p++, qb.ids[k], 0);
            ft_feats_put(f, r, p++, t->sep, 0);
            for (int k = 0; k < len; k++) {
                f->off_s[x + (size_t)p] = (int32_t)d.o.start[start + k];
                f->off_e[x + (size_t)p] = (int32_t)d.o.end[start + k];
                ft_feats_put(f, r, p++, d.b.ids[start + k], t->two_types);
            }
            ft_feats_put(f, r, p++, t->sep, t->two_types);
            for (; p < T; p++)
                f->ids[x + (size_t)p] = t->pad;
            f->doc_start[r] = start;
            int in = ts >= 0 && ts >= start && te < start + len;
            f->labels[2 * (size_t)r] = in ? ts - start + nq + 2 : 0;
            f->labels[2 * (size_t)r + 1] = in ? te - start + nq + 2 : 0;
            if (start + len >= ndoc)
                break;
            start += len < o->stride ? len : o->stride;
        }
        mark_max_context(f, r0, f->n, nq, (size_t)ndoc);
    }
    tok_buf_free(&d.b);
    tok_offsets_free(&d.o);
    tok_buf_free(&qb);
}

/* Indices of the n largest values of v[i] over i in [0, T) with ok[i]; returns
 * the count, in decreasing order (earlier index first on ties). */
static int top_n(const float *v, const uint8_t *ok, int T, int n, int *out)
{
    int k = 0;
    for (int i = 0; i < T; i++) {
        if (!ok[i])
            continue;
        int j = k < n ? k++ : n;
        if (j == n && !(v[i] > v[out[n - 1]]))
            continue;
        if (j == n)
            j = n - 1;
        while (j > 0 && v[i] > v[out[j - 1]]) {
            out[j] = out[j - 1];
            j--;
        }
        out[j] = i;
    }
    return k;
}

struct ft_qa_span ft_qa_best_span(const struct ft_feats *f, int r0, int r1,
                                  const float *start_logits, const float *end_logits,
                                  const struct ft_qa_opts *o)
{
    struct ft_qa_span best = {.row = -1};
    int T = f->T, nb = o->n_best;
    int *si = xmalloc(xmul((size_t)nb, sizeof(int))), *ei = xmalloc(xmul((size_t)nb, sizeof(int)));
    uint8_t *ctx = xmalloc((size_t)T);
    for (int r = r0; r < r1; r++) {
        size_t x = (size_t)r * (size_t)T;
        for (int p = 0; p < T; p++)
            ctx[p] = f->off_s[x + (size_t)p] >= 0;
        int ne = top_n(end_logits + x, ctx, T, nb, ei);
        int ns = top_n(start_logits + x, f->max_ctx + x, T, nb, si);
        for (int a = 0; a < ns; a++)
            for (int b = 0; b < ne; b++) {
                int s = si[a], e = ei[b];
                if (e < s || e - s + 1 > o->max_answer)
                    continue;
                float sc = start_logits[x + (size_t)s] + end_logits[x + (size_t)e];
                int earlier = r < best.row ||
                              (r == best.row &&
                               (s < best.start || (s == best.start && e < best.end)));
                if (best.row < 0 || sc > best.score || (sc == best.score && earlier)) {
                    best.row = r;
                    best.start = s;
                    best.end = e;
                    best.score = sc;
                    best.byte_start = (size_t)f->off_s[x + (size_t)s];
                    best.byte_end = (size_t)f->off_e[x + (size_t)e];
                }
            }
    }
    xfree(si);
    xfree(ei);
    xfree(ctx);
    return best;
}
