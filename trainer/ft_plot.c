/* ft_plot.c - see ft_plot.h. The script and the matrices go into temporary
 * files beside the output; gnuplot runs as a child process (fork + execvp)
 * with its stderr captured in a third temporary file. */
#include "ft_plot.h"
#include "fileio.h"
#include "json_util.h"
#include "mem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

int ft_plot_format(const char *path)
{
    return ends_with(path, ".png") ? 1 : ends_with(path, ".svg") ? 2 : 0;
}

/* A gnuplot single-quoted string: '' stands for one quote, nothing else is special. */
static void put_quoted(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputc('\'', f);
        if ((unsigned char)*s >= 32)
            fputc(*s, f);
    }
    fputc('\'', f);
}

static void put_tics(FILE *f, const char *axis, const struct ft_attn_view *v)
{
    fprintf(f, "set %stics (", axis);
    for (int i = 0; i < v->T; i++) {
        put_quoted(f, v->tokens[i]);
        fprintf(f, " %d%s", i, i + 1 < v->T ? ", " : "");
    }
    fprintf(f, ")\n");
}

static void write_script(FILE *f, const char *out_tmp, const char *data, int fmt,
                         const struct ft_attn_view *v)
{
    int T = v->T, grid = v->n_heads > 1;
    int cols = 1, rows = 1;
    while (grid && cols * cols < v->n_heads)
        cols++;
    rows = grid ? (v->n_heads + cols - 1) / cols : 1;
    int cell = grid ? (T > 24 ? 360 : 300 + 8 * T) : (T * 26 + 200 < 560 ? 560 : T * 26 + 200);
    int w = cols * cell, h = rows * cell + (grid ? 40 : 0);
    if (fmt == 1)
        fprintf(f, "set terminal pngcairo size %d,%d noenhanced font ',9'\n", w, h);
    else
        fprintf(f, "set terminal svg size %d,%d noenhanced font 'sans,9'\n", w, h);
    fprintf(f, "set output ");
    put_quoted(f, out_tmp);
    fprintf(f, "\nset palette defined (0 '#ffffff', 0.25 '#c6dbef', 0.5 '#6baed6', "
               "0.75 '#2171b5', 1 '#08306b')\n"
               "set cbrange [0:*]\nset xrange [-0.5:%d.5]\nset yrange [%d.5:-0.5]\n"
               "set size ratio -1\nset tics scale 0\nset cblabel 'attention weight'\n",
            T - 1, T - 1);
    if (!grid || T <= 24) {
        put_tics(f, "x", v);
        put_tics(f, "y", v);
        fprintf(f, "set xtics rotate by 90 right\n");
    } else {
        fprintf(f, "set xtics 8\nset ytics 8\n");
    }
    if (grid) {
        fprintf(f, "set multiplot layout %d,%d title ", rows, cols);
        char t[512];
        snprintf(t, sizeof t, "layer %d%s%s", v->layer, v->title ? ": " : "",
                 v->title ? v->title : "");
        put_quoted(f, t);
        fprintf(f, "\n");
    } else {
        fprintf(f, "set xlabel 'key (attended to)'\nset ylabel 'query'\n");
    }
    for (int k = 0; k < v->n_heads; k++) {
        char t[600];
        if (grid)
            snprintf(t, sizeof t, "head %d", v->heads[k]);
        else
            snprintf(t, sizeof t, "layer %d head %d%s%.480s", v->layer, v->heads[k],
                     v->title ? ": " : "", v->title ? v->title : "");
        fprintf(f, "set title ");
        put_quoted(f, t);
        fprintf(f, "\nplot ");
        put_quoted(f, data);
        fprintf(f, " index %d matrix with image notitle\n", k);
    }
    if (grid)
        fprintf(f, "unset multiplot\n");
}

static int write_data(const char *path, const struct ft_attn_view *v, char *err)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return bt_errf(err, BT_EIO, "%s: cannot create: %s", path, strerror(errno));
    for (int k = 0; k < v->n_heads; k++) {
        for (int q = 0; q < v->T; q++) {
            for (int j = 0; j < v->T; j++)
                fprintf(f, "%s%.6g", j ? " " : "", v->att[k][(size_t)q * (size_t)v->T + (size_t)j]);
            fputc('\n', f);
        }
        fprintf(f, "\n\n");
    }
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return bt_errf(err, BT_EIO, "%s: write failed", path);
    return BT_OK;
}

/* Runs gnuplot on script; stderr goes to errlog. Returns BT_OK on exit 0. */
static int run_gnuplot(const char *script, const char *errlog, char *err)
{
    const char *prog = getenv("BT_GNUPLOT");
    if (!prog || !*prog)
        prog = "gnuplot";
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        return bt_errf(err, BT_ERUNTIME, "cannot start %s: %s", prog, strerror(errno));
    if (pid == 0) {
        FILE *e = fopen(errlog, "w");
        if (e)
            dup2(fileno(e), 2);
        execlp(prog, prog, script, (char *)NULL);
        fprintf(stderr, "cannot run %s: %s\n", prog, strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR)
            return bt_errf(err, BT_ERUNTIME, "waiting for %s: %s", prog, strerror(errno));
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return BT_OK;
    char first[300] = "";
    FILE *e = fopen(errlog, "r");
    if (e) {
        while (fgets(first, sizeof first, e) && first[0] == '\n')
            ;
        fclose(e);
    }
    first[strcspn(first, "\n")] = '\0';
    if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
        return bt_errf(err, BT_ERUNTIME,
                       "%s could not be run (%s); install gnuplot (Debian: gnuplot-nox) or set "
                       "BT_GNUPLOT",
                       prog, first);
    return bt_errf(err, BT_ERUNTIME, "%s failed (%s %d): %s", prog,
                   WIFEXITED(st) ? "exit" : "signal", WIFEXITED(st) ? WEXITSTATUS(st)
                                                                    : WTERMSIG(st),
                   first[0] ? first : "no message");
}

int ft_plot_heatmap(const char *path, const struct ft_attn_view *v, char *err)
{
    int fmt = ft_plot_format(path);
    if (!fmt)
        return bt_errf(err, BT_EUSAGE, "%s: the output must end in .png or .svg", path);
    size_t n = strlen(path) + 64;
    char *tmp = xmalloc(n), *data = xmalloc(n), *script = xmalloc(n), *log = xmalloc(n);
    long pid = (long)getpid();
    snprintf(tmp, n, "%s.tmp.%ld.%s", path, pid, fmt == 1 ? "png" : "svg");
    snprintf(data, n, "%s.tmp.%ld.dat", path, pid);
    snprintf(script, n, "%s.tmp.%ld.gp", path, pid);
    snprintf(log, n, "%s.tmp.%ld.log", path, pid);
    int rc = write_data(data, v, err);
    if (rc == BT_OK) {
        FILE *f = fopen(script, "w");
        if (!f) {
            rc = bt_errf(err, BT_EIO, "%s: cannot create: %s", script, strerror(errno));
        } else {
            write_script(f, tmp, data, fmt, v);
            if (fclose(f) != 0)
                rc = bt_errf(err, BT_EIO, "%s: write failed", script);
        }
    }
    if (rc == BT_OK)
        rc = run_gnuplot(script, log, err);
    struct stat st;
    if (rc == BT_OK && (stat(tmp, &st) != 0 || st.st_size == 0))
        rc = bt_errf(err, BT_ERUNTIME, "gnuplot exited 0 but wrote no image to %s", tmp);
    if (rc == BT_OK && rename(tmp, path) != 0)
        rc = bt_errf(err, BT_EIO, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
    remove(data);
    remove(script);
    remove(log);
    if (rc != BT_OK)
        remove(tmp);
    xfree(tmp);
    xfree(data);
    xfree(script);
    xfree(log);
    return rc;
}

static void csv_field(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

int ft_plot_dump(const char *path, const struct ft_attn_view *v, char *err)
{
    int json = ends_with(path, ".json");
    if (!json && !ends_with(path, ".csv"))
        return bt_errf(err, BT_EUSAGE, "--dump %s: expected a .json or .csv file name", path);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return bt_errf(err, BT_ERUNTIME, "open_memstream: %s", strerror(errno));
    int T = v->T;
    if (json) {
        json_t *j = json_object(), *toks = json_array(), *heads = json_array(),
               *att = json_array();
        for (int i = 0; i < T; i++)
            json_array_append_new(toks, json_string(v->tokens[i]));
        for (int k = 0; k < v->n_heads; k++) {
            json_array_append_new(heads, json_integer(v->heads[k]));
            json_t *m = json_array();
            for (int q = 0; q < T; q++) {
                json_t *row = json_array();
                for (int c = 0; c < T; c++)
                    json_array_append_new(row, json_real(v->att[k][(size_t)q * T + (size_t)c]));
                json_array_append_new(m, row);
            }
            json_array_append_new(att, m);
        }
        json_object_set_new(j, "tokens", toks);
        json_object_set_new(j, "layer", json_integer(v->layer));
        json_object_set_new(j, "heads", heads);
        json_object_set_new(j, "attention", att);
        json_dumpf(j, f, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(7));
        fputc('\n', f);
        json_decref(j);
    } else {
        fprintf(f, "layer,head,query,query_token,key,key_token,weight\n");
        for (int k = 0; k < v->n_heads; k++)
            for (int q = 0; q < T; q++)
                for (int c = 0; c < T; c++) {
                    fprintf(f, "%d,%d,%d,", v->layer, v->heads[k], q);
                    csv_field(f, v->tokens[q]);
                    fprintf(f, ",%d,", c);
                    csv_field(f, v->tokens[c]);
                    fprintf(f, ",%.7g\n", v->att[k][(size_t)q * T + (size_t)c]);
                }
    }
    fclose(f);
    int rc = file_write_atomic(path, buf, len, err);
    free(buf);
    return rc;
}
