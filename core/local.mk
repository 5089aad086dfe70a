# SPDX-License-Identifier: Apache-2.0
# core module: ELF cores (raw or zstd) as faulting memory, notes, executable overlay.
libgocoroner_a_SOURCES += core/core.h core/internal.h core/testing.h core/sha256.h core/capture.h \
	core/core.c core/fingerprint.c core/cache.c core/memory.c \
	core/elfcore.c core/notes.c core/zstd.c core/span.c core/keep.c core/trim.c core/exe.c core/sha256.c \
	core/capture.c core/writecore.c
