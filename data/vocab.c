/* vocab.c - see vocab.h. Open-addressing hash table over byte strings that
 * point into one copy of the file; the key carries a "continuation" bit. */
#include "vocab.h"
#include "fileio.h"
#include "mem.h"

#include <string.h>

struct vocab_slot {
    uint64_t hash; /* 0 = empty */
    uint32_t off;  /* key bytes: text + off */
    uint32_t len;
    int32_t id;
    int32_t cont;
};

struct vocab {
    char *text;       /* the file's bytes, NUL-terminated */
    size_t text_len;
    int size;         /* number of lines = number of ids */
    uint32_t *tok_off; /* (size) start of each token in text */
    uint32_t *tok_len; /* (size) */
    struct vocab_slot *slots;
    size_t cap;        /* power of two */
    size_t max_piece;
    int32_t special[VOCAB_SPECIAL_COUNT];
    uint64_t checksum;
};

static const char *const special_text[VOCAB_SPECIAL_COUNT] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]",
                                                              "[MASK]"};

const char *vocab_special_text(enum vocab_special s)
{
    return (s >= 0 && s < VOCAB_SPECIAL_COUNT) ? special_text[s] : "?";
}

uint64_t vocab_fnv1a64(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

static uint64_t key_hash(const char *s, size_t n, int cont)
{
    uint64_t h = vocab_fnv1a64(s, n) ^ (cont ? 0x9e3779b97f4a7c15ull : 0);
    h ^= h >> 29;
    return h ? h : 1;
}

static struct vocab_slot *find_slot(const struct vocab *v, const char *s, size_t n, int cont,
                                    uint64_t h)
{
    size_t mask = v->cap - 1;
    for (size_t i = (size_t)h & mask;; i = (i + 1) & mask) {
        struct vocab_slot *e = &v->slots[i];
        if (e->hash == 0)
            return e;
        if (e->hash == h && e->len == n && e->cont == cont && memcmp(v->text + e->off, s, n) == 0)
            return e;
    }
}

static void insert(struct vocab *v, uint32_t off, uint32_t len, int cont, int32_t id)
{
    uint64_t h = key_hash(v->text + off, len, cont);
    struct vocab_slot *e = find_slot(v, v->text + off, len, cont, h);
    e->hash = h;
    e->off = off;
    e->len = len;
    e->cont = cont;
    e->id = id; /* a duplicate keeps the last line, like a Python dict */
    if (len > v->max_piece)
        v->max_piece = len;
}

int32_t vocab_lookup(const struct vocab *v, const char *s, size_t n, int cont)
{
    if (n > v->max_piece)
        return -1;
    const struct vocab_slot *e = find_slot(v, s, n, cont, key_hash(s, n, cont));
    return e->hash ? e->id : -1;
}

int vocab_load_bytes(struct vocab **out, const char *bytes, size_t len, const char *name,
                     char *err)
{
    *out = NULL;
    if (len == 0)
        return bt_errf(err, BT_EFORMAT, "%s: vocabulary file is empty", name);
    if (len > 0x7fffffffu)
        return bt_errf(err, BT_EFORMAT, "%s: vocabulary file is larger than 2 GiB", name);
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += bytes[i] == '\n';
    if (bytes[len - 1] != '\n')
        lines++;
    struct vocab *v = xcalloc(1, sizeof *v);
    v->text = xmalloc(len + 1);
    memcpy(v->text, bytes, len);
    v->text[len] = '\0';
    v->text_len = len;
    v->size = (int)lines;
    v->tok_off = xcalloc(lines, sizeof(uint32_t));
    v->tok_len = xcalloc(lines, sizeof(uint32_t));
    v->cap = 16;
    while (v->cap < 4 * lines)
        v->cap *= 2;
    v->slots = xcalloc(v->cap, sizeof *v->slots);
    v->checksum = vocab_fnv1a64(bytes, len);
    size_t start = 0, line = 0;
    int has_cr = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && v->text[i] != '\n')
            continue;
        if (i == len && start == len)
            break; /* file ended with "\n": no extra empty token */
        uint32_t off = (uint32_t)start, n = (uint32_t)(i - start);
        has_cr |= n > 0 && v->text[off + n - 1] == '\r';
        v->tok_off[line] = off;
        v->tok_len[line] = n;
        insert(v, off, n, 0, (int32_t)line);
        if (n >= 2 && v->text[off] == '#' && v->text[off + 1] == '#')
            insert(v, off + 2, n - 2, 1, (int32_t)line);
        line++;
        start = i + 1;
    }
    for (int s = 0; s < VOCAB_SPECIAL_COUNT; s++) {
        v->special[s] = vocab_lookup(v, special_text[s], strlen(special_text[s]), 0);
        if (v->special[s] < 0) {
            int rc = bt_errf(err, BT_EFORMAT, "%s: vocabulary has no %s token%s", name,
                             special_text[s],
                             has_cr ? " (the file has CRLF line endings; tokens keep the CR)" : "");
            vocab_free(v);
            return rc;
        }
    }
    *out = v;
    return BT_OK;
}

int vocab_load(struct vocab **out, const char *path, char *err)
{
    char *buf;
    size_t n;
    *out = NULL;
    int rc = file_read_all(path, &buf, &n, err);
    if (rc != BT_OK)
        return rc;
    rc = vocab_load_bytes(out, buf, n, path, err);
    xfree(buf);
    return rc;
}

void vocab_free(struct vocab *v)
{
    if (!v)
        return;
    xfree(v->text);
    xfree(v->tok_off);
    xfree(v->tok_len);
    xfree(v->slots);
    xfree(v);
}

int vocab_size(const struct vocab *v)
{
    return v->size;
}

int32_t vocab_special_id(const struct vocab *v, enum vocab_special s)
{
    return v->special[s];
}

uint64_t vocab_checksum(const struct vocab *v)
{
    return v->checksum;
}

const char *vocab_bytes(const struct vocab *v, size_t *len)
{
    *len = v->text_len;
    return v->text;
}

size_t vocab_max_piece_len(const struct vocab *v)
{
    return v->max_piece;
}

const char *vocab_token(const struct vocab *v, int32_t id, size_t *n)
{
    if (id < 0 || id >= v->size)
        return NULL;
    *n = v->tok_len[id];
    return v->text + v->tok_off[id];
}

int vocab_is_bracketed(const struct vocab *v, int32_t id)
{
    size_t n;
    const char *t = vocab_token(v, id, &n);
    return t && n >= 3 && t[0] == '[' && t[n - 1] == ']';
}
