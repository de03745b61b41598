/* log.c - see log.h. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static int g_rank = -1;
static int g_quiet;

void log_set_rank(int rank)
{
    g_rank = rank;
}

int log_rank(void)
{
    return g_rank;
}

void log_set_quiet(int quiet)
{
    g_quiet = quiet;
}

static void vlog(const char *tag, const char *fmt, va_list ap)
{
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (g_rank >= 0)
        fprintf(stderr, "[rank %d] %s%s\n", g_rank, tag, msg);
    else
        fprintf(stderr, "%s%s\n", tag, msg);
}

void log_info(const char *fmt, ...)
{
    if (g_quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("warning: ", fmt, ap);
    va_end(ap);
}

void log0_info(const char *fmt, ...)
{
    if (g_quiet || g_rank > 0)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s\n", msg);
}

void log0_warn(const char *fmt, ...)
{
    if (g_rank > 0)
        return;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "warning: %s\n", msg);
}
