// main.c: the gocoroner command — dispatches to subcommands.
#include <stdio.h>
#include <string.h>

#include "config.h"

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--version") == 0) {
		printf("gocoroner %s\n", PACKAGE_VERSION);
		return 0;
	}
	fprintf(stderr, "usage: gocoroner COMMAND [ARGS]\n");
	return 2;
}
