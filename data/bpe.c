/* bpe.c - see bpe.h. Symbols are vocabulary ids (a byte whose character the
 * vocabulary lacks gets the pseudo id size + byte); the merge table maps a
 * pair of symbols to (rank, result id) in an open-addressing hash table. */
#include "bpe.h"
#include "fileio.h"
#include "mem.h"
#include "unicode.h"

#include <stdatomic.h>
#include <string.h>

#define MAX_SPECIALS 6
#define CACHE_SLOTS (1u << 15)
#define CACHE_MAX_ENTRIES (CACHE_SLOTS / 2)
#define CACHE_MAX_KEY 64
#define NO_RANK INT32_MAX

struct merge_slot {
    uint64_t key; /* (a + 1) << 32 | (b + 1); 0 = empty */
    int32_t rank, result;
};

struct special {
    const char *text;
    size_t len;
    int32_t id;
    int lstrip;
};

struct bpe {
    uint64_t serial; /* unique per loaded model: caches know whose words they hold */
    const struct vocab *v;
    int32_t byte_sym[256];
    int32_t unk; /* id for symbols outside the vocabulary */
    int32_t vsize;
    struct merge_slot *slots;
    size_t cap;
    int n_merges;
    struct special sp[MAX_SPECIALS];
    int n_sp;
    uint64_t checksum;
};

/* ---- byte map -------------------------------------------------------------- */

static int printable(unsigned b)
{
    return (b >= 33 && b <= 126) || (b >= 161 && b <= 172) || (b >= 174 && b <= 255);
}

int32_t bpe_byte_char(unsigned b)
{
    b &= 0xff;
    if (printable(b))
        return (int32_t)b;
    if (b <= 32)
        return 256 + (int32_t)b;
    if (b <= 160)
        return 256 + 33 + (int32_t)(b - 127);
    return 256 + 67; /* 173 */
}

int bpe_char_byte(int32_t cp)
{
    if (cp >= 0 && cp < 256)
        return printable((unsigned)cp) ? (int)cp : -1;
    int n = (int)cp - 256;
    if (n < 0 || n > 67)
        return -1;
    return n < 33 ? n : n < 67 ? 127 + (n - 33) : 173;
}

/* ---- merge table ------------------------------------------------------------ */

static uint64_t pair_key(int32_t a, int32_t b)
{
    return ((uint64_t)(uint32_t)(a + 1) << 32) | (uint32_t)(b + 1);
}

static size_t key_slot(uint64_t k, size_t mask)
{
    k ^= k >> 31;
    k *= 0x9e3779b97f4a7c15ull;
    return (size_t)(k >> 17) & mask;
}

static struct merge_slot *find_pair(const struct bpe *m, uint64_t k)
{
    size_t mask = m->cap - 1;
    for (size_t i = key_slot(k, mask);; i = (i + 1) & mask)
        if (m->slots[i].key == k || m->slots[i].key == 0)
            return &m->slots[i];
}

static int32_t pair_rank(const struct bpe *m, int32_t a, int32_t b, int32_t *result)
{
    const struct merge_slot *e = find_pair(m, pair_key(a, b));
    if (!e->key)
        return NO_RANK;
    *result = e->result;
    return e->rank;
}

/* Symbol of a merges.txt operand: a vocabulary token or a byte's character. */
static int32_t symbol_of(const struct bpe *m, const char *s, size_t n)
{
    int32_t id = vocab_lookup(m->v, s, n, 0);
    if (id >= 0)
        return id;
    size_t adv;
    int32_t cp = uni_decode((const unsigned char *)s, n, &adv);
    int b = cp >= 0 && adv == n ? bpe_char_byte(cp) : -1;
    return b >= 0 ? m->byte_sym[b] : -1;
}

static int parse_merges(struct bpe *m, const char *bytes, size_t len, const char *name,
                        char *err)
{
    size_t lines = 1;
    for (size_t i = 0; i < len; i++)
        lines += bytes[i] == '\n';
    m->cap = 16;
    while (m->cap < 3 * lines)
        m->cap *= 2;
    m->slots = xcalloc(m->cap, sizeof *m->slots);
    char *cat = NULL;
    size_t cat_cap = 0;
    int rc = BT_OK;
    size_t line = 0;
    for (size_t i = 0; i < len && rc == BT_OK;) {
        const char *e = memchr(bytes + i, '\n', len - i);
        size_t end = e ? (size_t)(e - bytes) : len, n = end - i;
        const char *s = bytes + i;
        i = end + 1;
        line++;
        if (n && s[n - 1] == '\r')
            n--;
        if (line == 1 && n >= 8 && memcmp(s, "#version", 8) == 0)
            continue;
        const char *f[3];
        size_t fl[3];
        int nf = 0;
        for (size_t k = 0; k < n;) { /* fields separated by spaces or tabs */
            while (k < n && (s[k] == ' ' || s[k] == '\t'))
                k++;
            if (k == n)
                break;
            size_t st = k;
            while (k < n && s[k] != ' ' && s[k] != '\t')
                k++;
            if (nf < 3) {
                f[nf] = s + st;
                fl[nf] = k - st;
            }
            nf++;
        }
        if (nf == 0)
            continue; /* blank line */
        if (nf != 2) {
            rc = bt_errf(err, BT_EUSAGE, "%s:%zu: expected two symbols separated by a space, "
                         "found %d field%s: \"%.*s\"", name, line, nf, nf == 1 ? "" : "s",
                         (int)(n < 60 ? n : 60), s);
            break;
        }
        if (fl[0] + fl[1] > cat_cap) {
            cat_cap = 2 * (fl[0] + fl[1]);
            cat = xrealloc(cat, cat_cap);
        }
        memcpy(cat, f[0], fl[0]);
        memcpy(cat + fl[0], f[1], fl[1]);
        int32_t r = vocab_lookup(m->v, cat, fl[0] + fl[1], 0);
        if (r < 0) {
            rc = bt_errf(err, BT_EUSAGE, "%s:%zu: the merge \"%.*s %.*s\" makes \"%.*s\", which "
                         "the vocabulary does not have", name, line, (int)fl[0], f[0],
                         (int)fl[1], f[1], (int)(fl[0] + fl[1]), cat);
            break;
        }
        int32_t a = symbol_of(m, f[0], fl[0]), b = symbol_of(m, f[1], fl[1]);
        int rank = m->n_merges++;
        if (a < 0 || b < 0)
            continue; /* can never apply */
        struct merge_slot *sl = find_pair(m, pair_key(a, b));
        sl->key = pair_key(a, b);
        sl->rank = rank;
        sl->result = r;
    }
    xfree(cat);
    return rc;
}

/* ---- loading ---------------------------------------------------------------- */

static void add_special(struct bpe *m, const char *text, int32_t id, int lstrip)
{
    if (id < 0 || m->n_sp == MAX_SPECIALS)
        return;
    struct special s = {text, strlen(text), id, lstrip};
    m->sp[m->n_sp++] = s;
}

int bpe_load_bytes(struct bpe **out, const struct vocab *v, const char *bytes, size_t len,
                   const char *name, char *err)
{
    *out = NULL;
    if (vocab_kind(v) != VOCAB_BPE)
        return bt_errf(err, BT_EUSAGE, "%s: byte-level BPE needs a vocab.json vocabulary, not a "
                       "WordPiece vocab.txt", name);
    static atomic_uint_fast64_t next_serial;
    struct bpe *m = xcalloc(1, sizeof *m);
    m->serial = (uint64_t)atomic_fetch_add(&next_serial, 1) + 1;
    m->v = v;
    m->vsize = vocab_size(v);
    m->checksum = vocab_fnv1a64(bytes, len);
    int32_t eot = vocab_lookup(v, "<|endoftext|>", 13, 0);
    m->unk = vocab_special_id(v, VOCAB_UNK) >= 0 ? vocab_special_id(v, VOCAB_UNK) : eot;
    int rc = BT_OK;
    for (unsigned b = 0; b < 256; b++) {
        unsigned char u[4];
        size_t k = uni_encode(bpe_byte_char(b), u);
        int32_t id = vocab_lookup(v, (const char *)u, k, 0);
        m->byte_sym[b] = id >= 0 ? id : m->vsize + (int32_t)b;
        if (id < 0 && m->unk < 0 && rc == BT_OK)
            rc = bt_errf(err, BT_EUSAGE, "the vocabulary has no token for byte 0x%02x (\"%.*s\") "
                         "and no <unk> to stand for it", b, (int)k, (const char *)u);
    }
    if (rc == BT_OK)
        rc = parse_merges(m, bytes, len, name, err);
    if (rc != BT_OK) {
        bpe_free(m);
        return rc;
    }
    for (int s = 0; s < VOCAB_SPECIAL_COUNT; s++)
        add_special(m, vocab_special_name(v, (enum vocab_special)s),
                    vocab_special_id(v, (enum vocab_special)s), s == VOCAB_MASK);
    if (vocab_special_id(v, VOCAB_UNK) < 0)
        add_special(m, "<|endoftext|>", eot, 0);
    *out = m;
    return BT_OK;
}

int bpe_load(struct bpe **out, const struct vocab *v, const char *merges_path, char *err)
{
    char *buf;
    size_t n;
    *out = NULL;
    int rc = file_read_all(merges_path, &buf, &n, err);
    if (rc != BT_OK)
        return rc;
    rc = bpe_load_bytes(out, v, buf, n, merges_path, err);
    xfree(buf);
    return rc;
}

void bpe_free(struct bpe *m)
{
    if (!m)
        return;
    xfree(m->slots);
    xfree(m);
}

int bpe_n_merges(const struct bpe *m)
{
    return m->n_merges;
}

uint64_t bpe_checksum(const struct bpe *m)
{
    return m->checksum;
}

/* ---- pre-tokenizer ----------------------------------------------------------- */

static int32_t cp_at(const unsigned char *s, size_t len, size_t i, size_t *adv)
{
    if (s[i] < 0x80) {
        *adv = 1;
        return s[i];
    }
    return uni_decode(s + i, len - i, adv);
}

size_t bpe_pretoken_end(const unsigned char *s, size_t len, size_t pos)
{
    if (s[pos] == '\'' && pos + 1 < len) { /* 's 't 're 've 'm 'll 'd */
        unsigned char c1 = s[pos + 1], c2 = pos + 2 < len ? s[pos + 2] : 0;
        if (c1 == 's' || c1 == 't' || c1 == 'm' || c1 == 'd')
            return pos + 2;
        if ((c1 == 'r' && c2 == 'e') || (c1 == 'v' && c2 == 'e') || (c1 == 'l' && c2 == 'l'))
            return pos + 3;
    }
    size_t adv, p = pos;
    if (s[pos] == ' ' && pos + 1 < len)
        p = pos + 1; /* " ?" then a run of one class */
    enum uni_bpe_class k = uni_bpe_class(cp_at(s, len, p, &adv));
    if (k == UNI_BPE_SPACE && p != pos) { /* a space followed by whitespace */
        p = pos;
        k = UNI_BPE_SPACE;
        adv = 1;
    }
    if (k != UNI_BPE_SPACE) {
        size_t q = p + adv;
        while (q < len && uni_bpe_class(cp_at(s, len, q, &adv)) == k)
            q += adv;
        return q;
    }
    size_t q = pos, last = pos; /* \s+(?!\S) | \s+ */
    while (q < len && uni_bpe_class(cp_at(s, len, q, &adv)) == UNI_BPE_SPACE) {
        last = q;
        q += adv;
    }
    if (q == len || last == pos)
        return q;
    return last; /* leave the last whitespace character to the next word */
}

/* ---- word cache --------------------------------------------------------------- */

struct cache_slot {
    uint64_t hash; /* 0 = empty */
    uint32_t key_off, val_off;
    uint16_t key_len, n;
};

struct bpe_cache {
    uint64_t owner; /* serial of the model the entries belong to */
    struct cache_slot *slots; /* CACHE_SLOTS */
    size_t count;
    char *keys;
    size_t keys_n, keys_cap;
    int32_t *ids, *blen; /* each entry's tokens and their byte lengths */
    size_t vals_n, vals_cap;
};

void bpe_cache_free(struct bpe_cache *c)
{
    if (!c)
        return;
    xfree(c->slots);
    xfree(c->keys);
    xfree(c->ids);
    xfree(c->blen);
    xfree(c);
}

static void cache_reset(struct bpe_cache *c, const struct bpe *owner)
{
    memset(c->slots, 0, CACHE_SLOTS * sizeof *c->slots);
    c->count = c->keys_n = c->vals_n = 0;
    c->owner = owner->serial;
}

static struct bpe_cache *cache_get(struct tok_buf *b, const struct bpe *m)
{
    if (!b->bpe_cache) {
        b->bpe_cache = xcalloc(1, sizeof *b->bpe_cache);
        b->bpe_cache->slots = xcalloc(CACHE_SLOTS, sizeof *b->bpe_cache->slots);
    }
    if (b->bpe_cache->owner != m->serial)
        cache_reset(b->bpe_cache, m);
    return b->bpe_cache;
}

static struct cache_slot *cache_find(struct bpe_cache *c, const unsigned char *w, size_t n,
                                     uint64_t h)
{
    for (size_t i = (size_t)(h >> 20) & (CACHE_SLOTS - 1);; i = (i + 1) & (CACHE_SLOTS - 1)) {
        struct cache_slot *e = &c->slots[i];
        if (e->hash == 0 ||
            (e->hash == h && e->key_len == n && memcmp(c->keys + e->key_off, w, n) == 0))
            return e;
    }
}

static void cache_put(struct bpe_cache *c, struct cache_slot *e, uint64_t h,
                      const unsigned char *w, size_t n, const int32_t *ids,
                      const int32_t *blen, size_t k)
{
    if (c->keys_n + n > c->keys_cap) {
        c->keys_cap = c->keys_cap ? 2 * c->keys_cap : 1 << 16;
        c->keys = xrealloc(c->keys, c->keys_cap);
    }
    if (c->vals_n + k > c->vals_cap) {
        c->vals_cap = c->vals_cap ? 2 * c->vals_cap : 1 << 15;
        c->ids = xrealloc(c->ids, xmul(c->vals_cap, sizeof *c->ids));
        c->blen = xrealloc(c->blen, xmul(c->vals_cap, sizeof *c->blen));
    }
    memcpy(c->keys + c->keys_n, w, n);
    memcpy(c->ids + c->vals_n, ids, k * sizeof *ids);
    memcpy(c->blen + c->vals_n, blen, k * sizeof *blen);
    e->hash = h;
    e->key_off = (uint32_t)c->keys_n;
    e->key_len = (uint16_t)n;
    e->val_off = (uint32_t)c->vals_n;
    e->n = (uint16_t)k;
    c->keys_n += n;
    c->vals_n += k;
    c->count++;
}

/* ---- merging -------------------------------------------------------------------- */

static void grow_i32(int32_t **p, size_t *cap, size_t need)
{
    if (*cap >= need)
        return;
    size_t c = *cap ? *cap : 256;
    while (c < need)
        c *= 2;
    *p = xrealloc(*p, xmul(c, sizeof **p));
    *cap = c;
}

/* Emits ids with offsets: token j covers blen[j] bytes of the word, whose
 * first byte is at cleaned position at; map (or NULL: identity) gives the
 * source position of each cleaned byte. */
static void emit(const struct bpe *m, struct tok_buf *b, struct tok_offsets *o,
                 const int32_t *ids, const int32_t *blen, size_t k, size_t at,
                 const uint32_t *map)
{
    for (size_t j = 0; j < k; j++) {
        int32_t id = ids[j] < m->vsize ? ids[j] : m->unk;
        size_t nb = (size_t)blen[j];
        tok_buf_push(b, id);
        if (o) {
            size_t s = map ? map[at] : at, e = map ? map[at + nb - 1] + 1 : at + nb;
            tok_offsets_push(o, (uint32_t)s, (uint32_t)e);
        }
        at += nb;
    }
}

/* BPE of one pre-token w[0..n) (n <= BPE_MAX_WORD). Scratch: b->cps holds the
 * symbols, b->norm their byte lengths and (second half) the pair ranks. */
static void encode_word(const struct bpe *m, const unsigned char *w, size_t n, size_t at,
                        const uint32_t *map, struct tok_buf *b, struct tok_offsets *o)
{
    struct bpe_cache *c = NULL;
    struct cache_slot *slot = NULL;
    uint64_t h = 0;
    if (n <= CACHE_MAX_KEY) {
        c = cache_get(b, m);
        h = vocab_fnv1a64(w, n) | 1;
        slot = cache_find(c, w, n, h);
        if (slot->hash) {
            emit(m, b, o, c->ids + slot->val_off, c->blen + slot->val_off, slot->n, at, map);
            return;
        }
    }
    grow_i32(&b->cps, &b->cps_cap, n);
    grow_i32(&b->norm, &b->norm_cap, 2 * n);
    int32_t *sym = b->cps, *blen = b->norm, *rank = b->norm + n;
    int32_t res;
    for (size_t i = 0; i < n; i++) {
        sym[i] = m->byte_sym[w[i]];
        blen[i] = 1;
    }
    for (size_t i = 0; i + 1 < n; i++)
        rank[i] = pair_rank(m, sym[i], sym[i + 1], &res);
    size_t k = n;
    while (k > 1) {
        int32_t best = NO_RANK;
        size_t bi = 0;
        for (size_t i = 0; i + 1 < k; i++)
            if (rank[i] < best) {
                best = rank[i];
                bi = i;
            }
        if (best == NO_RANK)
            break;
        int32_t first = sym[bi], second = sym[bi + 1], merged = -1;
        pair_rank(m, first, second, &merged);
        /* merge every non-overlapping occurrence, left to right; a merged
         * symbol is marked by a negative byte length until ranks are redone */
        size_t j = 0;
        for (size_t i = 0; i < k; j++) {
            if (i + 1 < k && sym[i] == first && sym[i + 1] == second) {
                sym[j] = merged;
                blen[j] = -(blen[i] + blen[i + 1]);
                rank[j] = NO_RANK;
                i += 2;
            } else {
                sym[j] = sym[i];
                blen[j] = blen[i];
                rank[j] = i + 1 < k ? rank[i] : NO_RANK; /* valid unless a neighbour merged */
                i++;
            }
        }
        k = j;
        for (size_t i = 0; i < k; i++) {
            if (blen[i] >= 0)
                continue;
            blen[i] = -blen[i];
            if (i > 0)
                rank[i - 1] = pair_rank(m, sym[i - 1], sym[i], &res);
            if (i + 1 < k)
                rank[i] = pair_rank(m, sym[i], sym[i + 1], &res);
        }
        /* a pair whose right symbol merged but left did not was fixed above;
         * one whose left merged is fixed when i reaches it */
    }
    emit(m, b, o, sym, blen, k, at, map);
    if (c) { /* k <= n <= CACHE_MAX_KEY */
        if (c->count >= CACHE_MAX_ENTRIES) {
            cache_reset(c, m);
            slot = cache_find(c, w, n, h);
        }
        cache_put(c, slot, h, w, n, sym, blen, k);
    }
}

/* Pre-tokens of s[lo..hi) (at: cleaned position of s[0]). */
static void encode_stretch(const struct bpe *m, const unsigned char *s, size_t lo, size_t hi,
                           const uint32_t *map, struct tok_buf *b, struct tok_offsets *o)
{
    size_t p = lo;
    while (p < hi) {
        size_t e = lo + bpe_pretoken_end(s + lo, hi - lo, p - lo);
        for (size_t q = p; q < e; q += BPE_MAX_WORD)
            encode_word(m, s + q, e - q < BPE_MAX_WORD ? e - q : BPE_MAX_WORD, q, map, b, o);
        p = e;
    }
}

/* Start of the UTF-8 character that ends at s[end - 1]. */
static size_t prev_char(const unsigned char *s, size_t lo, size_t end)
{
    size_t i = end - 1;
    while (i > lo && (s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

void bpe_encode(const struct bpe *m, const char *text, size_t len, struct tok_buf *b,
                struct tok_offsets *o)
{
    const unsigned char *s = (const unsigned char *)text;
    const uint32_t *map = NULL;
    size_t n = len, i = 0;
    for (size_t adv; i < len; i += adv)
        if (cp_at(s, len, i, &adv) < 0)
            break;
    if (i < len) { /* ill-formed bytes: tokenize the text without them */
        if (b->bytes_cap < len) {
            b->bytes_cap = len;
            b->bytes = xrealloc(b->bytes, len);
        }
        if (o && b->offs_cap < len) {
            b->offs_cap = len;
            b->offs = xrealloc(b->offs, xmul(len, sizeof *b->offs));
        }
        n = 0;
        for (size_t adv, j = 0; j < len; j += adv) {
            if (cp_at(s, len, j, &adv) < 0)
                continue;
            for (size_t q = 0; q < adv; q++, n++) {
                b->bytes[n] = s[j + q];
                if (o)
                    b->offs[n] = (uint32_t)(j + q);
            }
        }
        s = b->bytes;
        map = o ? b->offs : NULL;
    }
    size_t pos = 0;
    for (i = 0; i < n; i++) {
        if (s[i] != '<')
            continue;
        for (int k = 0; k < m->n_sp; k++) {
            const struct special *sp = &m->sp[k];
            if (sp->len > n - i || memcmp(s + i, sp->text, sp->len) != 0)
                continue;
            size_t end = i;
            if (sp->lstrip) { /* str.rstrip() of the text before it */
                size_t adv;
                while (end > pos) {
                    size_t st = prev_char(s, pos, end);
                    if (!uni_is_pyspace(cp_at(s, n, st, &adv)))
                        break;
                    end = st;
                }
            }
            encode_stretch(m, s, pos, end, map, b, o);
            tok_buf_push(b, sp->id);
            if (o)
                tok_offsets_push(o, map ? map[i] : (uint32_t)i,
                                 map ? map[i + sp->len - 1] + 1 : (uint32_t)(i + sp->len));
            pos = i + sp->len;
            i = pos - 1;
            break;
        }
    }
    encode_stretch(m, s, pos, n, map, b, o);
}
