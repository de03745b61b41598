/* shard_dir.h - finds the shard files of a data directory: regular files
 * named *.h5 or *.hdf5 directly inside it, sorted by name (byte order), so the
 * list is the same on every rank and machine. */
#ifndef BT_SHARD_DIR_H
#define BT_SHARD_DIR_H

#include "check.h"

/* *paths (n entries, each "dir/name") is owned by the caller: shard_dir_free.
 * BT_EIO if dir cannot be read, BT_EUSAGE if it holds no shard file. */
int shard_dir_list(const char *dir, char ***paths, int *n, char *err) BT_WUR;
void shard_dir_free(char **paths, int n);

#endif
