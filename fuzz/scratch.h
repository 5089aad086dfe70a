/* scratch.h: a harness's scratch folder (a core, a database), in /dev/shm when
 * there is one; the folders of harnesses that died are removed. */
#ifndef GOCORONER_FUZZ_SCRATCH_H
#define GOCORONER_FUZZ_SCRATCH_H

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Remove FOLDER and the files in it (no subfolders). */
static inline void fuzz_scratch_remove(const char *folder)
{
	DIR *d = opendir(folder);
	if (!d)
		return;
	struct dirent *e;
	char p[512];
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			if (snprintf(p, sizeof(p), "%s/%s", folder, e->d_name) < (int)sizeof(p))
				unlink(p);
		}
	closedir(d);
	rmdir(folder);
}

/*
 * Make the folder PARENT/gocoroner-fuzz-NAME-PID-XXXXXX into RET. A crash
 * report ends the process without atexit, and libFuzzer keeps the
 * sanitizers' death callback for itself, so a folder left by a process that
 * no longer runs is removed here, at the next start.
 */
static inline int fuzz_scratch_make(const char *name, char *ret, size_t size)
{
	static const char *const parents[] = {"/dev/shm", "/tmp"};
	char prefix[128];
	snprintf(prefix, sizeof(prefix), "gocoroner-fuzz-%s-", name);
	for (size_t i = 0; i < 2; i++) {
		DIR *d = opendir(parents[i]);
		struct dirent *e;
		while (d && (e = readdir(d))) {
			if (strncmp(e->d_name, prefix, strlen(prefix)) != 0)
				continue;
			long pid = strtol(e->d_name + strlen(prefix), NULL, 10);
			if (pid > 0 && kill((pid_t)pid, 0) != 0 && errno == ESRCH) {
				char p[512];
				if (snprintf(p, sizeof(p), "%s/%s", parents[i], e->d_name) < (int)sizeof(p))
					fuzz_scratch_remove(p);
			}
		}
		if (d)
			closedir(d);
		snprintf(ret, size, "%s/%s%ld-XXXXXX", parents[i], prefix, (long)getpid());
		if (mkdtemp(ret))
			return 0;
	}
	return -1;
}

#endif
