# SPDX-License-Identifier: Apache-2.0
libgocoroner_a_SOURCES += util/util.h util/error.c util/arena.c util/strtab.c util/u64map.c util/file.c util/zfile.c util/grow.c util/sort.c util/scc.c
