/* check.h - errors: always-on invariant checks, status codes, the fatal path.
 *
 * Three tiers (docs/conventions.md):
 *  1. broken invariants: BT_CHECK(cond, fmt, ...) prints file:line and aborts
 *     the job through the fatal hook (the trainer installs MPI_Abort there);
 *  2. errors at boundaries (files, configs, shards): functions return an int
 *     status (BT_OK or a negative enum bt_err) and write one sentence into a
 *     caller-provided char err[BT_ERR_LEN]; library code never calls exit();
 *  3. third-party status codes get one wrapper in the file that owns the library.
 * Only main() turns a status into a message and an exit code (bt_exit_code).
 */
#ifndef BT_CHECK_H
#define BT_CHECK_H

#include <stddef.h>

#define BT_ERR_LEN 512

enum bt_err {
    BT_OK = 0,
    BT_EUSAGE = -1,  /* bad command line, config or input value: exit 2 */
    BT_EIO = -2,     /* file system or I/O failure: exit 1 */
    BT_EFORMAT = -3, /* damaged or foreign file contents: exit 1 */
    BT_ERUNTIME = -4 /* anything else that went wrong at run time: exit 1 */
};

#define BT_WUR __attribute__((warn_unused_result))
#define BT_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Exit code for a status: 0 ok, 2 usage/config, 1 otherwise. */
int bt_exit_code(int status);

/* Formats into err (BT_ERR_LEN bytes) and returns status; for one-line returns:
 *   return bt_errf(err, BT_EUSAGE, "%s: key '%s' must be ...", path, key); */
int bt_errf(char *err, int status, const char *fmt, ...) BT_PRINTF(3, 4);

/* The fatal path: flush stdout, print "[rank r] file:line: error: msg" on stderr,
 * call the hook (default: abort()). Never returns. */
_Noreturn void bt_fatal(const char *file, int line, const char *fmt, ...) BT_PRINTF(3, 4);
/* Installs the function called by bt_fatal instead of abort() (e.g. MPI_Abort). */
void bt_set_fatal_hook(void (*hook)(int code));

#define BT_CHECK(cond, ...)                                                                        \
    do {                                                                                           \
        if (!(cond))                                                                               \
            bt_fatal(__FILE__, __LINE__, __VA_ARGS__);                                             \
    } while (0)

/* Prints "prog: msg" on stderr and exits with bt_exit_code(status); for main(). */
_Noreturn void bt_die(const char *prog, int status, const char *msg);

#endif
