/* text_reader.c - see text_reader.h. */
#include "text_reader.h"
#include "mem.h"
#include "unicode.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int text_reader_open(struct text_reader *r, const char *path, size_t block, char *err)
{
    memset(r, 0, sizeof *r);
    r->f = fopen(path, "rb");
    if (!r->f)
        return bt_errf(err, BT_EIO, "%s: cannot open the input: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(r->f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(r->f);
        r->f = NULL;
        return bt_errf(err, BT_EIO, "%s: the input is not a regular file", path);
    }
    r->path = path;
    r->file_size = (int64_t)st.st_size;
    r->raw_cap = block < 4096 ? 4096 : block;
    r->raw = xmalloc(r->raw_cap);
    r->at_start = 1;
    return BT_OK;
}

size_t text_clean(char *dst, const char *src, size_t n, int64_t *invalid)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t o = 0, i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            if (c == '\r' && i + 1 < n && s[i + 1] == '\n') {
                i++;
                continue;
            }
            dst[o++] = (char)c;
            i++;
            continue;
        }
        size_t adv;
        if (uni_decode(s + i, n - i, &adv) < 0) {
            (*invalid)++;
            i++;
            continue;
        }
        memcpy(dst + o, s + i, adv);
        o += adv;
        i += adv;
    }
    return o;
}

int text_reader_next(struct text_reader *r, const char **block, size_t *len, char *err)
{
    *block = NULL;
    *len = 0;
    for (;;) {
        /* find the last newline in what we hold */
        size_t cut = 0;
        for (size_t i = r->raw_len; i > 0; i--) {
            if (r->raw[i - 1] == '\n') {
                cut = i;
                break;
            }
        }
        if (r->eof)
            cut = r->raw_len;
        if (cut > 0 && (r->eof || r->raw_len == r->raw_cap || cut == r->raw_len)) {
            size_t start = 0;
            if (r->at_start && cut >= 3 && memcmp(r->raw, "\xef\xbb\xbf", 3) == 0)
                start = 3;
            r->at_start = 0;
            if (r->clean_cap < cut) {
                r->clean_cap = cut;
                r->clean = xrealloc(r->clean, cut);
            }
            size_t n = text_clean(r->clean, r->raw + start, cut - start, &r->invalid_bytes);
            r->bytes_read += (int64_t)cut;
            memmove(r->raw, r->raw + cut, r->raw_len - cut);
            r->raw_len -= cut;
            if (n == 0)
                continue; /* only a BOM or dropped bytes: read on */
            *block = r->clean;
            *len = n;
            return BT_OK;
        }
        if (r->eof)
            return BT_OK; /* nothing left */
        if (r->raw_len == r->raw_cap) { /* a line longer than the buffer */
            r->raw_cap *= 2;
            r->raw = xrealloc(r->raw, r->raw_cap);
        }
        size_t got = fread(r->raw + r->raw_len, 1, r->raw_cap - r->raw_len, r->f);
        if (got == 0) {
            if (ferror(r->f))
                return bt_errf(err, BT_EIO, "%s: read error: %s", r->path, strerror(errno));
            r->eof = 1;
        }
        r->raw_len += got;
    }
}

void text_reader_close(struct text_reader *r)
{
    if (r->f)
        fclose(r->f);
    xfree(r->raw);
    xfree(r->clean);
    memset(r, 0, sizeof *r);
}
