/* ft_metrics.c - see ft_metrics.h. */
#include "ft_metrics.h"
#include "mem.h"
#include "unicode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- classification ---- */

void ft_metrics_cls(const int *gold, const int *pred, long n, int K, struct ft_cls_metrics *m)
{
    memset(m, 0, sizeof *m);
    long tp = 0, fp = 0, fn = 0;
    for (long i = 0; i < n; i++) {
        m->correct += gold[i] == pred[i];
        tp += gold[i] == 1 && pred[i] == 1;
        fp += gold[i] != 1 && pred[i] == 1;
        fn += gold[i] == 1 && pred[i] != 1;
    }
    m->n = n;
    m->accuracy = n ? (double)m->correct / (double)n : 0;
    if (K == 2) {
        m->precision = tp + fp ? (double)tp / (double)(tp + fp) : 0;
        m->recall = tp + fn ? (double)tp / (double)(tp + fn) : 0;
        double s = m->precision + m->recall;
        m->f1 = s > 0 ? 2 * m->precision * m->recall / s : 0;
    }
}

/* ---- entity-level (conlleval) ---- */

struct chunk {
    int type, start, end;
};

static int type_index(struct ft_ner_counts *c, const char *name)
{
    for (int i = 0; i < c->n_types; i++)
        if (!strcmp(c->type[i], name))
            return i;
    if (c->n_types == FT_NER_MAX_TYPES)
        return FT_NER_MAX_TYPES - 1; /* pooled into the last slot; totals stay exact */
    snprintf(c->type[c->n_types], sizeof c->type[0], "%s", name);
    return c->n_types++;
}

/* Chunks of one tag sequence into out (at most n); returns the count. */
static int chunks(struct ft_ner_counts *c, const char *const *tags, int n, struct chunk *out)
{
    int k = 0, open = 0;
    const char *prev_type = "";
    for (int i = 0; i < n; i++) {
        const char *t = tags[i];
        int is_o = t[0] != 'B' && t[0] != 'I';
        const char *type = is_o ? "" : t + 2;
        int starts = !is_o && (t[0] == 'B' || !open || strcmp(type, prev_type));
        if (open && (is_o || starts)) {
            out[k - 1].end = i - 1;
            open = 0;
        }
        if (starts) {
            out[k++] = (struct chunk){type_index(c, type), i, -1};
            open = 1;
        }
        prev_type = type;
    }
    if (open)
        out[k - 1].end = n - 1;
    return k;
}

void ft_ner_add(struct ft_ner_counts *c, const char *const *gold, const char *const *pred, int n)
{
    struct chunk *g = xmalloc(xmul((size_t)n + 1, sizeof *g));
    struct chunk *p = xmalloc(xmul((size_t)n + 1, sizeof *p));
    int ng = chunks(c, gold, n, g), np = chunks(c, pred, n, p);
    for (int i = 0; i < ng; i++) {
        c->gold++;
        c->t_gold[g[i].type]++;
    }
    for (int j = 0; j < np; j++) {
        c->pred++;
        c->t_pred[p[j].type]++;
        for (int i = 0; i < ng; i++)
            if (g[i].type == p[j].type && g[i].start == p[j].start && g[i].end == p[j].end) {
                c->correct++;
                c->t_correct[p[j].type]++;
                break;
            }
    }
    xfree(g);
    xfree(p);
}

void ft_ner_prf(const struct ft_ner_counts *c, int type, double *p, double *r, double *f1)
{
    long ok = type < 0 ? c->correct : c->t_correct[type];
    long np = type < 0 ? c->pred : c->t_pred[type];
    long ng = type < 0 ? c->gold : c->t_gold[type];
    *p = np ? (double)ok / (double)np : 0;
    *r = ng ? (double)ok / (double)ng : 0;
    *f1 = *p + *r > 0 ? 2 * *p * *r / (*p + *r) : 0;
}

/* ---- SQuAD ---- */

static int is_word_char(int32_t c)
{
    if (c < 128)
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_';
    return !(uni_class(c) & (UNI_SPACE | UNI_PUNCT)) && !uni_is_pyspace(c);
}

static int is_ascii_punct(int32_t c)
{
    return c < 128 && c > 32 && strchr("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", (int)c) != NULL;
}

char *ft_squad_normalize(const char *s)
{
    size_t len = strlen(s), n = 0, i = 0;
    int32_t *cp = xmalloc(xmul(2 * len + 2, sizeof *cp));
    while (i < len) { /* lower-case and drop ASCII punctuation */
        size_t adv;
        int32_t c = uni_decode((const unsigned char *)s + i, len - i, &adv);
        i += adv;
        if (c < 0)
            continue;
        int32_t low[2];
        int k = uni_lower(c, low);
        for (int j = 0; j < k; j++)
            if (!is_ascii_punct(low[j]))
                cp[n++] = low[j];
    }
    for (size_t a = 0; a < n;) { /* articles as whole words become a space */
        size_t b = a;
        while (b < n && is_word_char(cp[b]))
            b++;
        if (b == a) {
            a++;
            continue;
        }
        size_t w = b - a;
        int art = (w == 1 && cp[a] == 'a') || (w == 2 && cp[a] == 'a' && cp[a + 1] == 'n') ||
                  (w == 3 && cp[a] == 't' && cp[a + 1] == 'h' && cp[a + 2] == 'e');
        if (art)
            for (size_t k = a; k < b; k++)
                cp[k] = ' ';
        a = b;
    }
    char *out = xmalloc(4 * n + 1);
    size_t o = 0;
    int pending = 0;
    for (size_t k = 0; k < n; k++) { /* split on whitespace, join with single spaces */
        if (uni_is_pyspace(cp[k])) {
            pending = o > 0;
            continue;
        }
        if (pending)
            out[o++] = ' ';
        pending = 0;
        o += uni_encode(cp[k], (unsigned char *)out + o);
    }
    out[o] = '\0';
    xfree(cp);
    return out;
}

double ft_squad_em(const char *pred, const char *gold)
{
    char *a = ft_squad_normalize(pred), *b = ft_squad_normalize(gold);
    double em = strcmp(a, b) == 0;
    xfree(a);
    xfree(b);
    return em;
}

/* Splits a normalised string (single spaces, no leading or trailing space) in
 * place at its spaces; returns the token count. */
static int split_tokens(char *s, char **tok)
{
    int n = 0;
    if (!*s)
        return 0;
    tok[n++] = s;
    for (char *p = s; *p; p++)
        if (*p == ' ') {
            *p = '\0';
            tok[n++] = p + 1;
        }
    return n;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

double ft_squad_f1(const char *pred, const char *gold)
{
    char *a = ft_squad_normalize(pred), *b = ft_squad_normalize(gold);
    char **ta = xmalloc(xmul(strlen(a) / 2 + 1, sizeof *ta));
    char **tb = xmalloc(xmul(strlen(b) / 2 + 1, sizeof *tb));
    int na = split_tokens(a, ta), nb = split_tokens(b, tb);
    qsort(ta, (size_t)na, sizeof *ta, cmp_str);
    qsort(tb, (size_t)nb, sizeof *tb, cmp_str);
    int common = 0;
    for (int i = 0, j = 0; i < na && j < nb;) { /* multiset intersection of sorted lists */
        int c = strcmp(ta[i], tb[j]);
        common += c == 0;
        i += c <= 0;
        j += c >= 0;
    }
    double f1 = 0;
    if (common > 0) {
        double p = (double)common / na, r = (double)common / nb;
        f1 = 2 * p * r / (p + r);
    }
    xfree(ta);
    xfree(tb);
    xfree(a);
    xfree(b);
    return f1;
}

void ft_squad_score(const char *pred, const char *const *golds, int n, double *em, double *f1)
{
    *em = *f1 = 0;
    for (int i = 0; i < n; i++) {
        double e = ft_squad_em(pred, golds[i]), f = ft_squad_f1(pred, golds[i]);
        *em = e > *em ? e : *em;
        *f1 = f > *f1 ? f : *f1;
    }
}
