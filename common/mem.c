/* mem.c - see mem.h. */
#include "mem.h"
#include "check.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

size_t xmul(size_t a, size_t b)
{
    BT_CHECK(b == 0 || a <= SIZE_MAX / b, "size overflow: %zu * %zu", a, b);
    return a * b;
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    BT_CHECK(p, "out of memory allocating %zu bytes", n);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    BT_CHECK(p, "out of memory allocating %zu x %zu bytes", count, size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    BT_CHECK(q, "out of memory reallocating to %zu bytes", n);
    return q;
}

void *xaligned_alloc(size_t n)
{
    void *p = NULL;
    size_t sz = (n + 63) & ~(size_t)63;
    BT_CHECK(posix_memalign(&p, 64, sz ? sz : 64) == 0, "out of memory allocating %zu bytes", n);
    memset(p, 0, sz ? sz : 64);
    return p;
}

char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = xmalloc(n);
    memcpy(d, s, n);
    return d;
}

void xfree(void *p)
{
    free(p);
}
