// SPDX-License-Identifier: Apache-2.0
// replay.c: run saved inputs through a fuzz harness without libFuzzer, so the
// seeds and the crash inputs of fuzz/ are regression tests of every build.
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Optional in a harness, as with libFuzzer. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static size_t ninputs;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	size_t cap = 4096, len = 0;
	uint8_t *data = malloc(cap);
	for (;;) {
		if (!data) {
			fprintf(stderr, "replay: %s: out of memory\n", path);
			fclose(f);
			return 1;
		}
		len += fread(data + len, 1, cap - len, f);
		if (len < cap)
			break;
		cap *= 2;
		uint8_t *n = realloc(data, cap);
		if (!n)
			free(data);
		data = n;
	}
	int bad = ferror(f);
	fclose(f);
	if (bad) {
		fprintf(stderr, "replay: %s: read error\n", path);
		free(data);
		return 1;
	}
	// Name the input first: if the harness crashes, the log says on what.
	fprintf(stderr, "replay: %s (%zu bytes)\n", path, len);
	// libFuzzer hands over exactly SIZE bytes; a copy of that size lets
	// ASan catch a harness reading past the end.
	uint8_t *exact = malloc(len ? len : 1);
	if (!exact) {
		free(data);
		return 1;
	}
	memcpy(exact, data, len);
	free(data);
	LLVMFuzzerTestOneInput(exact, len);
	free(exact);
	ninputs++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory's files in name order (dot files skipped), not recursively:
 * the layout libFuzzer itself writes its corpus in. */
static int run_dir(const char *dir)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, NULL);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	char **names = calloc(n ? n : 1, sizeof(*names));
	int k = 0, status = 0;
	for (int i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.' && names &&
		    (names[k] = malloc(strlen(dir) + strlen(ents[i]->d_name) + 2)))
			sprintf(names[k++], "%s/%s", dir, ents[i]->d_name);
		free(ents[i]);
	}
	free(ents);
	if (!names)
		return 1;
	qsort(names, k, sizeof(*names), name_cmp);
	for (int i = 0; i < k; i++) {
		struct stat st;
		if (stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
			status |= run_file(names[i]);
		free(names[i]);
	}
	free(names);
	return status;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n"
				"Run each file (each file of each directory) through the harness.\n",
			argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	int status = 0;
	for (int i = 1; i < argc; i++) {
		struct stat st;
		if (stat(argv[i], &st) != 0) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			status = 1;
		} else if (S_ISDIR(st.st_mode)) {
			status |= run_dir(argv[i]);
		} else {
			status |= run_file(argv[i]);
		}
	}
	fprintf(stderr, "replay: %zu inputs run\n", ninputs);
	return status;
}
