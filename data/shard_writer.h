/* shard_writer.h - writes one bert-prep shard (layout in shard_format.h).
 * The file is written to `path` directly; callers put it in a temporary
 * directory and rename the directory when every shard is complete. Output is
 * byte-identical for identical inputs (no timestamps are stored). */
#ifndef BT_SHARD_WRITER_H
#define BT_SHARD_WRITER_H

#include "check.h"
#include "shard_format.h"

int shard_writer_write(const char *path, const struct shard_meta *m, const struct shard_data *d,
                       char *err) BT_WUR;

#endif
