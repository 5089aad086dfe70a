/* store/testing.h: the store's seams for tests, compiled in only with
 * GOCORONER_TESTING (libgocoroner_test.a); the installed command has none. */
#ifndef GOCORONER_STORE_TESTING_H
#define GOCORONER_STORE_TESTING_H

#ifndef GOCORONER_TESTING
#error "store/testing.h is for test builds only: define GOCORONER_TESTING and link libgocoroner_test.a"
#endif

#include "store/store.h"

/**
 * For reliability tests only: after about N hundred steps of SQLite's
 * virtual machine on DB's connection (N > 0), the process kills itself with
 * SIGKILL, as a crash or `kill -9` at that point of a write would. N = 0
 * removes the hook.
 */
void store_test_crash_after(struct store_db *db, unsigned long n);

#endif
