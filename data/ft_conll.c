/* ft_conll.c - see ft_conll.h. Words and tags are NUL-terminated in place in
 * the file buffer; sentences index into two pools filled in file order. */
#include "ft_conll.h"
#include "mem.h"

#include <stdio.h>
#include <string.h>

static int malformed(const char *path, long line, const char *text, const char *why, char *err)
{
    return bt_errf(err, BT_EUSAGE,
                   "%s:%ld: malformed line '%.40s%s': %s; expected token<TAB>tag with a BIO tag "
                   "(O, B-TYPE or I-TYPE) or a blank line between sentences",
                   path, line, text, strlen(text) > 40 ? "..." : "", why);
}

/* Splits one token line in place into word and tag. */
static int split_line(char *s, size_t len, const char **word, const char **tag, const char *path,
                      long line, char *err)
{
    char shown[64];
    snprintf(shown, sizeof shown, "%s", s);
    for (char *p = shown; *p; p++)
        if (*p == '\t')
            *p = ' ';
    char sep = memchr(s, '\t', len) ? '\t' : ' ';
    while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        s[--len] = '\0';
    char *first = strchr(s, sep), *last = strrchr(s, sep);
    if (!first)
        return malformed(path, line, shown, "only one field", err);
    *first = '\0';
    char *t = last + 1;
    while (*t == ' ')
        t++;
    if (!*s || *s == ' ')
        return malformed(path, line, shown, "empty token", err);
    if (!ft_tag_is_bio(t, strlen(t)))
        return malformed(path, line, shown, "the tag is not BIO", err);
    *word = s;
    *tag = t;
    return BT_OK;
}

int ft_conll_read(struct ft_conll_set *s, const char *path, struct ft_labels *collect, char *err)
{
    memset(s, 0, sizeof *s);
    int rc = ft_input_open(&s->in, path, err);
    if (rc != BT_OK)
        return rc;
    long wcap = 0, first_line = 0;
    int scap = 0, in_sent = 0;
    long sent_start = 0;
    size_t len;
    char *line;
    for (;;) {
        line = ft_input_next_line(&s->in, &len);
        int brk = !line || ft_is_blank(line, len) || !strncmp(line, "-DOCSTART-", 10);
        if (brk && in_sent) {
            if (s->n == scap) {
                scap = scap ? 2 * scap : 256;
                s->sent = xrealloc(s->sent, xmul((size_t)scap, sizeof *s->sent));
            }
            struct ft_conll_sent *st = &s->sent[s->n++];
            memset(st, 0, sizeof *st);
            st->n = (int)(s->n_words - sent_start);
            st->line = first_line;
            st->start = sent_start; /* pointers are set once the pools stop moving */
            in_sent = 0;
        }
        if (!line)
            break;
        if (brk)
            continue;
        const char *w = NULL, *t = NULL;
        if ((rc = split_line(line, len, &w, &t, path, s->in.line, err)) != BT_OK)
            return rc;
        if (collect && (rc = ft_labels_add(collect, t, strlen(t), NULL, err)) != BT_OK)
            return bt_errf(err, rc, "%s:%ld: more than %d distinct tags", path, s->in.line,
                           FT_MAX_LABELS);
        if (s->n_words == wcap) {
            wcap = wcap ? 2 * wcap : 4096;
            s->words = xrealloc(s->words, xmul((size_t)wcap, sizeof *s->words));
            s->tag_text = xrealloc(s->tag_text, xmul((size_t)wcap, sizeof *s->tag_text));
        }
        if (!in_sent) {
            in_sent = 1;
            sent_start = s->n_words;
            first_line = s->in.line;
        }
        s->words[s->n_words] = w;
        s->tag_text[s->n_words] = t;
        s->n_words++;
    }
    if (s->n == 0)
        return bt_errf(err, BT_EUSAGE, "%s: no sentences", path);
    s->tags = xcalloc((size_t)s->n_words, sizeof *s->tags);
    for (int i = 0; i < s->n; i++) {
        long at = s->sent[i].start;
        s->sent[i].words = s->words + at;
        s->sent[i].tag_text = s->tag_text + at;
        s->sent[i].tags = s->tags + at;
    }
    return BT_OK;
}

int ft_conll_assign(struct ft_conll_set *s, const struct ft_labels *labels, char *err)
{
    for (int i = 0; i < s->n; i++) {
        const struct ft_conll_sent *st = &s->sent[i];
        for (int k = 0; k < st->n; k++) {
            st->tags[k] = ft_labels_find(labels, st->tag_text[k], strlen(st->tag_text[k]));
            if (st->tags[k] < 0) {
                char set[256];
                return bt_errf(err, BT_EUSAGE, "%s:%ld: unknown tag '%s' (the tag set is %s)",
                               s->in.path, st->line + k, st->tag_text[k],
                               ft_labels_str(labels, set, sizeof set));
            }
        }
    }
    return BT_OK;
}

void ft_conll_set_free(struct ft_conll_set *s)
{
    ft_input_close(&s->in);
    xfree(s->sent);
    xfree(s->words);
    xfree(s->tag_text);
    xfree(s->tags);
    memset(s, 0, sizeof *s);
}
