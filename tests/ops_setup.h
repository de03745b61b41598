/* ops_setup.h - cmocka group setup and teardown for tests of code that runs on
 * ops/ (the oneDNN context and the FTZ/DAZ flags): pass them to
 * cmocka_run_group_tests. Header only: testutil does not link ops. */
#ifndef BT_OPS_SETUP_H
#define BT_OPS_SETUP_H

#include "ops.h"

static int ops_setup(void **state)
{
    (void)state;
    ops_init();
    return 0;
}

static int ops_teardown(void **state)
{
    (void)state;
    ops_shutdown();
    return 0;
}

#endif
