// waits.c: who waits on what — channels and their queues, sync primitives and
// semaphores — for every goroutine of a snapshot.
#include "goruntime/internal.h"

struct util_error *gr_read_waits(struct gr_reader *r)
{
	(void)r;
	return NULL;
}
