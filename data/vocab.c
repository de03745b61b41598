/* vocab.c - see vocab.h. Open-addressing hash table over byte strings that
 * point into one buffer of token names (vocab.txt: the file itself; vocab.json:
 * the decoded keys, back to back); the key carries a "continuation" bit. */
#include "vocab.h"
#include "fileio.h"
#include "json_util.h"
#include "mem.h"

#include <string.h>

struct vocab_slot {
    uint64_t hash; /* 0 = empty */
    uint32_t off;  /* key bytes: text + off */
    uint32_t len;
    int32_t id;
    int32_t cont;
};

#define NO_TOKEN UINT32_MAX /* tok_off of a hole (BPE ids nobody uses) */

struct vocab {
    enum vocab_kind kind;
    char *text;       /* the file's bytes, NUL-terminated */
    size_t text_len;
    char *names;      /* token names: text (WordPiece) or decoded JSON keys (BPE) */
    int size;         /* number of ids */
    uint32_t *tok_off; /* (size) start of each token in names, NO_TOKEN for a hole */
    uint32_t *tok_len; /* (size) */
    struct vocab_slot *slots;
    size_t cap;        /* power of two */
    size_t max_piece;
    int32_t special[VOCAB_SPECIAL_COUNT];
    uint64_t checksum;
};

static const char *const special_text[VOCAB_SPECIAL_COUNT] = {"[PAD]", "[UNK]", "[CLS]", "[SEP]",
                                                              "[MASK]"};
static const char *const bpe_special_text[VOCAB_SPECIAL_COUNT] = {"<pad>", "<unk>", "<s>", "</s>",
                                                                  "<mask>"};
#define BPE_SPACE "\xc4\xa0" /* U+0120 "Ġ": a space in byte-to-unicode form */

const char *vocab_special_text(enum vocab_special s)
{
    return (s >= 0 && s < VOCAB_SPECIAL_COUNT) ? special_text[s] : "?";
}

const char *vocab_special_name(const struct vocab *v, enum vocab_special s)
{
    if (s < 0 || s >= VOCAB_SPECIAL_COUNT)
        return "?";
    return v->kind == VOCAB_BPE ? bpe_special_text[s] : special_text[s];
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
        if (e->hash == h && e->len == n && e->cont == cont && memcmp(v->names + e->off, s, n) == 0)
            return e;
    }
}

static void insert(struct vocab *v, uint32_t off, uint32_t len, int cont, int32_t id)
{
    uint64_t h = key_hash(v->names + off, len, cont);
    struct vocab_slot *e = find_slot(v, v->names + off, len, cont, h);
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

static void alloc_table(struct vocab *v, size_t entries)
{
    v->cap = 16;
    while (v->cap < 4 * entries)
        v->cap *= 2;
    v->slots = xcalloc(v->cap, sizeof *v->slots);
}

/* vocab.json: {"token": id, ...}. */
static int load_json(struct vocab *v, const char *name, char *err)
{
    char jerr[BT_ERR_LEN];
    json_t *root = jsonu_loads(v->text, v->text_len, name, jerr);
    if (!root)
        return bt_errf(err, BT_EUSAGE, "%s", jerr);
    int rc = BT_OK;
    if (!json_is_object(root) || json_object_size(root) == 0) {
        rc = bt_errf(err, BT_EUSAGE, "%s: expected a JSON object of token -> id, found %s%s",
                     name, json_is_object(root) ? "an empty " : "", jsonu_type_name(root));
        json_decref(root);
        return rc;
    }
    size_t n = json_object_size(root), bytes = 0;
    long long max_id = -1;
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val) {
        long long id = json_is_integer(val) ? json_integer_value(val) : -1;
        if (id < 0 || id > 0x7ffffffe) {
            rc = bt_errf(err, BT_EUSAGE, "%s: the id of token \"%.80s\" must be an integer in "
                         "0..2147483646, found %s", name, key, jsonu_type_name(val));
            break;
        }
        max_id = id > max_id ? id : max_id;
        bytes += strlen(key) + 1;
    }
    if (rc == BT_OK && bytes > 0x7fffffffu)
        rc = bt_errf(err, BT_EUSAGE, "%s: token names larger than 2 GiB", name);
    if (rc != BT_OK) {
        json_decref(root);
        return rc;
    }
    v->size = (int)(max_id + 1);
    v->names = xmalloc(bytes + 1);
    v->tok_off = xmalloc(xmul((size_t)v->size, sizeof(uint32_t)));
    v->tok_len = xcalloc((size_t)v->size, sizeof(uint32_t));
    for (int i = 0; i < v->size; i++)
        v->tok_off[i] = NO_TOKEN;
    alloc_table(v, n);
    size_t off = 0;
    json_object_foreach(root, key, val) {
        size_t k = strlen(key);
        int32_t id = (int32_t)json_integer_value(val);
        memcpy(v->names + off, key, k + 1);
        v->tok_off[id] = (uint32_t)off; /* an id given twice names its last token */
        v->tok_len[id] = (uint32_t)k;
        insert(v, (uint32_t)off, (uint32_t)k, 0, id);
        off += k + 1;
    }
    json_decref(root);
    for (int s = 0; s < VOCAB_SPECIAL_COUNT; s++)
        v->special[s] = vocab_lookup(v, bpe_special_text[s], strlen(bpe_special_text[s]), 0);
    return BT_OK;
}

/* A vocabulary of the given kind holding a copy of the file's bytes. */
static struct vocab *new_vocab(enum vocab_kind kind, const char *bytes, size_t len)
{
    struct vocab *v = xcalloc(1, sizeof *v);
    v->kind = kind;
    v->text = xmalloc(len + 1);
    memcpy(v->text, bytes, len);
    v->text[len] = '\0';
    v->text_len = len;
    v->checksum = vocab_fnv1a64(bytes, len);
    return v;
}

static int load_bytes(struct vocab **out, const char *bytes, size_t len, const char *name,
                      int json, char *err)
{
    *out = NULL;
    if (len == 0)
        return bt_errf(err, BT_EFORMAT, "%s: vocabulary file is empty", name);
    if (len > 0x7fffffffu)
        return bt_errf(err, BT_EFORMAT, "%s: vocabulary file is larger than 2 GiB", name);
    size_t first = 0;
    while (first < len && (bytes[first] == ' ' || bytes[first] == '\t' || bytes[first] == '\n' ||
                           bytes[first] == '\r'))
        first++;
    if (json || (first < len && bytes[first] == '{')) {
        struct vocab *v = new_vocab(VOCAB_BPE, bytes, len);
        int rc = load_json(v, name, err);
        if (rc != BT_OK) {
            vocab_free(v);
            return rc;
        }
        *out = v;
        return BT_OK;
    }
    size_t lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += bytes[i] == '\n';
    if (bytes[len - 1] != '\n')
        lines++;
    struct vocab *v = new_vocab(VOCAB_WORDPIECE, bytes, len);
    v->names = v->text;
    v->size = (int)lines;
    v->tok_off = xcalloc(lines, sizeof(uint32_t));
    v->tok_len = xcalloc(lines, sizeof(uint32_t));
    alloc_table(v, lines);
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

int vocab_load_bytes(struct vocab **out, const char *bytes, size_t len, const char *name,
                     char *err)
{
    return load_bytes(out, bytes, len, name, 0, err);
}

int vocab_load(struct vocab **out, const char *path, char *err)
{
    char *buf;
    size_t n;
    *out = NULL;
    int rc = file_read_all(path, &buf, &n, err);
    if (rc != BT_OK)
        return rc;
    size_t pl = strlen(path);
    rc = load_bytes(out, buf, n, path, pl >= 5 && strcmp(path + pl - 5, ".json") == 0, err);
    xfree(buf);
    return rc;
}

void vocab_free(struct vocab *v)
{
    if (!v)
        return;
    if (v->names != v->text)
        xfree(v->names);
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

enum vocab_kind vocab_kind(const struct vocab *v)
{
    return v->kind;
}

int32_t vocab_special_id(const struct vocab *v, enum vocab_special s)
{
    return v->special[s];
}

int vocab_check_specials(const struct vocab *v, const char *name, char *err)
{
    for (int s = 0; s < VOCAB_SPECIAL_COUNT; s++)
        if (v->special[s] < 0)
            return bt_errf(err, BT_EUSAGE,
                           "%s: vocabulary has no %s token, which shards need (a GPT-2 vocab.json "
                           "has none of <s> </s> <pad> <mask>; use RoBERTa's)",
                           name, vocab_special_name(v, (enum vocab_special)s));
    return BT_OK;
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
    if (id < 0 || id >= v->size || v->tok_off[id] == NO_TOKEN)
        return NULL;
    *n = v->tok_len[id];
    return v->names + v->tok_off[id];
}

int vocab_is_reserved(const struct vocab *v, int32_t id)
{
    size_t n;
    const char *t = vocab_token(v, id, &n);
    if (!t)
        return 1;
    if (v->kind == VOCAB_WORDPIECE)
        return n >= 3 && t[0] == '[' && t[n - 1] == ']';
    for (int s = 0; s < VOCAB_SPECIAL_COUNT; s++)
        if (id == v->special[s])
            return 1;
    return n == 13 && memcmp(t, "<|endoftext|>", 13) == 0;
}

int vocab_is_continuation(const struct vocab *v, int32_t id)
{
    size_t n;
    const char *t = vocab_token(v, id, &n);
    if (!t || vocab_is_reserved(v, id))
        return 0;
    if (v->kind == VOCAB_WORDPIECE)
        return n >= 2 && t[0] == '#' && t[1] == '#';
    return !(n >= 2 && memcmp(t, BPE_SPACE, 2) == 0);
}
