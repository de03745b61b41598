/* wordpiece.c - see wordpiece.h. */
#include "wordpiece.h"
#include "mem.h"
#include "unicode.h"

#include <string.h>

void wordpiece_encode(const struct vocab *v, const int32_t *w, size_t n, struct tok_buf *b)
{
    int32_t unk = vocab_special_id(v, VOCAB_UNK);
    if (n > WORDPIECE_MAX_CHARS) {
        tok_buf_push(b, unk);
        return;
    }
    /* UTF-8 bytes of the word and the byte offset of every code point. */
    if (b->bytes_cap < 4 * n) {
        b->bytes_cap = 4 * n;
        b->bytes = xrealloc(b->bytes, b->bytes_cap);
    }
    if (b->offs_cap < n + 1) {
        b->offs_cap = n + 1;
        b->offs = xrealloc(b->offs, xmul(b->offs_cap, sizeof *b->offs));
    }
    uint32_t len = 0;
    for (size_t i = 0; i < n; i++) {
        b->offs[i] = len;
        len += (uint32_t)uni_encode(w[i], b->bytes + len);
    }
    b->offs[n] = len;
    const char *s = (const char *)b->bytes;
    size_t maxlen = vocab_max_piece_len(v);
    size_t first = b->n;
    size_t start = 0;
    while (start < n) {
        size_t end = n;
        while (end > start && b->offs[end] - b->offs[start] > maxlen)
            end--;
        int32_t id = -1;
        for (; end > start; end--) {
            id = vocab_lookup(v, s + b->offs[start], b->offs[end] - b->offs[start], start > 0);
            if (id >= 0)
                break;
        }
        if (id < 0) {
            b->n = first; /* no piece fits here: the whole word is unknown */
            tok_buf_push(b, unk);
            return;
        }
        tok_buf_push(b, id);
        start = end;
    }
}
