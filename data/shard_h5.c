/* shard_h5.c - see shard_h5.h. */
#include "shard_h5.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

void h5_quiet(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

struct reason_ctx {
    char *buf;
    size_t n;
    int done;
};

static herr_t reason_cb(unsigned n, const H5E_error2_t *e, void *data)
{
    (void)n;
    struct reason_ctx *c = data;
    if (!c->done && e->desc && e->desc[0]) {
        snprintf(c->buf, c->n, "%s", e->desc);
        c->done = 1;
    }
    return 0;
}

void h5_reason(char *buf, size_t n)
{
    struct reason_ctx c = {buf, n, 0};
    snprintf(buf, n, "HDF5 error");
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, reason_cb, &c);
}

int h5_fail(char *err, int status, const char *path, const char *what)
{
    char why[256];
    h5_reason(why, sizeof why);
    return bt_errf(err, status, "%s: %s (%s)", path, what, why);
}

int h5_open_ro(const char *path, hid_t *file, char *err)
{
    h5_quiet();
    if (access(path, R_OK) != 0)
        return bt_errf(err, BT_EIO, "%s: cannot read the file", path);
    htri_t is = H5Fis_hdf5(path);
    if (is <= 0)
        return bt_errf(err, BT_EFORMAT, "%s: not an HDF5 file, or a truncated or corrupt one",
                       path);
    *file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (*file < 0)
        return h5_fail(err, BT_EFORMAT, path, "cannot open as HDF5 (truncated or corrupt?)");
    return BT_OK;
}

int h5_write_1d(hid_t file, const char *path, const char *name, hid_t file_type, hid_t mem_type,
                const void *data, size_t n, size_t chunk, char *err)
{
    int rc = BT_OK;
    hsize_t dims[1] = {n}, cdims[1] = {chunk < n ? chunk : n};
    if (cdims[0] == 0)
        cdims[0] = 1;
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (space < 0 || dcpl < 0 || H5Pset_chunk(dcpl, 1, cdims) < 0 || H5Pset_shuffle(dcpl) < 0 ||
        H5Pset_deflate(dcpl, 1) < 0 || H5Pset_obj_track_times(dcpl, 0) < 0) {
        rc = h5_fail(err, BT_EIO, path, "cannot set up a dataset");
        goto out;
    }
    hid_t ds = H5Dcreate2(file, name, file_type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (ds < 0) {
        rc = h5_fail(err, BT_EIO, path, name);
        goto out;
    }
    if (H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0)
        rc = h5_fail(err, BT_EIO, path, name);
    if (H5Dclose(ds) < 0 && rc == BT_OK)
        rc = h5_fail(err, BT_EIO, path, name);
out:
    if (dcpl >= 0)
        H5Pclose(dcpl);
    if (space >= 0)
        H5Sclose(space);
    return rc;
}

int h5_dims(hid_t file, const char *path, const char *name, int *rank, uint64_t dims[4],
            char *err)
{
    if (!h5_has_dataset(file, name))
        return bt_errf(err, BT_EFORMAT, "%s: dataset '%s' is missing", path, name);
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    if (ds < 0)
        return h5_fail(err, BT_EFORMAT, path, name);
    hid_t sp = H5Dget_space(ds);
    int r = sp < 0 ? -1 : H5Sget_simple_extent_ndims(sp);
    hsize_t d[4] = {0, 0, 0, 0};
    int rc = BT_OK;
    if (r < 0 || r > 4 || H5Sget_simple_extent_dims(sp, d, NULL) < 0)
        rc = bt_errf(err, BT_EFORMAT, "%s: dataset '%s' has an unsupported shape", path, name);
    *rank = r;
    for (int i = 0; i < 4; i++)
        dims[i] = d[i];
    if (sp >= 0)
        H5Sclose(sp);
    H5Dclose(ds);
    return rc;
}

int h5_read_all(hid_t file, const char *path, const char *name, hid_t mem_type, void *buf,
                char *err)
{
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    if (ds < 0)
        return h5_fail(err, BT_EFORMAT, path, name);
    int rc = BT_OK;
    if (H5Dread(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) < 0) {
        char what[128];
        snprintf(what, sizeof what, "cannot read dataset '%s' (truncated or corrupt?)", name);
        rc = h5_fail(err, BT_EFORMAT, path, what);
    }
    H5Dclose(ds);
    return rc;
}

int h5_read_rows(hid_t file, const char *path, const char *name, hid_t mem_type, uint64_t row0,
                 uint64_t nrows, void *buf, char *err)
{
    hid_t ds = H5Dopen2(file, name, H5P_DEFAULT);
    if (ds < 0)
        return h5_fail(err, BT_EFORMAT, path, name);
    int rc = BT_OK;
    hid_t fsp = H5Dget_space(ds);
    int rank = fsp < 0 ? -1 : H5Sget_simple_extent_ndims(fsp);
    hsize_t dims[2] = {0, 0}, start[2] = {row0, 0}, count[2] = {nrows, 0};
    if (rank < 1 || rank > 2 || H5Sget_simple_extent_dims(fsp, dims, NULL) < 0 ||
        row0 + nrows > dims[0]) {
        rc = bt_errf(err, BT_EFORMAT, "%s: dataset '%s' has an unexpected shape", path, name);
        goto out;
    }
    count[1] = dims[1];
    hid_t msp = H5Screate_simple(rank, count, NULL);
    if (msp < 0 || H5Sselect_hyperslab(fsp, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
        H5Dread(ds, mem_type, msp, fsp, H5P_DEFAULT, buf) < 0) {
        char what[128];
        snprintf(what, sizeof what, "cannot read dataset '%s' (truncated or corrupt?)", name);
        rc = h5_fail(err, BT_EFORMAT, path, what);
    }
    if (msp >= 0)
        H5Sclose(msp);
out:
    if (fsp >= 0)
        H5Sclose(fsp);
    H5Dclose(ds);
    return rc;
}

static int put_attr(hid_t obj, const char *path, const char *name, hid_t ftype, hid_t mtype,
                    const void *v, char *err)
{
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t a = sp < 0 ? -1 : H5Acreate2(obj, name, ftype, sp, H5P_DEFAULT, H5P_DEFAULT);
    int rc = BT_OK;
    if (a < 0 || H5Awrite(a, mtype, v) < 0) {
        char what[128];
        snprintf(what, sizeof what, "cannot write attribute '%s'", name);
        rc = h5_fail(err, BT_EIO, path, what);
    }
    if (a >= 0)
        H5Aclose(a);
    if (sp >= 0)
        H5Sclose(sp);
    return rc;
}

int h5_attr_put_int(hid_t obj, const char *path, const char *name, hid_t type, int64_t v,
                    char *err)
{
    return put_attr(obj, path, name, type, H5T_NATIVE_INT64, &v, err);
}

int h5_attr_put_u64(hid_t obj, const char *path, const char *name, uint64_t v, char *err)
{
    return put_attr(obj, path, name, H5T_STD_U64LE, H5T_NATIVE_UINT64, &v, err);
}

int h5_attr_put_str(hid_t obj, const char *path, const char *name, const char *v, char *err)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    if (t < 0 || H5Tset_size(t, strlen(v) + 1) < 0 || H5Tset_strpad(t, H5T_STR_NULLTERM) < 0)
        return h5_fail(err, BT_EIO, path, "cannot make a string type");
    int rc = put_attr(obj, path, name, t, t, v, err);
    H5Tclose(t);
    return rc;
}

int h5_has_attr(hid_t obj, const char *name)
{
    return H5Aexists(obj, name) > 0;
}

int h5_has_dataset(hid_t file, const char *name)
{
    return H5Lexists(file, name, H5P_DEFAULT) > 0;
}

static int get_attr(hid_t obj, const char *path, const char *name, hid_t mtype, void *v,
                    char *err)
{
    if (!h5_has_attr(obj, name))
        return bt_errf(err, BT_EFORMAT, "%s: attribute '%s' is missing", path, name);
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t t = a < 0 ? -1 : H5Aget_type(a);
    int rc = BT_OK;
    if (t < 0 || H5Tget_class(t) != H5T_INTEGER || H5Aread(a, mtype, v) < 0)
        rc = bt_errf(err, BT_EFORMAT, "%s: attribute '%s' is not a readable integer", path,
                     name);
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return rc;
}

int h5_attr_get_i64(hid_t obj, const char *path, const char *name, int64_t *v, char *err)
{
    return get_attr(obj, path, name, H5T_NATIVE_INT64, v, err);
}

int h5_attr_get_u64(hid_t obj, const char *path, const char *name, uint64_t *v, char *err)
{
    return get_attr(obj, path, name, H5T_NATIVE_UINT64, v, err);
}

int h5_attr_get_str(hid_t obj, const char *path, const char *name, char *buf, size_t n,
                    char *err)
{
    if (!h5_has_attr(obj, name))
        return bt_errf(err, BT_EFORMAT, "%s: attribute '%s' is missing", path, name);
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t t = a < 0 ? -1 : H5Aget_type(a);
    int rc = BT_OK;
    size_t sz = t < 0 ? 0 : H5Tget_size(t);
    if (t < 0 || H5Tget_class(t) != H5T_STRING || H5Tis_variable_str(t) > 0 || sz == 0 ||
        sz > 4096) {
        rc = bt_errf(err, BT_EFORMAT, "%s: attribute '%s' is not a fixed-length string", path,
                     name);
    } else {
        char tmp[4097];
        if (H5Aread(a, t, tmp) < 0) {
            rc = h5_fail(err, BT_EFORMAT, path, name);
        } else {
            tmp[sz] = '\0';
            snprintf(buf, n, "%s", tmp);
        }
    }
    if (t >= 0)
        H5Tclose(t);
    if (a >= 0)
        H5Aclose(a);
    return rc;
}
