/* mem.h - checked allocation. Out of memory is fatal (bt_fatal names the size).
 * xaligned_alloc returns 64-byte aligned memory for slabs and arenas; free it
 * with xfree (plain free). Sizes are size_t and products are overflow-checked. */
#ifndef BT_MEM_H
#define BT_MEM_H

#include <stddef.h>

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
void *xaligned_alloc(size_t n); /* zero-filled, 64-byte aligned */
char *xstrdup(const char *s);
size_t xmul(size_t a, size_t b); /* a*b, fatal on overflow */
void xfree(void *p);

#endif
