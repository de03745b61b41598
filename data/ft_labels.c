/* ft_labels.c - see ft_labels.h. */
#include "ft_labels.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ft_labels_free(struct ft_labels *l)
{
    for (int i = 0; i < l->n; i++)
        xfree(l->name[i]);
    xfree(l->name);
    memset(l, 0, sizeof *l);
}

int ft_labels_find(const struct ft_labels *l, const char *s, size_t len)
{
    for (int i = 0; i < l->n; i++)
        if (strlen(l->name[i]) == len && !memcmp(l->name[i], s, len))
            return i;
    return -1;
}

int ft_labels_add(struct ft_labels *l, const char *s, size_t len, int *idx, char *err)
{
    int i = ft_labels_find(l, s, len);
    if (i < 0) {
        if (l->n >= FT_MAX_LABELS)
            return bt_errf(err, BT_EUSAGE, "more than %d distinct labels", FT_MAX_LABELS);
        l->name = xrealloc(l->name, xmul((size_t)l->n + 1, sizeof *l->name));
        char *c = xmalloc(len + 1);
        memcpy(c, s, len);
        c[len] = '\0';
        l->name[l->n] = c;
        i = l->n++;
    }
    if (idx)
        *idx = i;
    return BT_OK;
}

static int is_int(const char *s)
{
    if (*s == '-' || *s == '+')
        s++;
    if (!*s || strlen(s) > 18)
        return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return 0;
    return 1;
}

static int cmp_int(const void *a, const void *b)
{
    long long x = atoll(*(char *const *)a), y = atoll(*(char *const *)b);
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void ft_labels_sort(struct ft_labels *l)
{
    int all_int = 1;
    for (int i = 0; i < l->n && all_int; i++)
        all_int = is_int(l->name[i]);
    if (l->n > 1)
        qsort(l->name, (size_t)l->n, sizeof *l->name, all_int ? cmp_int : cmp_str);
}

int ft_tag_is_bio(const char *s, size_t len)
{
    if (len == 1 && s[0] == 'O')
        return 1;
    return len >= 3 && (s[0] == 'B' || s[0] == 'I') && s[1] == '-';
}

/* BIO order: "O" first, then by type, B before I. */
static int cmp_bio(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    int ox = !strcmp(x, "O"), oy = !strcmp(y, "O");
    if (ox || oy)
        return oy - ox;
    int c = strcmp(x + 2, y + 2);
    return c ? c : (x[0] == 'I') - (y[0] == 'I');
}

void ft_labels_sort_bio(struct ft_labels *l)
{
    char err[BT_ERR_LEN];
    int n0 = l->n;
    if (ft_labels_find(l, "O", 1) < 0 && ft_labels_add(l, "O", 1, NULL, err) != BT_OK)
        return;
    for (int i = 0; i < n0; i++) {
        const char *s = l->name[i];
        size_t len = strlen(s);
        if (!ft_tag_is_bio(s, len) || s[0] == 'O')
            continue;
        char other[512];
        snprintf(other, sizeof other, "%c-%s", s[0] == 'B' ? 'I' : 'B', s + 2);
        if (ft_labels_add(l, other, strlen(other), NULL, err) != BT_OK)
            return;
    }
    qsort(l->name, (size_t)l->n, sizeof *l->name, cmp_bio);
}

int ft_labels_parse(struct ft_labels *l, const char *list, const char *where, char *err)
{
    memset(l, 0, sizeof *l);
    const char *p = list;
    for (;;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == 0 || ft_labels_find(l, p, len) >= 0) {
            int rc = bt_errf(err, BT_EUSAGE, "%s: label list '%s' has an %s label", where, list,
                             len ? "repeated" : "empty");
            ft_labels_free(l);
            return rc;
        }
        int rc = ft_labels_add(l, p, len, NULL, err);
        if (rc != BT_OK) {
            ft_labels_free(l);
            return rc;
        }
        if (!comma)
            return BT_OK;
        p = comma + 1;
    }
}

const char *ft_labels_str(const struct ft_labels *l, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < l->n; i++) {
        int w = snprintf(buf + used, n - used, "%s%s", i ? ", " : "", l->name[i]);
        if (w < 0 || used + (size_t)w >= n) {
            if (n > 4)
                snprintf(buf + n - 4, 4, "...");
            break;
        }
        used += (size_t)w;
    }
    return buf;
}
