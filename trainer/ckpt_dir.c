/* ckpt_dir.c - see ckpt_dir.h. */
#include "ckpt_dir.h"
#include "fileio.h"
#include "mem.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

void ckpt_dir_step_path(char *out, size_t n, const char *run_dir, long step, int file)
{
    snprintf(out, n, "%s/checkpoints/step_%08ld%s", run_dir, step, file ? "/" CKPT_FILE_NAME : "");
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

int ckpt_dir_list(const char *run_dir, long **steps, int *n, char *err)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/checkpoints", run_dir);
    *steps = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT ? BT_OK
                               : bt_errf(err, BT_EIO, "%s: cannot list: %s", dir, strerror(errno));
    struct dirent *e;
    int cap = 0;
    while ((e = readdir(d)) != NULL) {
        char *end;
        if (strncmp(e->d_name, "step_", 5))
            continue;
        long s = strtol(e->d_name + 5, &end, 10);
        if (*end || end == e->d_name + 5)
            continue;
        char done[4400];
        snprintf(done, sizeof done, "%s/%s/DONE", dir, e->d_name);
        if (!file_exists(done))
            continue;
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            *steps = xrealloc(*steps, sizeof(long) * (size_t)cap);
        }
        (*steps)[(*n)++] = s;
    }
    closedir(d);
    if (*n)
        qsort(*steps, (size_t)*n, sizeof(long), cmp_long);
    return BT_OK;
}

int ckpt_dir_begin(const char *run_dir, long step, char *tmp, size_t n, char *err)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/checkpoints", run_dir);
    int rc = file_mkdir_p(dir, err);
    if (rc != BT_OK)
        return rc;
    snprintf(tmp, n, "%s/.step_%08ld.tmp", dir, step);
    if ((rc = file_remove_tree(tmp, err)) != BT_OK)
        return rc;
    if (mkdir(tmp, 0777) != 0)
        return bt_errf(err, BT_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    return BT_OK;
}

int ckpt_dir_commit(const char *run_dir, long step, const char *tmp, char *err)
{
    char final[4096], dir[4096], done[4200];
    ckpt_dir_step_path(final, sizeof final, run_dir, step, 0);
    snprintf(dir, sizeof dir, "%s/checkpoints", run_dir);
    int rc = file_fsync_dir(tmp, err);
    if (rc != BT_OK)
        return rc;
    /* A same-step directory is a leftover of an interrupted commit, or a damaged
     * checkpoint the run resumed past: its DONE goes first, then the rest. */
    snprintf(done, sizeof done, "%s/DONE", final);
    if (file_exists(final)) {
        if (remove(done) != 0 && errno != ENOENT)
            return bt_errf(err, BT_EIO, "%s: cannot remove: %s", done, strerror(errno));
        if ((rc = file_remove_tree(final, err)) != BT_OK)
            return rc;
    }
    if (rename(tmp, final) != 0)
        return bt_errf(err, BT_EIO, "cannot rename '%s' to '%s': %s", tmp, final,
                       strerror(errno));
    if ((rc = file_fsync_dir(dir, err)) != BT_OK)
        return rc;
    char text[256];
    int len = snprintf(text, sizeof text, "{\"step\": %ld, \"committed\": %lld}\n", step,
                       (long long)time(NULL));
    if ((rc = file_write_atomic(done, text, (size_t)len, err)) != BT_OK)
        return rc;
    return file_fsync_dir(final, err);
}

int ckpt_dir_prune(const char *run_dir, long keep, long permanent_every, char *err)
{
    long *steps;
    int n, rc = ckpt_dir_list(run_dir, &steps, &n, err);
    if (rc != BT_OK)
        return rc;
    long kept = 0;
    for (int i = n - 1; i >= 0 && rc == BT_OK; i--) {
        int permanent = permanent_every > 0 && steps[i] % permanent_every == 0;
        if (i == n - 1 || kept < keep) {
            kept++;
            continue;
        }
        if (permanent)
            continue;
        char path[4096];
        ckpt_dir_step_path(path, sizeof path, run_dir, steps[i], 0);
        /* DONE goes first: an interrupted removal leaves an incomplete directory. */
        char done[4200];
        snprintf(done, sizeof done, "%s/DONE", path);
        if (remove(done) != 0 && errno != ENOENT)
            rc = bt_errf(err, BT_EIO, "%s: cannot remove: %s", done, strerror(errno));
        if (rc == BT_OK)
            rc = file_remove_tree(path, err);
    }
    free(steps);
    return rc;
}

int ckpt_dir_clean_tmp(const char *run_dir, char *err)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/checkpoints", run_dir);
    DIR *d = opendir(dir);
    if (!d)
        return BT_OK;
    struct dirent *e;
    int rc = BT_OK;
    while (rc == BT_OK && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (!strncmp(e->d_name, ".step_", 6) && len > 4 && !strcmp(e->d_name + len - 4, ".tmp")) {
            char path[4400];
            snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
            rc = file_remove_tree(path, err);
        }
    }
    closedir(d);
    return rc;
}

int ckpt_dir_resolve(const char *path, char *file, size_t n, char *err)
{
    if (!file_exists(path))
        return bt_errf(err, BT_EUSAGE, "%s: no such file or directory", path);
    if (!file_is_dir(path)) {
        snprintf(file, n, "%s", path);
        return BT_OK;
    }
    snprintf(file, n, "%s/%s", path, CKPT_FILE_NAME);
    if (file_exists(file))
        return BT_OK;
    long *steps;
    int cnt, rc = ckpt_dir_list(path, &steps, &cnt, err);
    if (rc != BT_OK)
        return rc;
    if (cnt == 0)
        return bt_errf(err, BT_EUSAGE,
                       "%s: no checkpoint here (expected a checkpoint file, a step directory "
                       "or a run directory with checkpoints/step_*/DONE)",
                       path);
    ckpt_dir_step_path(file, n, path, steps[cnt - 1], 1);
    free(steps);
    return BT_OK;
}
