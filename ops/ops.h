/* ops.h - the encoder kernels: forward/backward pairs on plain float arrays.
 *
 * Dimension letters used in every shape comment: B batch, T sequence length,
 * N = B*T rows, C hidden size, E embedding size (ALBERT), NH heads, HS head size,
 * F intermediate size, V vocabulary, M gathered (masked) rows.
 * Matrices are row-major; Linear weights are stored [out, in] as in PyTorch.
 *
 * The contract of every *_backward: it ACCUMULATES (+=) into every gradient it
 * writes, unless its header says "overwrites". The caller zeroes parameter
 * gradients once per optimizer step and activation gradients where needed.
 * Every optimised kernel has a naive *_ref twin used as the test oracle.
 *
 * ops knows nothing of MPI, HDF5, configs or the model. Never call an op from
 * inside an OpenMP parallel region (ops parallelise themselves).
 */
#ifndef BT_OPS_H
#define BT_OPS_H

#include <stddef.h>
#include <stdint.h>

enum ops_backend { OPS_BACKEND_DNNL, OPS_BACKEND_REF, OPS_BACKEND_COUNT };

/* Creates the oneDNN engine and stream (no-op without oneDNN). Idempotent. */
void ops_init(void);
void ops_shutdown(void);
/* Selects the matmul backend; DNNL falls back to REF when built without oneDNN. */
void ops_set_backend(enum ops_backend b);
enum ops_backend ops_get_backend(void);
int ops_have_dnnl(void);
/* "oneDNN 2.6.3" or "reference kernels". */
const char *ops_backend_name(void);
int ops_max_threads(void);

#endif
