#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# test-leakzoo.sh: test-pileup.sh on the cores of programs/leakzoo (pileup's
# zoo shape: leak patterns and the stale-pointer traps, corpus/README.md,
# "The zoo shape").
PILEUP_PROGRAM=leakzoo
export PILEUP_PROGRAM
exec sh "${TOP_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}/tests/test-pileup.sh"
