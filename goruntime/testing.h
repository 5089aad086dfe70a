// SPDX-License-Identifier: Apache-2.0
/* testing.h: the seams tests drive inside goruntime/, which only the test
 * variant of the library (libgocoroner_test.a, built with GOCORONER_TESTING)
 * has. For goruntime/ files and test programs; the command never sees them. */
#ifndef GOCORONER_GORUNTIME_TESTING_H
#define GOCORONER_GORUNTIME_TESTING_H

#ifndef GOCORONER_TESTING
#error "goruntime/testing.h needs GOCORONER_TESTING: link libgocoroner_test.a and build with it"
#endif

/**
 * When set, gr_snapshot_create fails as the stage of this name begins
 * ("contexts", "defers", "waits" or "reach"), as a corrupt core could make
 * it fail there: after goroutines_done, with another thread reading the
 * goroutines.
 */
extern const char *gr_test_fail_stage;

#endif
