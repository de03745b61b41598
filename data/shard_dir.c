/* shard_dir.c - see shard_dir.h. */
#include "shard_dir.h"
#include "mem.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n > m && strcmp(s + n - m, suf) == 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int shard_dir_list(const char *dir, char ***paths, int *n, char *err)
{
    *paths = NULL;
    *n = 0;
    DIR *d = opendir(dir);
    if (!d)
        return bt_errf(err, BT_EIO, "%s: cannot open the data directory: %s", dir,
                       strerror(errno));
    char **list = NULL;
    int cnt = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || !(ends_with(e->d_name, ".h5") || ends_with(e->d_name, ".hdf5")))
            continue;
        size_t len = strlen(dir) + strlen(e->d_name) + 2;
        char *p = xmalloc(len);
        snprintf(p, len, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) != 0 || !S_ISREG(st.st_mode)) {
            xfree(p);
            continue;
        }
        if (cnt == cap) {
            cap = cap ? 2 * cap : 16;
            list = xrealloc(list, xmul((size_t)cap, sizeof *list));
        }
        list[cnt++] = p;
    }
    closedir(d);
    if (cnt == 0) {
        xfree(list);
        return bt_errf(err, BT_EUSAGE, "%s: no shards found (expected *.h5 or *.hdf5 files)",
                       dir);
    }
    qsort(list, (size_t)cnt, sizeof *list, cmp_str);
    *paths = list;
    *n = cnt;
    return BT_OK;
}

void shard_dir_free(char **paths, int n)
{
    for (int i = 0; i < n; i++)
        xfree(paths[i]);
    xfree(paths);
}
