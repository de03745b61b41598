/* ft_squad.c - see ft_squad.h. The whole file is parsed with jansson (through
 * json_util.h); schema errors name the JSON path, answer errors the position of
 * the question id in the raw text. */
#include "ft_squad.h"
#include "ft_input.h"
#include "json_util.h"
#include "mem.h"

#include <stdio.h>
#include <string.h>

size_t ft_utf8_offset(const char *s, size_t len, long cp)
{
    size_t i = 0;
    for (long k = 0; k < cp; k++) {
        if (i >= len)
            return (size_t)-1;
        i++;
        while (i < len && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
    }
    return i <= len ? i : (size_t)-1;
}

/* "path:line:col" of the first occurrence of "id" (quoted) in the raw text. */
static void locate(char *out, size_t n, const struct ft_input *in, const char *id)
{
    char q[256];
    snprintf(q, sizeof q, "\"%s\"", id);
    const char *hit = strstr(in->buf, q);
    if (!hit) {
        snprintf(out, n, "%s", in->path);
        return;
    }
    long line = 1, col = 1;
    for (const char *p = in->buf; p < hit; p++) {
        col++;
        if (*p == '\n') {
            line++;
            col = 1;
        }
    }
    snprintf(out, n, "%s:%ld:%ld", in->path, line, col);
}

static const json_t *get(const json_t *o, const char *key, json_type type, const char *where,
                         char *err, int *rc)
{
    const json_t *v = json_is_object(o) ? json_object_get(o, key) : NULL;
    if (!v || json_typeof(v) != type) {
        static const char *const tn[] = {"an object", "an array", "a string", "an integer",
                                         "a number", "true", "false", "null"};
        *rc = bt_errf(err, BT_EUSAGE, "%s: key '%s' %s, expected %s", where, key,
                      v ? "has the wrong type" : "is missing", tn[type]);
        return NULL;
    }
    *rc = BT_OK;
    return v;
}

static int read_answer(struct ft_squad_set *s, const struct ft_input *in,
                       struct ft_squad_question *q, int k, const json_t *a, const char *where,
                       char *err)
{
    int rc;
    const json_t *st = get(a, "answer_start", JSON_INTEGER, where, err, &rc);
    const json_t *tx = st ? get(a, "text", JSON_STRING, where, err, &rc) : NULL;
    if (!tx)
        return rc;
    struct ft_squad_answer *ans = &q->ans[k];
    ans->text = xstrdup(json_string_value(tx));
    ans->char_start = (long)json_integer_value(st);
    const char *ctx = s->ctx[q->ctx];
    size_t clen = s->ctx_len[q->ctx], tlen = strlen(ans->text);
    size_t b = ans->char_start >= 0 ? ft_utf8_offset(ctx, clen, ans->char_start) : (size_t)-1;
    char at[512];
    if (tlen == 0 || b == (size_t)-1 || b + tlen > clen || memcmp(ctx + b, ans->text, tlen)) {
        locate(at, sizeof at, in, q->id);
        if (tlen == 0)
            return bt_errf(err, BT_EUSAGE, "%s: question '%s' answer %d: empty answer text", at,
                           q->id, k + 1);
        if (b == (size_t)-1)
            return bt_errf(err, BT_EUSAGE,
                           "%s: question '%s' answer %d: answer_start %ld is outside the "
                           "context (%zu bytes)",
                           at, q->id, k + 1, ans->char_start, clen);
        size_t show = b + tlen <= clen ? tlen : clen - b;
        return bt_errf(err, BT_EUSAGE,
                       "%s: question '%s' answer %d: answer_start %ld points at '%.*s', "
                       "expected '%.80s'",
                       at, q->id, k + 1, ans->char_start, (int)(show < 80 ? show : 80), ctx + b,
                       ans->text);
    }
    ans->start = b;
    ans->end = b + tlen;
    return BT_OK;
}

static int read_qa(struct ft_squad_set *s, const struct ft_input *in, const json_t *qa,
                   const char *where, char *err)
{
    int rc;
    const json_t *id = get(qa, "id", JSON_STRING, where, err, &rc);
    const json_t *qt = id ? get(qa, "question", JSON_STRING, where, err, &rc) : NULL;
    const json_t *ans = qt ? get(qa, "answers", JSON_ARRAY, where, err, &rc) : NULL;
    if (!ans)
        return rc;
    struct ft_squad_question *q = &s->q[s->n_q++];
    memset(q, 0, sizeof *q);
    q->id = xstrdup(json_string_value(id));
    q->question = xstrdup(json_string_value(qt));
    q->ctx = s->n_ctx - 1;
    q->n_ans = (int)json_array_size(ans);
    if (q->n_ans == 0) {
        char at[512];
        locate(at, sizeof at, in, q->id);
        return bt_errf(err, BT_EUSAGE, "%s: question '%s' has no answers (SQuAD v1.1 expected)",
                       at, q->id);
    }
    q->ans = xcalloc((size_t)q->n_ans, sizeof *q->ans);
    for (int k = 0; k < q->n_ans; k++) {
        char w[320];
        snprintf(w, sizeof w, "%s.answers[%d]", where, k);
        if ((rc = read_answer(s, in, q, k, json_array_get(ans, (size_t)k), w, err)) != BT_OK)
            return rc;
    }
    return BT_OK;
}

static int read_all(struct ft_squad_set *s, const struct ft_input *in, const json_t *root,
                    char *err)
{
    int rc;
    char w[160];
    snprintf(w, sizeof w, "%s", in->path);
    const json_t *data = get(root, "data", JSON_ARRAY, w, err, &rc);
    if (!data)
        return rc;
    int qcap = 0, ccap = 0;
    for (size_t a = 0; a < json_array_size(data); a++) {
        snprintf(w, sizeof w, "%s: data[%zu]", in->path, a);
        const json_t *paras = get(json_array_get(data, a), "paragraphs", JSON_ARRAY, w, err, &rc);
        if (!paras)
            return rc;
        for (size_t p = 0; p < json_array_size(paras); p++) {
            snprintf(w, sizeof w, "%s: data[%zu].paragraphs[%zu]", in->path, a, p);
            const json_t *para = json_array_get(paras, p);
            const json_t *ctx = get(para, "context", JSON_STRING, w, err, &rc);
            const json_t *qas = ctx ? get(para, "qas", JSON_ARRAY, w, err, &rc) : NULL;
            if (!qas)
                return rc;
            if (s->n_ctx == ccap) {
                ccap = ccap ? 2 * ccap : 256;
                s->ctx = xrealloc(s->ctx, xmul((size_t)ccap, sizeof *s->ctx));
                s->ctx_len = xrealloc(s->ctx_len, xmul((size_t)ccap, sizeof *s->ctx_len));
            }
            s->ctx_len[s->n_ctx] = json_string_length(ctx);
            s->ctx[s->n_ctx] = xmalloc(s->ctx_len[s->n_ctx] + 1);
            memcpy(s->ctx[s->n_ctx], json_string_value(ctx), s->ctx_len[s->n_ctx] + 1);
            s->n_ctx++;
            size_t nq = json_array_size(qas);
            if (s->n_q + (int)nq > qcap) {
                qcap = 2 * (s->n_q + (int)nq);
                s->q = xrealloc(s->q, xmul((size_t)qcap, sizeof *s->q));
            }
            for (size_t k = 0; k < nq; k++) {
                char wq[200];
                snprintf(wq, sizeof wq, "%s.qas[%zu]", w, k);
                if ((rc = read_qa(s, in, json_array_get(qas, k), wq, err)) != BT_OK)
                    return rc;
            }
        }
    }
    if (s->n_q == 0)
        return bt_errf(err, BT_EUSAGE, "%s: no questions", in->path);
    return BT_OK;
}

int ft_squad_read(struct ft_squad_set *s, const char *path, char *err)
{
    memset(s, 0, sizeof *s);
    struct ft_input in;
    int rc = ft_input_open(&in, path, err);
    if (rc != BT_OK)
        return rc;
    s->path = xstrdup(path);
    json_error_t je;
    json_t *root = json_loadb(in.buf, in.len, JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        rc = bt_errf(err, BT_EUSAGE, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    } else {
        rc = read_all(s, &in, root, err);
        json_decref(root);
    }
    ft_input_close(&in);
    return rc;
}

void ft_squad_set_free(struct ft_squad_set *s)
{
    for (int i = 0; i < s->n_ctx; i++)
        xfree(s->ctx[i]);
    for (int i = 0; i < s->n_q; i++) {
        for (int k = 0; k < s->q[i].n_ans; k++)
            xfree(s->q[i].ans[k].text);
        xfree(s->q[i].ans);
        xfree(s->q[i].id);
        xfree(s->q[i].question);
    }
    xfree(s->ctx);
    xfree(s->ctx_len);
    xfree(s->q);
    xfree(s->path);
    memset(s, 0, sizeof *s);
}
