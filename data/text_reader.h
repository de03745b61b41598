/* text_reader.h - reads a raw UTF-8 text file in blocks of whole lines and
 * cleans the bytes on the way: a leading BOM is dropped, CRLF becomes LF,
 * ill-formed UTF-8 bytes are removed and counted (not fatal; Python's
 * decode("utf-8", "ignore") gives the same text). A lone CR stays (the
 * tokenizer treats it as a space). Lines longer than a block are read whole. */
#ifndef BT_TEXT_READER_H
#define BT_TEXT_READER_H

#include "check.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct text_reader {
    FILE *f;
    const char *path;
    char *raw;        /* raw bytes: carry-over + new data */
    size_t raw_len, raw_cap;
    char *clean;      /* cleaned block handed out */
    size_t clean_cap;
    int at_start, eof;
    int64_t file_size;
    int64_t bytes_read;    /* raw bytes consumed so far */
    int64_t invalid_bytes; /* ill-formed UTF-8 bytes dropped */
};

/* BT_EIO if the file cannot be opened or is not a regular file. */
int text_reader_open(struct text_reader *r, const char *path, size_t block, char *err) BT_WUR;
/* Next cleaned block of complete lines (ends with '\n' except maybe at EOF);
 * *len == 0 at the end. The block stays valid until the next call. */
int text_reader_next(struct text_reader *r, const char **block, size_t *len, char *err) BT_WUR;
void text_reader_close(struct text_reader *r);

/* Cleans src[0..n) into dst (capacity >= n); returns the cleaned length and
 * adds the number of dropped bytes to *invalid. Exposed for tests. */
size_t text_clean(char *dst, const char *src, size_t n, int64_t *invalid);

#endif
