/* ft_tsv.c - see ft_tsv.h. Lines are cut in place; fields point into the
 * file buffer. */
#include "ft_tsv.h"
#include "mem.h"

#include <stdio.h>
#include <string.h>

#define TSV_MAX_COLS 64

/* Splits line at tabs in place; returns the column count (up to max). */
static int split_tabs(char *line, char **cols, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        char *tab = strchr(p, '\t');
        if (n < max)
            cols[n] = p;
        n++;
        if (!tab)
            return n;
        *tab = '\0';
        p = tab + 1;
    }
}

static char *trim(char *s)
{
    while (*s == ' ')
        s++;
    size_t n = strlen(s);
    while (n && s[n - 1] == ' ')
        s[--n] = '\0';
    return s;
}

struct layout {
    int ncols, label, text[2], ntext;
    char names[96];
};

static int parse_header(struct layout *L, char *line, const char *path, char *err)
{
    char *cols[TSV_MAX_COLS];
    memset(L, 0, sizeof *L);
    L->ncols = split_tabs(line, cols, TSV_MAX_COLS);
    if (L->ncols > TSV_MAX_COLS || L->ncols < 2)
        return bt_errf(err, BT_EUSAGE,
                       "%s:1: the header has %d column(s); expected "
                       "sentence[<TAB>sentence2]<TAB>label",
                       path, L->ncols);
    L->label = L->ncols - 1;
    for (int i = 0; i < L->ncols; i++)
        if (!strcmp(trim(cols[i]), "label"))
            L->label = i;
    for (int i = 0; i < L->ncols; i++) {
        const char *c = cols[i];
        if (i == L->label || !strcmp(c, "idx") || !strcmp(c, "index") || !strcmp(c, "id"))
            continue;
        if (L->ntext == 2)
            return bt_errf(err, BT_EUSAGE,
                           "%s:1: the header has more than two text columns; expected "
                           "sentence[<TAB>sentence2]<TAB>label",
                           path);
        L->text[L->ntext++] = i;
    }
    if (L->ntext == 0)
        return bt_errf(err, BT_EUSAGE, "%s:1: the header has no text column", path);
    snprintf(L->names, sizeof L->names, "%s", L->ntext == 2 ? "sentence, sentence2, label"
                                                            : "sentence, label");
    return BT_OK;
}

int ft_tsv_read(struct ft_seq_set *s, const char *path, struct ft_labels *collect, char *err)
{
    memset(s, 0, sizeof *s);
    int rc = ft_input_open(&s->in, path, err);
    if (rc != BT_OK)
        return rc;
    size_t len;
    char *line = ft_input_next_line(&s->in, &len);
    if (!line)
        return bt_errf(err, BT_EUSAGE, "%s: empty file (expected a header line)", path);
    struct layout L;
    if ((rc = parse_header(&L, line, path, err)) != BT_OK)
        return rc;
    s->pair = L.ntext == 2;
    int cap = 0;
    while ((line = ft_input_next_line(&s->in, &len))) {
        if (len == 0)
            continue;
        char *cols[TSV_MAX_COLS];
        int n = split_tabs(line, cols, TSV_MAX_COLS);
        if (n != L.ncols)
            return bt_errf(err, BT_EUSAGE,
                           "%s:%ld: expected %d tab-separated columns (%s) as in the header, "
                           "found %d%s",
                           path, s->in.line, L.ncols, L.names, n,
                           n < L.ncols ? " (missing label column?)" : "");
        char *lab = trim(cols[L.label]);
        if (!*lab)
            return bt_errf(err, BT_EUSAGE, "%s:%ld: empty label", path, s->in.line);
        if (s->n == cap) {
            cap = cap ? 2 * cap : 1024;
            s->ex = xrealloc(s->ex, xmul((size_t)cap, sizeof *s->ex));
        }
        struct ft_seq_example *e = &s->ex[s->n++];
        e->a = cols[L.text[0]];
        e->b = s->pair ? cols[L.text[1]] : NULL;
        e->label_text = lab;
        e->label = -1;
        e->line = s->in.line;
        if (collect && (rc = ft_labels_add(collect, lab, strlen(lab), NULL, err)) != BT_OK)
            return bt_errf(err, rc, "%s:%ld: more than %d distinct labels", path, s->in.line,
                           FT_MAX_LABELS);
    }
    if (s->n == 0)
        return bt_errf(err, BT_EUSAGE, "%s: no examples after the header", path);
    return BT_OK;
}

int ft_tsv_assign(struct ft_seq_set *s, const struct ft_labels *labels, char *err)
{
    for (int i = 0; i < s->n; i++) {
        struct ft_seq_example *e = &s->ex[i];
        e->label = ft_labels_find(labels, e->label_text, strlen(e->label_text));
        if (e->label < 0) {
            char set[256];
            return bt_errf(err, BT_EUSAGE, "%s:%ld: unknown label '%s' (the label set is %s)",
                           s->in.path, e->line, e->label_text,
                           ft_labels_str(labels, set, sizeof set));
        }
    }
    return BT_OK;
}

void ft_seq_set_free(struct ft_seq_set *s)
{
    ft_input_close(&s->in);
    xfree(s->ex);
    memset(s, 0, sizeof *s);
}
