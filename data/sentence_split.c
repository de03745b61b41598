/* sentence_split.c - see sentence_split.h. */
#include "sentence_split.h"
#include "mem.h"

#include <ctype.h>
#include <string.h>

enum {
    SS_TERM = 1,   /* . ? ! … */
    SS_DOT = 2,    /* exactly "." */
    SS_CLOSE = 4,  /* closing quotes and brackets */
    SS_ABBREV = 8, /* a word that a "." usually abbreviates, or a single letter */
    SS_DIGITS = 16,
};

static const char *const abbrevs[] = {"mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "rev",
                                      "gen", "col", "capt", "lt", "sgt", "vs", "etc", "no",
                                      "vol", "fig", "inc", "ltd", "co", "mt", "ft", "esq",
                                      "messrs", "viz", "cf", "al", "approx", "jan", "feb", "aug",
                                      "sept", "oct", "nov", "dec"};

static int eq_nocase(const char *a, size_t n, const char *b)
{
    if (strlen(b) != n)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (tolower((unsigned char)a[i]) != b[i])
            return 0;
    return 1;
}

static uint8_t classify(const char *t, size_t n)
{
    static const char *const terms[] = {".", "?", "!", "\xe2\x80\xa6"};
    static const char *const closers[] = {"\"", "'", ")", "]", "\xe2\x80\x9d", "\xe2\x80\x99",
                                          "\xc2\xbb"};
    uint8_t f = 0;
    for (size_t i = 0; i < sizeof terms / sizeof *terms; i++)
        if (strlen(terms[i]) == n && memcmp(t, terms[i], n) == 0)
            f |= SS_TERM | (i == 0 ? SS_DOT : 0);
    for (size_t i = 0; i < sizeof closers / sizeof *closers; i++)
        if (strlen(closers[i]) == n && memcmp(t, closers[i], n) == 0)
            f |= SS_CLOSE;
    if (n == 1 && isalpha((unsigned char)t[0]))
        f |= SS_ABBREV;
    for (size_t i = 0; i < sizeof abbrevs / sizeof *abbrevs; i++)
        if (eq_nocase(t, n, abbrevs[i]))
            f |= SS_ABBREV;
    int digits = n > 0;
    for (size_t i = 0; i < n; i++)
        digits &= isdigit((unsigned char)t[i]) != 0;
    if (digits)
        f |= SS_DIGITS;
    return f;
}

void sentence_splitter_init(struct sentence_splitter *s, const struct vocab *v)
{
    s->size = vocab_size(v);
    s->flags = xcalloc((size_t)s->size, 1);
    for (int32_t id = 0; id < s->size; id++) {
        size_t n;
        const char *t = vocab_token(v, id, &n);
        s->flags[id] = classify(t, n);
    }
}

void sentence_splitter_free(struct sentence_splitter *s)
{
    xfree(s->flags);
    memset(s, 0, sizeof *s);
}

static uint8_t fl(const struct sentence_splitter *s, int32_t id)
{
    return id >= 0 && id < s->size ? s->flags[id] : 0;
}

size_t sentence_split_next(const struct sentence_splitter *s, const int32_t *ids, size_t n)
{
    for (size_t i = 1; i < n; i++) { /* a sentence has at least one token before its end */
        if (!(fl(s, ids[i]) & SS_TERM))
            continue;
        size_t j = i; /* run of terminators, then closers */
        while (j + 1 < n && (fl(s, ids[j + 1]) & SS_TERM))
            j++;
        while (j + 1 < n && (fl(s, ids[j + 1]) & SS_CLOSE))
            j++;
        if (j + 1 >= n)
            return n;
        int single_dot = j == i && (fl(s, ids[i]) & SS_DOT);
        if (single_dot && (fl(s, ids[i - 1]) & SS_ABBREV)) {
            i = j;
            continue;
        }
        if (single_dot && (fl(s, ids[i - 1]) & SS_DIGITS) && (fl(s, ids[i + 1]) & SS_DIGITS)) {
            i = j;
            continue;
        }
        return j + 1;
    }
    return n;
}
