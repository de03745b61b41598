/* log.h - progress and warning output with an optional "[rank r]" prefix.
 * The rank is a plain int set by whoever knows it (the trainer after MPI init);
 * -1 means "not distributed" and prints no prefix. log0_* print on rank <= 0 only.
 * Everything goes to stderr except log0_out (stdout, for a program's results). */
#ifndef BT_LOG_H
#define BT_LOG_H

#include "check.h"

void log_set_rank(int rank);
int log_rank(void);
void log_set_quiet(int quiet); /* 1: suppress log_info / log0_info */

void log_info(const char *fmt, ...) BT_PRINTF(1, 2);
void log_warn(const char *fmt, ...) BT_PRINTF(1, 2);
void log0_info(const char *fmt, ...) BT_PRINTF(1, 2);
void log0_warn(const char *fmt, ...) BT_PRINTF(1, 2);

#endif
