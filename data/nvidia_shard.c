/* nvidia_shard.c - see nvidia_shard.h. */
#include "nvidia_shard.h"
#include "mem.h"
#include "shard_h5.h"

#include <string.h>

static const char *const names2d[] = {"input_ids", "input_mask", "segment_ids",
                                      "masked_lm_positions", "masked_lm_ids"};

static int check_file(const char *path, int64_t *rows, int *T, int *P, char *err)
{
    hid_t f;
    int rc = h5_open_ro(path, &f, err);
    if (rc != BT_OK)
        return rc;
    uint64_t n = 0;
    for (int i = 0; i < 5 && rc == BT_OK; i++) {
        int rank;
        uint64_t d[4];
        rc = h5_dims(f, path, names2d[i], &rank, d, err);
        if (rc != BT_OK)
            break;
        hid_t ds = H5Dopen2(f, names2d[i], H5P_DEFAULT);
        hid_t ty = ds < 0 ? -1 : H5Dget_type(ds);
        if (ty < 0 || H5Tget_class(ty) != H5T_INTEGER)
            rc = bt_errf(err, BT_EFORMAT, "%s: dataset '%s' is not a fixed-size integer array "
                         "(variable-length MLPerf shards are not supported)", path, names2d[i]);
        if (ty >= 0)
            H5Tclose(ty);
        if (ds >= 0)
            H5Dclose(ds);
        if (rc != BT_OK)
            break;
        if (rank != 2 || d[1] == 0 || d[1] > 65536)
            rc = bt_errf(err, BT_EFORMAT, "%s: dataset '%s' must be 2-D [rows, width]", path,
                         names2d[i]);
        else if (i > 0 && d[0] != n)
            rc = bt_errf(err, BT_EFORMAT, "%s: dataset '%s' has %llu rows, input_ids has %llu",
                         path, names2d[i], (unsigned long long)d[0], (unsigned long long)n);
        else if (i == 0) {
            n = d[0];
            *T = (int)d[1];
        } else if (i <= 2 && d[1] != (uint64_t)*T)
            rc = bt_errf(err, BT_EFORMAT, "%s: dataset '%s' has width %llu, input_ids %d", path,
                         names2d[i], (unsigned long long)d[1], *T);
        else if (i == 3)
            *P = (int)d[1];
        else if (i == 4 && d[1] != (uint64_t)*P)
            rc = bt_errf(err, BT_EFORMAT, "%s: masked_lm_ids has width %llu, masked_lm_positions "
                         "%d", path, (unsigned long long)d[1], *P);
    }
    if (rc == BT_OK) {
        int rank;
        uint64_t d[4];
        rc = h5_dims(f, path, "next_sentence_labels", &rank, d, err);
        if (rc == BT_OK && !((rank == 1 || (rank == 2 && d[1] == 1)) && d[0] == n))
            rc = bt_errf(err, BT_EFORMAT, "%s: next_sentence_labels must have one value per row",
                         path);
    }
    if (rc == BT_OK && n == 0)
        rc = bt_errf(err, BT_EFORMAT, "%s: the shard has no rows", path);
    *rows = (int64_t)n;
    H5Fclose(f);
    return rc;
}

int nv_open(struct nv_set *s, char *const *paths, int n, char *err)
{
    memset(s, 0, sizeof *s);
    s->paths = paths;
    s->n_files = n;
    s->rows = xcalloc((size_t)n, sizeof *s->rows);
    for (int i = 0; i < n; i++) {
        int T = 0, P = 0;
        int rc = check_file(paths[i], &s->rows[i], &T, &P, err);
        if (rc == BT_OK && i > 0 && (T != s->T || P != s->P))
            rc = bt_errf(err, BT_EFORMAT, "%s: sequence length %d / %d predictions differ from "
                         "%s (%d / %d)", paths[i], T, P, paths[0], s->T, s->P);
        if (rc != BT_OK) {
            nv_close(s);
            return rc;
        }
        s->T = T;
        s->P = P;
        s->total_rows += s->rows[i];
    }
    return BT_OK;
}

void nv_close(struct nv_set *s)
{
    xfree(s->rows);
    memset(s, 0, sizeof *s);
}

int nv_row_npred(const struct nv_file *x, int64_t r)
{
    const int32_t *p = x->mlm_pos + (size_t)r * (size_t)x->P;
    int k = 0;
    while (k < x->P && p[k] != 0)
        k++;
    return k;
}

static int check_rows(const char *path, const struct nv_file *x, int vocab_size, char *err)
{
    size_t nt = (size_t)x->rows * (size_t)x->T, np = (size_t)x->rows * (size_t)x->P;
    for (size_t i = 0; i < nt; i++) {
        if (x->input_ids[i] < 0 || x->input_ids[i] >= vocab_size)
            return bt_errf(err, BT_EFORMAT, "%s: input_ids row %zu has id %d outside the "
                           "vocabulary (size %d)", path, i / (size_t)x->T, (int)x->input_ids[i],
                           vocab_size);
        if ((x->input_mask[i] | 1) != 1 || (x->segment_ids[i] | 1) != 1)
            return bt_errf(err, BT_EFORMAT, "%s: row %zu: input_mask / segment_ids must be 0 or 1",
                           path, i / (size_t)x->T);
    }
    for (size_t i = 0; i < np; i++)
        if (x->mlm_pos[i] < 0 || x->mlm_pos[i] >= x->T || x->mlm_ids[i] < 0 ||
            x->mlm_ids[i] >= vocab_size)
            return bt_errf(err, BT_EFORMAT, "%s: row %zu: masked_lm_positions / masked_lm_ids out "
                           "of range", path, i / (size_t)x->P);
    for (int64_t r = 0; r < x->rows; r++)
        if ((x->nsp[r] | 1) != 1)
            return bt_errf(err, BT_EFORMAT, "%s: row %lld: next_sentence_labels must be 0 or 1",
                           path, (long long)r);
    return BT_OK;
}

int nv_load_file(const struct nv_set *s, int f, int vocab_size, struct nv_file *x, char *err)
{
    memset(x, 0, sizeof *x);
    const char *path = s->paths[f];
    hid_t h;
    int rc = h5_open_ro(path, &h, err);
    if (rc != BT_OK)
        return rc;
    x->rows = s->rows[f];
    x->T = s->T;
    x->P = s->P;
    size_t nt = xmul((size_t)x->rows, (size_t)x->T), np = xmul((size_t)x->rows, (size_t)x->P);
    x->input_ids = xmalloc(xmul(nt, sizeof(int32_t)));
    x->input_mask = xmalloc(nt);
    x->segment_ids = xmalloc(nt);
    x->mlm_pos = xmalloc(xmul(np, sizeof(int32_t)));
    x->mlm_ids = xmalloc(xmul(np, sizeof(int32_t)));
    x->nsp = xmalloc((size_t)x->rows);
    rc = h5_read_all(h, path, "input_ids", H5T_NATIVE_INT32, x->input_ids, err);
    if (rc == BT_OK)
        rc = h5_read_all(h, path, "input_mask", H5T_NATIVE_INT8, x->input_mask, err);
    if (rc == BT_OK)
        rc = h5_read_all(h, path, "segment_ids", H5T_NATIVE_INT8, x->segment_ids, err);
    if (rc == BT_OK)
        rc = h5_read_all(h, path, "masked_lm_positions", H5T_NATIVE_INT32, x->mlm_pos, err);
    if (rc == BT_OK)
        rc = h5_read_all(h, path, "masked_lm_ids", H5T_NATIVE_INT32, x->mlm_ids, err);
    if (rc == BT_OK)
        rc = h5_read_all(h, path, "next_sentence_labels", H5T_NATIVE_INT8, x->nsp, err);
    H5Fclose(h);
    if (rc == BT_OK)
        rc = check_rows(path, x, vocab_size, err);
    if (rc != BT_OK)
        nv_file_free(x);
    return rc;
}

void nv_file_free(struct nv_file *x)
{
    xfree(x->input_ids);
    xfree(x->input_mask);
    xfree(x->segment_ids);
    xfree(x->mlm_pos);
    xfree(x->mlm_ids);
    xfree(x->nsp);
    memset(x, 0, sizeof *x);
}
