/* ft_feats.c - see ft_feats.h: the row store and the sequence- and
 * token-classification builders. */
#include "ft_feats.h"
#include "mem.h"

#include <string.h>

void ft_tok_init(struct ft_tok *t, const struct vocab *v, int lowercase, int two_types)
{
    t->tk.vocab = v;
    t->tk.lowercase = lowercase;
    t->tk.bpe = NULL; /* fine-tuning data is WordPiece (finetune_setup.c loads a vocab.txt) */
    t->cls = vocab_special_id(v, VOCAB_CLS);
    t->sep = vocab_special_id(v, VOCAB_SEP);
    t->pad = vocab_special_id(v, VOCAB_PAD);
    t->two_types = two_types;
}

void ft_feats_init(struct ft_feats *f, int T, int lw, int token_words, int qa)
{
    memset(f, 0, sizeof *f);
    f->T = T;
    f->lw = lw;
    /* Mark which optional arrays exist with a non-NULL placeholder grown later. */
    if (token_words)
        f->word = xmalloc(sizeof *f->word);
    if (qa) {
        f->off_s = xmalloc(sizeof *f->off_s);
        f->off_e = xmalloc(sizeof *f->off_e);
        f->max_ctx = xmalloc(1);
        f->doc_start = xmalloc(sizeof *f->doc_start);
    }
}

void ft_feats_free(struct ft_feats *f)
{
    void *p[] = {f->ids,  f->types, f->mask,  f->labels,  f->example,
                 f->word, f->off_s, f->off_e, f->max_ctx, f->doc_start};
    for (size_t i = 0; i < sizeof p / sizeof *p; i++)
        xfree(p[i]);
    memset(f, 0, sizeof *f);
}

#define GROW(ptr, per_row)                                                                         \
    ((ptr) = xrealloc((ptr), xmul(xmul((size_t)cap, (per_row)), sizeof *(ptr))))

int ft_feats_add_row(struct ft_feats *f, int example)
{
    size_t T = (size_t)f->T;
    if (f->n == f->cap) {
        int cap = f->cap ? 2 * f->cap : 256;
        GROW(f->ids, T);
        GROW(f->types, T);
        GROW(f->mask, T);
        GROW(f->labels, (size_t)f->lw);
        GROW(f->example, 1);
        if (f->word)
            GROW(f->word, T);
        if (f->off_s) {
            GROW(f->off_s, T);
            GROW(f->off_e, T);
            GROW(f->max_ctx, T);
            GROW(f->doc_start, 1);
        }
        f->cap = cap;
    }
    int r = f->n++;
    size_t o = (size_t)r * T;
    for (size_t t = 0; t < T; t++) {
        f->ids[o + t] = 0;
        f->types[o + t] = 0;
        f->mask[o + t] = 0;
        if (f->word)
            f->word[o + t] = -1;
        if (f->off_s) {
            f->off_s[o + t] = -1;
            f->off_e[o + t] = -1;
            f->max_ctx[o + t] = 0;
        }
    }
    for (int k = 0; k < f->lw; k++)
        f->labels[(size_t)r * (size_t)f->lw + (size_t)k] = FT_IGNORE;
    f->example[r] = example;
    if (f->doc_start)
        f->doc_start[r] = 0;
    return r;
}

void ft_feats_put(struct ft_feats *f, int r, int t, int32_t id, int ty)
{
    size_t o = (size_t)r * (size_t)f->T + (size_t)t;
    f->ids[o] = id;
    f->types[o] = ty;
    f->mask[o] = 1;
    f->n_tokens++;
}

static void pad_row(struct ft_feats *f, const struct ft_tok *t, int r)
{
    size_t o = (size_t)r * (size_t)f->T;
    for (int k = 0; k < f->T; k++)
        if (!f->mask[o + (size_t)k])
            f->ids[o + (size_t)k] = t->pad;
}

void ft_feats_seq(struct ft_feats *f, const struct ft_tok *t, const struct ft_seq_set *s, int T)
{
    ft_feats_init(f, T, 1, 0, 0);
    struct tok_buf a, b;
    tok_buf_init(&a);
    tok_buf_init(&b);
    for (int i = 0; i < s->n; i++) {
        const struct ft_seq_example *e = &s->ex[i];
        a.n = b.n = 0;
        tokenizer_encode(&t->tk, e->a, strlen(e->a), &a);
        if (e->b)
            tokenizer_encode(&t->tk, e->b, strlen(e->b), &b);
        size_t room = (size_t)T - (e->b ? 3 : 2), na = a.n, nb = b.n;
        while (na + nb > room) {
            if (na > nb)
                na--;
            else
                nb--;
        }
        f->truncated += (long)(a.n - na + b.n - nb);
        int r = ft_feats_add_row(f, i), p = 0;
        ft_feats_put(f, r, p++, t->cls, 0);
        for (size_t k = 0; k < na; k++)
            ft_feats_put(f, r, p++, a.ids[k], 0);
        ft_feats_put(f, r, p++, t->sep, 0);
        if (e->b) {
            for (size_t k = 0; k < nb; k++)
                ft_feats_put(f, r, p++, b.ids[k], t->two_types);
            ft_feats_put(f, r, p++, t->sep, t->two_types);
        }
        f->labels[r] = e->label;
        pad_row(f, t, r);
    }
    tok_buf_free(&a);
    tok_buf_free(&b);
}

void ft_feats_token(struct ft_feats *f, const struct ft_tok *t, const struct ft_conll_set *s,
                    int T)
{
    ft_feats_init(f, T, T, 1, 0);
    struct tok_buf w;
    tok_buf_init(&w);
    for (int i = 0; i < s->n; i++) {
        const struct ft_conll_sent *st = &s->sent[i];
        int r = ft_feats_add_row(f, i), p = 0;
        size_t o = (size_t)r * (size_t)T;
        ft_feats_put(f, r, p++, t->cls, 0);
        for (int k = 0; k < st->n; k++) {
            w.n = 0;
            tokenizer_encode(&t->tk, st->words[k], strlen(st->words[k]), &w);
            if (w.n == 0)
                continue; /* nothing left after cleaning: no prediction for this word */
            if ((size_t)p + w.n > (size_t)T - 1) {
                f->truncated += st->n - k;
                break;
            }
            f->word[o + (size_t)p] = k;
            f->labels[o + (size_t)p] = st->tags[k];
            for (size_t q = 0; q < w.n; q++)
                ft_feats_put(f, r, p++, w.ids[q], 0);
        }
        ft_feats_put(f, r, p, t->sep, 0);
        pad_row(f, t, r);
    }
    tok_buf_free(&w);
}
