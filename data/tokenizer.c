/* tokenizer.c - see tokenizer.h. Words are collected as code points in
 * b->cps, normalised into b->norm, split at punctuation and handed to WordPiece.
 * Pure-ASCII words skip normalisation (NFD/NFC leave ASCII unchanged).
 * With offsets (o != NULL) every collected code point also records the byte
 * range of the source character it came from, and every emitted id gets the
 * range from its first to its last source character. */
#include "tokenizer.h"
#include "fileio.h"
#include "mem.h"
#include "unicode.h"

#include <stdio.h>
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

/* ---- offsets bookkeeping ---- */

/* Makes room for source ranges of code points 0..need-1 of the current word. */
static void off_grow_word(struct tok_offsets *o, size_t need)
{
    if (o->c_cap >= need)
        return;
    size_t c = o->c_cap ? o->c_cap : 64;
    while (c < need)
        c *= 2;
    o->cs = xrealloc(o->cs, xmul(c, sizeof *o->cs));
    o->ce = xrealloc(o->ce, xmul(c, sizeof *o->ce));
    o->c_cap = c;
}

/* o->map[j] = the word's code point that normalised position j came from
 * (w[0..m) normalised from cps[0..n)); see the header for the fallback. */
static void off_build_map(const struct tokenizer *t, struct tok_buf *b, struct tok_offsets *o,
                          size_t n, const int32_t *w, size_t m)
{
    grow(&o->map, &o->map_cap, m + 1);
    if (w == b->cps) {
        for (size_t j = 0; j < m; j++)
            o->map[j] = (int32_t)j;
        return;
    }
    size_t pos = 0;
    int ok = 1;
    for (size_t i = 0; i < n && ok; i++) {
        size_t k = t->lowercase ? uni_nfd(&b->cps[i], 1, o->tmp, o->tmp_cap)
                                : uni_nfc(&b->cps[i], 1, o->tmp, o->tmp_cap);
        if (k > o->tmp_cap) {
            grow(&o->tmp, &o->tmp_cap, k);
            k = t->lowercase ? uni_nfd(&b->cps[i], 1, o->tmp, o->tmp_cap)
                             : uni_nfc(&b->cps[i], 1, o->tmp, o->tmp_cap);
        }
        for (size_t q = 0; q < k && ok; q++) {
            if (t->lowercase && (uni_class(o->tmp[q]) & UNI_MN))
                continue;
            ok = pos < m && w[pos] == o->tmp[q];
            if (ok)
                o->map[pos++] = (int32_t)i;
        }
    }
    if (ok && pos == m)
        return;
    for (size_t j = 0; j < m; j++) /* proportional fallback */
        o->map[j] = (int32_t)(j * n / m);
}

/* Code points of a vocabulary token's text, without a "##" prefix when cont. */
static size_t piece_chars(const struct vocab *v, int32_t id, int cont)
{
    size_t nb, c = 0;
    const char *s = vocab_token(v, id, &nb);
    for (size_t i = 0; i < nb; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return cont && c >= 2 ? c - 2 : c;
}

/* WordPiece on w[s..s+len) and, with offsets, the ranges of the new ids. */
static void emit(const struct tokenizer *t, struct tok_buf *b, struct tok_offsets *o,
                 const int32_t *w, size_t s, size_t len)
{
    size_t first = b->n;
    wordpiece_encode(t->vocab, w + s, len, b);
    if (!o)
        return;
    int32_t unk = vocab_special_id(t->vocab, VOCAB_UNK);
    size_t pos = s;
    for (size_t k = first; k < b->n; k++) {
        size_t c = b->ids[k] == unk ? len : piece_chars(t->vocab, b->ids[k], k > first);
        if (c == 0 || pos + c > s + len) /* cannot happen with a consistent vocabulary */
            c = s + len - pos;
        tok_offsets_push(o, o->cs[o->map[pos]], o->ce[o->map[pos + c - 1]]);
        pos += c;
    }
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
static void flush_word(const struct tokenizer *t, struct tok_buf *b, struct tok_offsets *o,
                       size_t n)
{
    if (n == 0)
        return;
    int32_t sid = special_word(t->vocab, b->cps, n);
    if (sid >= 0) {
        tok_buf_push(b, sid);
        if (o)
            tok_offsets_push(o, o->cs[0], o->ce[n - 1]);
        return;
    }
    const int32_t *w = b->cps;
    size_t src_n = n;
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
    size_t first = o ? o->n : 0;
    if (o)
        off_build_map(t, b, o, src_n, w, n);
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (!(uni_class(w[i]) & UNI_PUNCT))
            continue;
        if (i > start)
            emit(t, b, o, w, start, i - start);
        emit(t, b, o, w, i, 1);
        start = i + 1;
    }
    if (n > start)
        emit(t, b, o, w, start, n - start);
    if (o && o->n > first) { /* characters stripped at the word's ends belong to it */
        o->start[first] = o->cs[0];
        o->end[o->n - 1] = o->ce[src_n - 1];
    }
}

/* Appends code point c (from source bytes [s, e)) to the current word. */
static void word_push(struct tok_buf *b, struct tok_offsets *o, size_t n, int32_t c, size_t s,
                      size_t e)
{
    grow(&b->cps, &b->cps_cap, n + 1);
    b->cps[n] = c;
    if (o) {
        off_grow_word(o, n + 1);
        o->cs[n] = (uint32_t)s;
        o->ce[n] = (uint32_t)e;
    }
}

/* Steps 2-5 for text s[0..len) without special-token literals; base is the
 * byte offset of s in the caller's text. */
static void encode_chunk(const struct tokenizer *t, const unsigned char *s, size_t len,
                         size_t base, struct tok_buf *b, struct tok_offsets *o)
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
        size_t cs = base + i;
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
                flush_word(t, b, o, n);
                n = 0;
                continue;
            }
            if (cls & UNI_CJK) {
                flush_word(t, b, o, n);
                word_push(b, o, 0, c, cs, base + i);
                flush_word(t, b, o, 1);
                n = 0;
                continue;
            }
            word_push(b, o, n, c, cs, base + i);
            n++;
        }
    }
    flush_word(t, b, o, n);
}

static void encode(const struct tokenizer *t, const char *text, size_t len, struct tok_buf *b,
                   struct tok_offsets *o)
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
                encode_chunk(t, s + pos, i - pos, pos, b, o);
                tok_buf_push(b, vocab_special_id(t->vocab, (enum vocab_special)k));
                if (o)
                    tok_offsets_push(o, (uint32_t)i, (uint32_t)(i + m));
                pos = i + m;
                i = pos - 1;
                break;
            }
        }
    }
    encode_chunk(t, s + pos, len - pos, pos, b, o);
}

void tokenizer_encode(const struct tokenizer *t, const char *text, size_t len, struct tok_buf *b)
{
    if (t->bpe)
        bpe_encode(t->bpe, text, len, b, NULL);
    else
        encode(t, text, len, b, NULL);
}

void tokenizer_encode_offsets(const struct tokenizer *t, const char *text, size_t len,
                              struct tok_buf *b, struct tok_offsets *o)
{
    BT_CHECK(o->n == b->n, "tok_offsets (%zu) and tok_buf (%zu) are out of step", o->n, b->n);
    BT_CHECK(len < UINT32_MAX, "text of %zu bytes is too long for 32-bit offsets", len);
    if (t->bpe)
        bpe_encode(t->bpe, text, len, b, o);
    else
        encode(t, text, len, b, o);
}

/* ---- the files behind a tokenizer ---- */

int tok_model_open(struct tok_model *m, const char *kind, const char *vocab_path,
                   const char *merges_path, char *err)
{
    memset(m, 0, sizeof *m);
    if (kind && strcmp(kind, "wordpiece") != 0 && strcmp(kind, "bpe") != 0)
        return bt_errf(err, BT_EUSAGE, "--tokenizer '%s' must be wordpiece or bpe", kind);
    int rc = vocab_load(&m->vocab, vocab_path, err);
    if (rc != BT_OK)
        return rc;
    int bpe = vocab_kind(m->vocab) == VOCAB_BPE;
    if (kind && bpe != (strcmp(kind, "bpe") == 0)) {
        rc = bt_errf(err, BT_EUSAGE, "%s: --tokenizer %s needs %s, but this is a %s", vocab_path,
                     kind, bpe ? "a WordPiece vocab.txt" : "a BPE vocab.json",
                     bpe ? "JSON vocabulary (vocab.json)" : "WordPiece vocabulary (vocab.txt)");
    } else if (!bpe && merges_path) {
        rc = bt_errf(err, BT_EUSAGE, "--merges %s: merges only apply to --tokenizer bpe (%s is a "
                     "WordPiece vocabulary)", merges_path, vocab_path);
    } else if (bpe) {
        char beside[4200];
        if (!merges_path) {
            char dir[4096];
            file_dirname(vocab_path, dir, sizeof dir);
            snprintf(beside, sizeof beside, "%s/merges.txt", dir);
            merges_path = beside;
            if (!file_exists(beside))
                rc = bt_errf(err, BT_EUSAGE, "%s: no merges.txt beside the BPE vocabulary; pass "
                             "--merges FILE (RoBERTa uses GPT-2's merges.txt)", beside);
        }
        if (rc == BT_OK)
            rc = bpe_load(&m->bpe, m->vocab, merges_path, err);
    }
    if (rc != BT_OK)
        tok_model_close(m);
    return rc;
}

void tok_model_close(struct tok_model *m)
{
    bpe_free(m->bpe);
    vocab_free(m->vocab);
    memset(m, 0, sizeof *m);
}

struct tokenizer tok_model_tokenizer(const struct tok_model *m, int lowercase)
{
    struct tokenizer t = {m->vocab, m->bpe ? 0 : lowercase, m->bpe};
    return t;
}
