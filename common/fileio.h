/* fileio.h - checked file I/O that reports errors as status + one sentence.
 * Atomic writes follow temp file + fsync + rename + directory fsync, so a reader
 * sees either the old file or the complete new one, never a half-written file. */
#ifndef BT_FILEIO_H
#define BT_FILEIO_H

#include "check.h"

#include <stddef.h>
#include <stdio.h>

/* Reads a whole file; *out is NUL-terminated (not counted in *len). Free with xfree. */
int file_read_all(const char *path, char **out, size_t *len, char *err) BT_WUR;
/* Writes n bytes to fd-backed stream f; names path in the error. */
int file_write_all(FILE *f, const void *buf, size_t n, const char *path, char *err) BT_WUR;
/* Writes buf to path atomically (path.tmp.<pid>, fsync, rename, fsync dir). */
int file_write_atomic(const char *path, const void *buf, size_t n, char *err) BT_WUR;
/* Flushes, fsyncs and closes a stream opened on a temporary path, then renames it
 * to final_path and fsyncs the directory. On failure removes tmp_path. */
int file_commit(FILE *f, const char *tmp_path, const char *final_path, char *err) BT_WUR;
/* fsync of the directory holding path (or of path itself if it is a directory). */
int file_fsync_dir(const char *dir, char *err) BT_WUR;
/* mkdir -p; ok if it exists as a directory. */
int file_mkdir_p(const char *path, char *err) BT_WUR;
int file_exists(const char *path);
int file_is_dir(const char *path);
/* dirname of path into out (size n); "." when there is no slash. */
void file_dirname(const char *path, char *out, size_t n);
/* Removes a directory tree (files and subdirectories); missing is ok. */
int file_remove_tree(const char *path, char *err) BT_WUR;

#endif
