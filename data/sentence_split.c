/* sentence_split.c - see sentence_split.h. */
#include "sentence_split.h"
#include "bpe.h"
#include "mem.h"
#include "unicode.h"

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

/* Length of the terminator or closer that t starts with (0 if none). */
static size_t starts_with(const char *t, size_t n, const char *const *list, size_t k)
{
    for (size_t i = 0; i < k; i++) {
        size_t m = strlen(list[i]);
        if (m <= n && memcmp(t, list[i], m) == 0)
            return m;
    }
    return 0;
}

static uint8_t classify(const char *t, size_t n)
{
    static const char *const terms[] = {".", "?", "!", "\xe2\x80\xa6"};
    static const char *const closers[] = {"\"", "'", ")", "]", "\xe2\x80\x9d", "\xe2\x80\x99",
                                          "\xc2\xbb"};
    const size_t nt = sizeof terms / sizeof *terms, nc = sizeof closers / sizeof *closers;
    uint8_t f = 0;
    /* terminators then closers ("." "?!" ".\"" as one BPE token), or closers only */
    size_t i = 0, m, terms_len = 0;
    while (i < n && (m = starts_with(t + i, n - i, terms, nt)) > 0)
        i += m;
    terms_len = i;
    while (i < n && (m = starts_with(t + i, n - i, closers, nc)) > 0)
        i += m;
    if (n > 0 && i == n)
        f |= terms_len > 0 ? SS_TERM : SS_CLOSE;
    if (terms_len > 0 && i == n && terms_len < n)
        f |= SS_CLOSE;
    if (n == 1 && t[0] == '.')
        f |= SS_DOT;
    if (n == 1 && isalpha((unsigned char)t[0]))
        f |= SS_ABBREV;
    for (size_t k = 0; k < sizeof abbrevs / sizeof *abbrevs; k++)
        if (eq_nocase(t, n, abbrevs[k]))
            f |= SS_ABBREV;
    int digits = n > 0;
    for (size_t k = 0; k < n; k++)
        digits &= isdigit((unsigned char)t[k]) != 0;
    if (digits)
        f |= SS_DIGITS;
    return f;
}

/* A BPE token's text as bytes, without its leading space ("\xc4\xa0the" ->
 * "the"); returns the length, 0 for holes. */
static size_t bpe_text(const char *t, size_t n, char *out, size_t cap)
{
    size_t k = 0;
    const unsigned char *u = (const unsigned char *)t;
    for (size_t i = 0; i < n && k < cap;) {
        size_t adv;
        int32_t cp = uni_decode(u + i, n - i, &adv);
        int b = cp < 0 ? -1 : bpe_char_byte(cp);
        if (b >= 0 && !(k == 0 && b == ' '))
            out[k++] = (char)b;
        i += adv;
    }
    return k;
}

void sentence_splitter_init(struct sentence_splitter *s, const struct vocab *v)
{
    s->size = vocab_size(v);
    s->flags = xcalloc((size_t)s->size, 1);
    int bpe = vocab_kind(v) == VOCAB_BPE;
    char buf[256];
    for (int32_t id = 0; id < s->size; id++) {
        size_t n;
        const char *t = vocab_token(v, id, &n);
        if (!t || vocab_is_reserved(v, id))
            continue;
        int spaced = bpe && n >= 2 && memcmp(t, "\xc4\xa0", 2) == 0;
        if (bpe) {
            n = bpe_text(t, n, buf, sizeof buf);
            t = buf;
        }
        s->flags[id] = classify(t, n);
        if (spaced && !(s->flags[id] & SS_TERM)) /* ' "' opens a quote, it closes nothing */
            s->flags[id] &= (uint8_t)~SS_CLOSE;
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
