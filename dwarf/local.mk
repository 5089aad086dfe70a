# SPDX-License-Identifier: Apache-2.0
# dwarf module: DWARF index (libdw) and Go's pclntab.
libgocoroner_a_SOURCES += dwarf/dwarf.h dwarf/internal.h dwarf/binary.c dwarf/index.c \
	dwarf/namemap.c dwarf/pclntab.c dwarf/pcnames.c dwarf/vars.c dwarf/ptrmap.c \
	dwarf/debugfile.c dwarf/stripped.c dwarf/layouts.c
