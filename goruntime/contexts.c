// contexts.c: decode context.Context objects — kind, parent, Done channel,
// cancellation, deadline, values — and their registered children.
#include "goruntime/internal.h"

struct util_error *gr_context_add(struct gr_reader *r, uint64_t type_addr, uint64_t data,
				  bool *is_context, size_t *index_ret)
{
	(void)r, (void)type_addr, (void)data, (void)index_ret;
	*is_context = false;
	return NULL;
}
