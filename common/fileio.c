/* fileio.c - see fileio.h. */
#include "fileio.h"
#include "mem.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_read_all(const char *path, char **out, size_t *len, char *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return bt_errf(err, BT_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return bt_errf(err, BT_EIO, "%s: not a regular file", path);
    }
    size_t n = (size_t)st.st_size;
    char *buf = xmalloc(n + 1);
    size_t got = n ? fread(buf, 1, n, f) : 0;
    int bad = ferror(f);
    fclose(f);
    if (got != n || bad) {
        xfree(buf);
        return bt_errf(err, BT_EIO, "%s: read failed (%zu of %zu bytes)", path, got, n);
    }
    buf[n] = '\0';
    *out = buf;
    if (len)
        *len = n;
    return BT_OK;
}

int file_write_all(FILE *f, const void *buf, size_t n, const char *path, char *err)
{
    if (n && fwrite(buf, 1, n, f) != n)
        return bt_errf(err, BT_EIO, "%s: write failed: %s", path, strerror(errno));
    return BT_OK;
}

void file_dirname(const char *path, char *out, size_t n)
{
    const char *slash = strrchr(path, '/');
    if (!slash) {
        snprintf(out, n, ".");
    } else if (slash == path) {
        snprintf(out, n, "/");
    } else {
        size_t k = (size_t)(slash - path);
        if (k >= n)
            k = n - 1;
        memcpy(out, path, k);
        out[k] = '\0';
    }
}

int file_fsync_dir(const char *dir, char *err)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0)
        return bt_errf(err, BT_EIO, "%s: cannot open directory: %s", dir, strerror(errno));
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    if (rc != 0 && e != EINVAL)
        return bt_errf(err, BT_EIO, "%s: fsync failed: %s", dir, strerror(e));
    return BT_OK;
}

int file_commit(FILE *f, const char *tmp_path, const char *final_path, char *err)
{
    int rc = BT_OK;
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        rc = bt_errf(err, BT_EIO, "%s: flush failed: %s", tmp_path, strerror(errno));
    if (fclose(f) != 0 && rc == BT_OK)
        rc = bt_errf(err, BT_EIO, "%s: close failed: %s", tmp_path, strerror(errno));
    if (rc == BT_OK && rename(tmp_path, final_path) != 0)
        rc = bt_errf(err, BT_EIO, "cannot rename '%s' to '%s': %s", tmp_path, final_path,
                     strerror(errno));
    if (rc != BT_OK) {
        unlink(tmp_path);
        return rc;
    }
    char dir[4096];
    file_dirname(final_path, dir, sizeof dir);
    return file_fsync_dir(dir, err);
}

int file_write_atomic(const char *path, const void *buf, size_t n, char *err)
{
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f)
        return bt_errf(err, BT_EIO, "%s: cannot create: %s", tmp, strerror(errno));
    int rc = file_write_all(f, buf, n, tmp, err);
    if (rc != BT_OK) {
        fclose(f);
        unlink(tmp);
        return rc;
    }
    return file_commit(f, tmp, path, err);
}

int file_mkdir_p(const char *path, char *err)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n == 0 || n >= sizeof buf)
        return bt_errf(err, BT_EUSAGE, "invalid directory path '%s'", path);
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return bt_errf(err, BT_EIO, "%s: cannot create directory: %s", buf,
                               strerror(errno));
            buf[i] = c;
        }
    }
    if (!file_is_dir(path))
        return bt_errf(err, BT_EIO, "%s: exists and is not a directory", path);
    return BT_OK;
}

int file_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

int file_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int file_remove_tree(const char *path, char *err)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return errno == ENOENT ? BT_OK : bt_errf(err, BT_EIO, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (!d)
            return bt_errf(err, BT_EIO, "%s: cannot open directory: %s", path, strerror(errno));
        struct dirent *e;
        int rc = BT_OK;
        while (rc == BT_OK && (e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char sub[4096];
            snprintf(sub, sizeof sub, "%s/%s", path, e->d_name);
            rc = file_remove_tree(sub, err);
        }
        closedir(d);
        if (rc != BT_OK)
            return rc;
        if (rmdir(path) != 0)
            return bt_errf(err, BT_EIO, "%s: cannot remove: %s", path, strerror(errno));
        return BT_OK;
    }
    if (unlink(path) != 0)
        return bt_errf(err, BT_EIO, "%s: cannot remove: %s", path, strerror(errno));
    return BT_OK;
}
