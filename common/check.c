/* check.c - the fatal path and status helpers of check.h. */
#include "check.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void (*fatal_hook)(int code);

int bt_exit_code(int status)
{
    if (status == BT_OK)
        return 0;
    return status == BT_EUSAGE ? 2 : 1;
}

int bt_errf(char *err, int status, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, BT_ERR_LEN, fmt, ap);
        va_end(ap);
    }
    return status;
}

void bt_set_fatal_hook(void (*hook)(int code))
{
    fatal_hook = hook;
}

_Noreturn void bt_fatal(const char *file, int line, const char *fmt, ...)
{
    char msg[BT_ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fflush(stdout);
    if (log_rank() >= 0)
        fprintf(stderr, "[rank %d] %s:%d: error: %s\n", log_rank(), file, line, msg);
    else
        fprintf(stderr, "%s:%d: error: %s\n", file, line, msg);
    fflush(stderr);
    if (fatal_hook)
        fatal_hook(1);
    abort();
}

_Noreturn void bt_die(const char *prog, int status, const char *msg)
{
    fflush(stdout);
    if (log_rank() > 0)
        fprintf(stderr, "[rank %d] %s: %s\n", log_rank(), prog, msg);
    else
        fprintf(stderr, "%s: %s\n", prog, msg);
    fflush(stderr);
    exit(bt_exit_code(status));
}
