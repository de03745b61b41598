/* comm.c - see comm.h. The only file that includes mpi.h. */
#include "comm.h"
#include "check.h"
#include "log.h"
#include "mem.h"

#include <limits.h>
#include <mpi.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define MAX_REQS 4096
#define CHUNK ((size_t)1 << 30)

static int g_rank, g_size = 1;
static char g_host[MPI_MAX_PROCESSOR_NAME];

/* One logical request may span several MPI requests (counts > CHUNK). */
struct lreq {
    int used, first, count;
};
static struct lreq g_lreq[MAX_REQS];
static MPI_Request *g_mpi_reqs;
static int g_n_mpi;

#define MPI_CHECK(expr)                                                                            \
    do {                                                                                           \
        int rc_ = (expr);                                                                          \
        if (rc_ != MPI_SUCCESS) {                                                                  \
            char msg_[MPI_MAX_ERROR_STRING];                                                       \
            int len_ = 0;                                                                          \
            MPI_Error_string(rc_, msg_, &len_);                                                    \
            bt_fatal(__FILE__, __LINE__, "%s failed: %s", #expr, msg_);                            \
        }                                                                                          \
    } while (0)

static void fatal_hook(int code)
{
    MPI_Abort(MPI_COMM_WORLD, code);
}

void comm_init(int *argc, char ***argv)
{
    int provided;
    MPI_CHECK(MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided));
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &g_rank));
    MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &g_size));
    int len = 0;
    MPI_Get_processor_name(g_host, &len);
    log_set_rank(g_size > 1 ? g_rank : -1);
    bt_set_fatal_hook(fatal_hook);
    g_mpi_reqs = xcalloc(MAX_REQS * 4, sizeof(MPI_Request));
}

void comm_finalize(void)
{
    xfree(g_mpi_reqs);
    g_mpi_reqs = NULL;
    MPI_Finalize();
}

int comm_rank(void)
{
    return g_rank;
}

int comm_size(void)
{
    return g_size;
}

const char *comm_host(void)
{
    return g_host;
}

_Noreturn void comm_abort(int code)
{
    fflush(stdout);
    fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
    _exit(code); /* MPI_Abort does not return; keep the compiler informed */
}

void comm_barrier(void)
{
    MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD));
}

void comm_bcast(void *buf, size_t bytes, int root)
{
    char *p = buf;
    for (size_t off = 0; off < bytes; off += CHUNK) {
        size_t n = bytes - off < CHUNK ? bytes - off : CHUNK;
        MPI_CHECK(MPI_Bcast(p + off, (int)n, MPI_BYTE, root, MPI_COMM_WORLD));
    }
}

void comm_allreduce_sum_f64(double *buf, int n)
{
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD));
}

void comm_allreduce_sum_i64(int64_t *buf, int n)
{
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD));
}

void comm_allreduce_max_i64(int64_t *buf, int n)
{
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD));
}

void comm_allreduce_bor_u8(uint8_t *buf, size_t n)
{
    for (size_t off = 0; off < n; off += INT_MAX / 2) {
        size_t k = n - off < INT_MAX / 2 ? n - off : INT_MAX / 2;
        MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, buf + off, (int)k, MPI_UNSIGNED_CHAR, MPI_BOR,
                                MPI_COMM_WORLD));
    }
}

int comm_agree_status(int rc, int *rank0_failed)
{
    int64_t v[3] = {rc != BT_OK, rc == BT_EUSAGE, comm_rank() == 0 && rc != BT_OK};
    comm_allreduce_max_i64(v, 3);
    *rank0_failed = (int)v[2];
    return !v[0] ? BT_OK : v[1] ? BT_EUSAGE : BT_ERUNTIME;
}

void comm_allreduce_min_i64(int64_t *buf, int n)
{
    MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD));
}

void comm_allreduce_sum_f32(float *buf, size_t n)
{
    for (size_t off = 0; off < n; off += CHUNK) {
        size_t k = n - off < CHUNK ? n - off : CHUNK;
        MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, buf + off, (int)k, MPI_FLOAT, MPI_SUM,
                                MPI_COMM_WORLD));
    }
}

int comm_iallreduce_sum_f32(float *buf, size_t n)
{
    int id = -1;
    for (int i = 0; i < MAX_REQS; i++)
        if (!g_lreq[i].used) {
            id = i;
            break;
        }
    BT_CHECK(id >= 0, "too many outstanding all-reduce requests");
    size_t chunks = (n + CHUNK - 1) / CHUNK;
    if (chunks == 0)
        chunks = 1;
    /* Compact the MPI request array when no request is outstanding. */
    int outstanding = 0;
    for (int i = 0; i < MAX_REQS; i++)
        outstanding |= g_lreq[i].used;
    if (!outstanding)
        g_n_mpi = 0;
    BT_CHECK(g_n_mpi + (int)chunks <= MAX_REQS * 4, "all-reduce request table full");
    g_lreq[id] = (struct lreq){1, g_n_mpi, (int)chunks};
    for (size_t c = 0; c < chunks; c++) {
        size_t off = c * CHUNK, k = n - off < CHUNK ? n - off : CHUNK;
        MPI_CHECK(MPI_Iallreduce(MPI_IN_PLACE, buf + off, (int)k, MPI_FLOAT, MPI_SUM,
                                 MPI_COMM_WORLD, &g_mpi_reqs[g_n_mpi++]));
    }
    return id;
}

int comm_test(int req)
{
    BT_CHECK(req >= 0 && req < MAX_REQS && g_lreq[req].used, "invalid request %d", req);
    int done = 0;
    MPI_CHECK(MPI_Testall(g_lreq[req].count, &g_mpi_reqs[g_lreq[req].first], &done,
                          MPI_STATUSES_IGNORE));
    if (done)
        g_lreq[req].used = 0;
    return done;
}

void comm_wait(int req)
{
    BT_CHECK(req >= 0 && req < MAX_REQS && g_lreq[req].used, "invalid request %d", req);
    MPI_CHECK(MPI_Waitall(g_lreq[req].count, &g_mpi_reqs[g_lreq[req].first],
                          MPI_STATUSES_IGNORE));
    g_lreq[req].used = 0;
}
