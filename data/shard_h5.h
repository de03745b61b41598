/* shard_h5.h - small HDF5 helpers shared by the shard files (shard_writer.c,
 * shard_reader.c, nvidia_shard.c); include it from nowhere else, since it
 * brings in hdf5.h. Every function reports failure as a status and one
 * sentence that names the file, the object and HDF5's own reason. */
#ifndef BT_SHARD_H5_H
#define BT_SHARD_H5_H

#include "check.h"

#include <hdf5.h>
#include <stddef.h>
#include <stdint.h>

/* Turns off HDF5's automatic error printing (errors come back through err). */
void h5_quiet(void);
/* HDF5's description of the most recent error on the default stack. */
void h5_reason(char *buf, size_t n);
/* Formats "path: what: <HDF5 reason>" into err and returns status. */
int h5_fail(char *err, int status, const char *path, const char *what);

/* Opens path read-only; BT_EIO if missing, BT_EFORMAT if not HDF5. */
int h5_open_ro(const char *path, hid_t *file, char *err) BT_WUR;

/* Writes a chunked, shuffled, deflated 1-D dataset of n > 0 elements. */
int h5_write_1d(hid_t file, const char *path, const char *name, hid_t file_type, hid_t mem_type,
                const void *data, size_t n, size_t chunk, char *err) BT_WUR;
/* Dimensions of dataset name: *rank and dims[0..rank) (rank <= 4). */
int h5_dims(hid_t file, const char *path, const char *name, int *rank, uint64_t dims[4],
            char *err) BT_WUR;
/* Reads all of dataset name converted to mem_type into buf (caller sized it). */
int h5_read_all(hid_t file, const char *path, const char *name, hid_t mem_type, void *buf,
                char *err) BT_WUR;
/* Reads rows [row0, row0+nrows) of a 1-D or 2-D dataset into buf. */
int h5_read_rows(hid_t file, const char *path, const char *name, hid_t mem_type, uint64_t row0,
                 uint64_t nrows, void *buf, char *err) BT_WUR;

int h5_attr_put_int(hid_t obj, const char *path, const char *name, hid_t type, int64_t v,
                    char *err) BT_WUR;
int h5_attr_put_u64(hid_t obj, const char *path, const char *name, uint64_t v, char *err) BT_WUR;
int h5_attr_put_str(hid_t obj, const char *path, const char *name, const char *v,
                    char *err) BT_WUR;
/* Integer attribute converted to int64 / uint64; BT_EFORMAT if missing. */
int h5_attr_get_i64(hid_t obj, const char *path, const char *name, int64_t *v, char *err) BT_WUR;
int h5_attr_get_u64(hid_t obj, const char *path, const char *name, uint64_t *v, char *err) BT_WUR;
/* String attribute into buf (NUL-terminated, truncated to n-1). */
int h5_attr_get_str(hid_t obj, const char *path, const char *name, char *buf, size_t n,
                    char *err) BT_WUR;
int h5_has_attr(hid_t obj, const char *name);
int h5_has_dataset(hid_t file, const char *name);

#endif
