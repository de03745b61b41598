/* signals.h - SIGTERM, SIGUSR1 and SIGINT request a checkpoint and a clean stop
 * at the next step boundary (the trainer makes all ranks agree on it). A second
 * SIGINT falls back to the default action. */
#ifndef BT_SIGNALS_H
#define BT_SIGNALS_H

/* Exit code after a signal-triggered checkpoint: "requeue or rerun to resume". */
#define TRAIN_EXIT_PREEMPTED 99

void signals_install(void);
/* The first signal received, or 0. */
int signals_pending(void);

#endif
