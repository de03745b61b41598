/* ft_input.h - reading a fine-tuning data file: the whole file in memory
 * (a missing or unreadable input named on the command line is a usage error,
 * exit 2), a leading UTF-8 BOM skipped, and a line cursor that cuts the buffer
 * into NUL-terminated lines in place (LF or CRLF) with 1-based line numbers. */
#ifndef BT_FT_INPUT_H
#define BT_FT_INPUT_H

#include "check.h"

#include <stddef.h>

struct ft_input {
    char *path;     /* owned copy */
    char *buf;      /* owned file contents (modified in place by the cursor) */
    size_t len;
    size_t pos;     /* cursor */
    long line;      /* number of the line last returned */
};

int ft_input_open(struct ft_input *in, const char *path, char *err) BT_WUR;
void ft_input_close(struct ft_input *in);
/* Next line (without its terminator) and its length; NULL at the end. */
char *ft_input_next_line(struct ft_input *in, size_t *len);
/* 1 when s[0..len) holds only spaces, tabs, CR, VT or FF. */
int ft_is_blank(const char *s, size_t len);

#endif
