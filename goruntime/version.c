// SPDX-License-Identifier: Apache-2.0
// version.c: the Go release an executable was built with, read from the binary.
#include <stdlib.h>
#include <string.h>

#include "goruntime/internal.h"

struct util_error *gr_go_version(struct dw_binary *bin, const char **ret)
{
	uint64_t addr, size, hdr[2];
	// runtime.buildVersion is a string the linker initialises, so the
	// executable's own data holds it (the core is not needed): its data
	// word as a link-time address, which dw_binary_read_pointer moves.
	struct util_error *err = dw_variable(bin, "runtime.buildVersion", &addr, &size);
	if (!err)
		err = dw_binary_read_pointer(bin, addr, &hdr[0]);
	if (!err)
		err = dw_binary_read(bin, addr + 8, &hdr[1], sizeof(hdr[1]));
	if (!err && hdr[1] > 0 && hdr[1] < 256) {
		char *v = malloc(hdr[1] + 1);
		if (!v)
			return &util_enomem;
		err = dw_binary_read(bin, hdr[0], v, hdr[1]);
		if (!err) {
			v[hdr[1]] = '\0';
			*ret = v;
			return NULL;
		}
		free(v);
	}
	util_error_destroy(err);
	// A stripped executable has no runtime.buildVersion variable; .go.buildinfo
	// records the same string.
	if (*dw_binary_build_version(bin)) {
		char *bv = strdup(dw_binary_build_version(bin));
		if (!bv)
			return &util_enomem;
		*ret = bv;
		return NULL;
	}
	// Fall back to the compiler's DW_AT_producer: "Go cmd/compile go1.27.3; regabi".
	const char *prod = dw_binary_producer(bin);
	const char *p = prod ? strstr(prod, "go1") : NULL;
	if (!p)
		return util_error_create(UTIL_ERROR_BAD_DATA, "%s: cannot find the Go version "
					 "(no runtime.buildVersion, no DW_AT_producer)",
					 dw_binary_path(bin));
	size_t n = strcspn(p, "; ");
	char *v = strndup(p, n);
	if (!v)
		return &util_enomem;
	*ret = v;
	return NULL;
}
