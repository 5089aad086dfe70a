// SPDX-License-Identifier: Apache-2.0
// file.c: opening a file the user named for reading without blocking on it —
// a FIFO, device, socket or directory is refused before open(2) can wait.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

/* What MODE is, for "PATH: the core is a FIFO, not a regular file". */
static const char *kind_of(mode_t mode)
{
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

static struct util_error *not_regular(const char *path, const char *what, mode_t mode)
{
	const char *kind = kind_of(mode);
	return util_error_create(UTIL_ERROR_BAD_DATA, "%s: %s is %s%s", path, what, kind,
				 S_ISREG(mode) || kind[0] == 'n' ? "" : ", not a regular file");
}

struct util_error *util_open_regular(const char *path, const char *what, int *fd_ret)
{
	// O_NONBLOCK: open(2) of a FIFO without a writer would wait for one
	// (forever); with it, the open returns and fstat says what the file is.
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		int e = errno;
		struct stat st;
		// A socket cannot be opened at all (ENXIO): say what it is.
		if (e == ENXIO && stat(path, &st) == 0 && !S_ISREG(st.st_mode))
			return not_regular(path, what, st.st_mode);
		char msg[64];
		snprintf(msg, sizeof(msg), "cannot open %s", what);
		return util_error_os(e, path, msg);
	}
	struct stat st;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		return util_error_os(e, path, "fstat");
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return not_regular(path, what, st.st_mode);
	}
	// Regular files never block; clear the flag anyway so that nothing
	// later sees EAGAIN from a file system that honours it.
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	*fd_ret = fd;
	return NULL;
}

struct util_error *util_check_regular(const char *path, const char *what, bool *exists_ret)
{
	// stat(2) never blocks on a FIFO: no need to open it.
	struct stat st;
	if (stat(path, &st) != 0) {
		if (errno == ENOENT && exists_ret) {
			*exists_ret = false;
			return NULL;
		}
		char msg[64];
		snprintf(msg, sizeof(msg), "cannot open %s", what);
		return util_error_os(errno, path, msg);
	}
	if (!S_ISREG(st.st_mode))
		return not_regular(path, what, st.st_mode);
	if (exists_ret)
		*exists_ret = true;
	return NULL;
}
