// SPDX-License-Identifier: Apache-2.0
// error.c: the one error type every gocoroner function returns.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

struct util_error util_enomem = {
	.code = UTIL_ERROR_NOMEM,
	.message = (char *)"out of memory",
};

struct util_error *util_error_vcreate(enum util_error_code code, const char *fmt, va_list ap)
{
	struct util_error *err = calloc(1, sizeof(*err));
	if (!err)
		return &util_enomem;
	if (vasprintf(&err->message, fmt, ap) < 0) {
		free(err);
		return &util_enomem;
	}
	err->code = code;
	return err;
}

struct util_error *util_error_create(enum util_error_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	struct util_error *err = util_error_vcreate(code, fmt, ap);
	va_end(ap);
	return err;
}

struct util_error *util_error_os(int errnum, const char *path, const char *what)
{
	struct util_error *err = util_error_create(UTIL_ERROR_OS, "%s: %s: %s", path, what,
						   strerror(errnum));
	if (err != &util_enomem)
		err->errnum = errnum;
	return err;
}

struct util_error *util_error_fault(uint64_t addr, const char *fmt, ...)
{
	char *what = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&what, fmt, ap);
	va_end(ap);
	if (r < 0)
		return &util_enomem;
	struct util_error *err = util_error_create(UTIL_ERROR_FAULT,
						   "memory at 0x%llx is not in the core (%s)",
						   (unsigned long long)addr, what);
	free(what);
	if (err != &util_enomem)
		err->address = addr;
	return err;
}

struct util_error *util_error_prefix(struct util_error *err, const char *fmt, ...)
{
	if (!err || err == &util_enomem)
		return err;
	char *prefix = NULL, *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&prefix, fmt, ap);
	va_end(ap);
	if (r < 0)
		return err;
	if (asprintf(&msg, "%s%s", prefix, err->message) >= 0) {
		free(err->message);
		err->message = msg;
	}
	free(prefix);
	return err;
}

void util_error_destroy(struct util_error *err)
{
	if (!err || err == &util_enomem)
		return;
	free(err->message);
	free(err);
}

struct util_error *util_error_catch(struct util_error *err, enum util_error_code code)
{
	if (err && err->code == code) {
		util_error_destroy(err);
		return NULL;
	}
	return err;
}
