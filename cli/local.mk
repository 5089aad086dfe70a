bin_PROGRAMS += gocoroner
gocoroner_SOURCES = cli/main.c
gocoroner_LDADD = libgocoroner.a $(LIBS_ALL)
