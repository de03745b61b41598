/* timer.h - monotonic wall clock in seconds. */
#ifndef BT_TIMER_H
#define BT_TIMER_H

double timer_now(void);

#endif
