/* tok_buf.c - see tok_buf.h. */
#include "tok_buf.h"
#include "bpe.h"
#include "mem.h"

#include <string.h>

void tok_buf_init(struct tok_buf *b)
{
    memset(b, 0, sizeof *b);
}

void tok_buf_free(struct tok_buf *b)
{
    xfree(b->ids);
    xfree(b->cps);
    xfree(b->norm);
    xfree(b->bytes);
    xfree(b->offs);
    bpe_cache_free(b->bpe_cache);
    memset(b, 0, sizeof *b);
}

void tok_buf_push(struct tok_buf *b, int32_t id)
{
    if (b->n == b->cap) {
        b->cap = b->cap ? 2 * b->cap : 256;
        b->ids = xrealloc(b->ids, xmul(b->cap, sizeof *b->ids));
    }
    b->ids[b->n++] = id;
}

void tok_offsets_init(struct tok_offsets *o)
{
    memset(o, 0, sizeof *o);
}

void tok_offsets_free(struct tok_offsets *o)
{
    xfree(o->start);
    xfree(o->end);
    xfree(o->cs);
    xfree(o->ce);
    xfree(o->map);
    xfree(o->tmp);
    memset(o, 0, sizeof *o);
}

void tok_offsets_push(struct tok_offsets *o, uint32_t s, uint32_t e)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? 2 * o->cap : 256;
        o->start = xrealloc(o->start, xmul(o->cap, sizeof *o->start));
        o->end = xrealloc(o->end, xmul(o->cap, sizeof *o->end));
    }
    o->start[o->n] = s;
    o->end[o->n] = e;
    o->n++;
}
