// ctxfind.c: find the contexts each goroutine's frames hold.
#include "goruntime/internal.h"

struct util_error *gr_read_contexts(struct gr_reader *r)
{
	(void)r;
	return NULL;
}
