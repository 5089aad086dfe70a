# SPDX-License-Identifier: Apache-2.0
# The man page names the installed query library and bash completion, so it
# is made from doc/gocoroner.1.in with the directories make install uses
# (configure's own substitution would leave them as ${prefix}/...).
man_MANS = doc/gocoroner.1
CLEANFILES += doc/gocoroner.1
EXTRA_DIST += doc/gocoroner.1.in doc/internals.md doc/performance.md doc/robustness.md
doc/gocoroner.1: $(srcdir)/doc/gocoroner.1.in Makefile
	$(AM_V_GEN)$(MKDIR_P) doc && \
	sed -e 's|@pkgdatadir[@]|$(pkgdatadir)|g' \
	    -e 's|@bashcompletiondir[@]|$(bashcompletiondir)|g' \
	    -e 's|@VERSION[@]|$(VERSION)|g' $(srcdir)/doc/gocoroner.1.in >$@.tmp && \
	mv -f $@.tmp $@

# Bash completion, where bash-completion looks for it under the prefix
# (/usr/local/share/... is searched too, through XDG_DATA_DIRS).
bashcompletiondir = $(datadir)/bash-completion/completions
dist_bashcompletion_DATA = doc/bash-completion/gocoroner
