/* comm.h - the process group: the only interface to MPI (comm.c is the only
 * file that includes mpi.h). Ranks are plain ints; buffers are plain arrays.
 * Any MPI error or bt_fatal on any rank aborts the whole job (MPI_Abort).
 * Counts larger than INT_MAX are split internally. */
#ifndef BT_COMM_H
#define BT_COMM_H

#include <stddef.h>
#include <stdint.h>

/* MPI_Init_thread (FUNNELED); sets the log rank and the fatal hook. */
void comm_init(int *argc, char ***argv);
void comm_finalize(void);
int comm_rank(void);
int comm_size(void);
_Noreturn void comm_abort(int code);
void comm_barrier(void);
void comm_bcast(void *buf, size_t bytes, int root);
void comm_allreduce_sum_f64(double *buf, int n);
void comm_allreduce_sum_i64(int64_t *buf, int n);
void comm_allreduce_max_i64(int64_t *buf, int n);
void comm_allreduce_min_i64(int64_t *buf, int n);
/* Bitwise OR of n bytes over all ranks, in place. */
void comm_allreduce_bor_u8(uint8_t *buf, size_t n);
/* Every rank's status rc (BT_OK or an error code) to one job-wide status: BT_OK
 * when all succeeded, else BT_EUSAGE if any rank had a usage error, else
 * BT_ERUNTIME. *rank0_failed tells every rank whether rank 0 failed (then rank 0
 * speaks for everyone and the others stay quiet). Collective. */
int comm_agree_status(int rc, int *rank0_failed);
/* Blocking in-place sum of floats (tests and checks). */
void comm_allreduce_sum_f32(float *buf, size_t n);

/* Non-blocking in-place float sum. Returns a request id (>= 0). */
int comm_iallreduce_sum_f32(float *buf, size_t n);
/* 1 when request id has completed (drives MPI progress). */
int comm_test(int req);
void comm_wait(int req);
/* Processor name for logs. */
const char *comm_host(void);

#endif
