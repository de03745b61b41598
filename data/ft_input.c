/* ft_input.c - see ft_input.h. */
#include "ft_input.h"
#include "fileio.h"
#include "mem.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

int ft_input_open(struct ft_input *in, const char *path, char *err)
{
    memset(in, 0, sizeof *in);
    struct stat st;
    if (stat(path, &st) != 0)
        return bt_errf(err, BT_EUSAGE, "%s: cannot open: %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode))
        return bt_errf(err, BT_EUSAGE, "%s: not a regular file", path);
    int rc = file_read_all(path, &in->buf, &in->len, err);
    if (rc != BT_OK)
        return rc;
    in->path = xstrdup(path);
    if (in->len >= 3 && !memcmp(in->buf, "\xEF\xBB\xBF", 3))
        in->pos = 3;
    return BT_OK;
}

void ft_input_close(struct ft_input *in)
{
    xfree(in->path);
    xfree(in->buf);
    memset(in, 0, sizeof *in);
}

char *ft_input_next_line(struct ft_input *in, size_t *len)
{
    if (in->pos >= in->len)
        return NULL;
    char *s = in->buf + in->pos;
    char *nl = memchr(s, '\n', in->len - in->pos);
    size_t n = nl ? (size_t)(nl - s) : in->len - in->pos;
    in->pos += n + (nl != NULL);
    if (n && s[n - 1] == '\r')
        n--;
    s[n] = '\0';
    in->line++;
    *len = n;
    return s;
}

int ft_is_blank(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!s[i] || !strchr(" \t\r\v\f", s[i]))
            return 0;
    return 1;
}
