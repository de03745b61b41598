/* tokenizer.c - see tokenizer.h. Words are collected as code points in
 * b->cps, normalised into b->norm, split at punctuation and handed to WordPiece.
 * Pure-ASCII words skip normalisation (NFD/NFC leave ASCII unchanged). */
#include "tokenizer.h"
#include "mem.h"
#include "unicode.h"

#include <string.h>

static void grow(int32_t **p, size_t *cap, size_t need)
{
    if (*cap >= need)
        return;
    size_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    *p = xrealloc(*p, xmul(c, sizeof **p));
    *cap = c;
}

/* Id of the special token spelled exactly by w[0..n), or -1. */
static int32_t special_word(const struct vocab *v, const int32_t *w, size_t n)
{
    if (n < 5 || n > 6 || w[0] != '[')
        return -1;
    char s[8];
    for (size_t i = 0; i < n; i++) {
        if (w[i] >= 128)
            return -1;
        s[i] = (char)w[i];
    }
    for (int k = 0; k < VOCAB_SPECIAL_COUNT; k++) {
        const char *lit = vocab_special_text((enum vocab_special)k);
        if (strlen(lit) == n && memcmp(lit, s, n) == 0)
            return vocab_special_id(v, (enum vocab_special)k);
    }
    return -1;
}

/* Step 4 and 5 for the word in b->cps[0..n). */
static void flush_word(const struct tokenizer *t, struct tok_buf *b, size_t n)
{
    if (n == 0)
        return;
    int32_t sid = special_word(t->vocab, b->cps, n);
    if (sid >= 0) {
        tok_buf_push(b, sid);
        return;
    }
    const int32_t *w = b->cps;
    int ascii = 1;
    for (size_t i = 0; i < n && ascii; i++)
        ascii = b->cps[i] < 128;
    if (!ascii) {
        size_t m = t->lowercase ? uni_nfd(b->cps, n, b->norm, b->norm_cap)
                                : uni_nfc(b->cps, n, b->norm, b->norm_cap);
        if (m > b->norm_cap) {
            grow(&b->norm, &b->norm_cap, m);
            m = t->lowercase ? uni_nfd(b->cps, n, b->norm, b->norm_cap)
                             : uni_nfc(b->cps, n, b->norm, b->norm_cap);
        }
        if (t->lowercase) { /* strip accents: drop nonspacing marks */
            size_t k = 0;
            for (size_t i = 0; i < m; i++)
                if (!(uni_class(b->norm[i]) & UNI_MN))
                    b->norm[k++] = b->norm[i];
            m = k;
        }
        w = b->norm;
        n = m;
    }
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(uni_class(w[i]) & UNI_PUNCT))
            continue;
        if (i > start)
            wordpiece_encode(t->vocab, w + start, i - start, b);
        wordpiece_encode(t->vocab, w + i, 1, b);
        start = i + 1;
    }
    if (n > start)
        wordpiece_encode(t->vocab, w + start, n - start, b);
}

/* Steps 2-5 for text without special-token literals. */
static void encode_chunk(const struct tokenizer *t, const unsigned char *s, size_t len,
                         struct tok_buf *b)
{
    size_t n = 0; /* code points of the current word in b->cps */
    size_t i = 0;
    while (i < len) {
        int32_t cp;
        size_t adv = 1;
        if (s[i] < 0x80) {
            cp = s[i];
        } else {
            cp = uni_decode(s + i, len - i, &adv);
            if (cp < 0) {
                i += adv;
                continue;
            }
        }
        i += adv;
        int32_t low[2];
        int k = 1;
        low[0] = cp;
        if (t->lowercase)
            k = uni_lower(cp, low);
        for (int j = 0; j < k; j++) {
            int32_t c = low[j];
            unsigned cls = uni_class(c);
            if (cls & UNI_DROP)
                continue;
            if (cls & UNI_SPACE) {
                flush_word(t, b, n);
                n = 0;
                continue;
            }
            if (cls & UNI_CJK) {
                flush_word(t, b, n);
                b->cps[0] = c;
                flush_word(t, b, 1);
                n = 0;
                continue;
            }
            grow(&b->cps, &b->cps_cap, n + 1);
            b->cps[n++] = c;
        }
    }
    flush_word(t, b, n);
}

void tokenizer_encode(const struct tokenizer *t, const char *text, size_t len, struct tok_buf *b)
{
    const unsigned char *s = (const unsigned char *)text;
    if (b->cps_cap == 0)
        grow(&b->cps, &b->cps_cap, 64);
    size_t pos = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '[')
            continue;
        for (int k = 0; k < VOCAB_SPECIAL_COUNT; k++) {
            const char *lit = vocab_special_text((enum vocab_special)k);
            size_t m = strlen(lit);
            if (m <= len - i && memcmp(s + i, lit, m) == 0) {
                encode_chunk(t, s + pos, i - pos, b);
                tok_buf_push(b, vocab_special_id(t->vocab, (enum vocab_special)k));
                pos = i + m;
                i = pos - 1;
                break;
            }
        }
    }
    encode_chunk(t, s + pos, len - pos, b);
}
