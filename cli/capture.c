// SPDX-License-Identifier: Apache-2.0
// capture.c: what 'analyze' records about a core besides its memory — when
// it was captured (and how we know) and the name of its executable.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "core/core.h"

/* T as 'YYYY-MM-DDTHH:MM:SSZ' into OUT; false if T is out of range. */
static bool format_utc(int64_t t, char out[CLI_TIME_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (t <= 0 || !gmtime_r(&tt, &tm) || tm.tm_year + 1900 > 9999)
		return false;
	return strftime(out, CLI_TIME_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm) > 0;
}

/* True if S[0..N) are N decimal digits. */
static bool digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

bool cli_parse_time(const char *arg, int64_t *ret)
{
	char *end;
	if (arg[0] == '@') {
		errno = 0;
		long long v = strtoll(arg + 1, &end, 10);
		if (!digits(arg + 1, strlen(arg + 1)) || *end || errno || v <= 0)
			return false;
		char check[CLI_TIME_LEN];
		if (!format_utc(v, check))
			return false;
		*ret = v;
		return true;
	}
	// YYYY-MM-DDTHH:MM:SS, an optional fraction of a second (dropped), then
	// 'Z' or '+00:00': the time is UTC, as captured_at is.
	struct tm tm = {0};
	end = strptime(arg, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!end || strlen(arg) < 19 || arg[4] != '-' || arg[10] != 'T')
		return false;
	if (*end == '.') {
		end++;
		size_t n = strspn(end, "0123456789");
		if (n == 0)
			return false;
		end += n;
	}
	if (strcmp(end, "Z") != 0 && strcmp(end, "+00:00") != 0)
		return false;
	int mday = tm.tm_mday, mon = tm.tm_mon;
	time_t t = timegm(&tm);
	// timegm folds 31 April into 1 May: a date that moved did not exist.
	if (t <= 0 || tm.tm_mday != mday || tm.tm_mon != mon)
		return false;
	*ret = (int64_t)t;
	return true;
}

/*
 * systemd-coredump names the cores it keeps
 * core.COMM.UID.BOOTID.PID.TIMESTAMP, then .zst, .lz4 or .xz when it
 * compressed them (systemd's src/coredump/coredump.c, make_filename; COMM
 * has its '.', '/' and ' ' escaped as \xNN, so the fields split on '.').
 * TIMESTAMP is the kernel's %t, the time of the dump, which systemd
 * writes in microseconds since the epoch. The name survives a copy with
 * cp, scp or git; the file's time does not.
 */
bool cli_coredump_name_time(const char *path, int64_t *ret)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	if (strncmp(base, "core.", 5) != 0)
		return false;
	size_t len = strlen(base);
	static const char *const suffixes[] = {".zst", ".lz4", ".xz"};
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		size_t n = strlen(suffixes[i]);
		if (len > n && strcmp(base + len - n, suffixes[i]) == 0) {
			len -= n;
			break;
		}
	}
	// From the right: TIMESTAMP, PID, BOOTID (32 hex digits), UID; COMM
	// is what is left, and not empty.
	const char *field[4];
	size_t flen[4];
	size_t end = len;
	for (int i = 0; i < 4; i++) {
		size_t dot = end;
		while (dot > 5 && base[dot - 1] != '.')
			dot--;
		if (dot <= 5)
			return false;
		field[i] = base + dot;
		flen[i] = end - dot;
		end = dot - 1;
	}
	if (end <= 5) // no COMM
		return false;
	if (!digits(field[0], flen[0]) || flen[0] > 18 || !digits(field[1], flen[1]) ||
	    !digits(field[3], flen[3]) || flen[2] != 32 ||
	    strspn(field[2], "0123456789abcdef") < 32)
		return false;
	int64_t v = strtoll(field[0], NULL, 10);
	// Microseconds; a number of seconds (an older or hand-made name) is
	// taken as such: 10^12 µs is 1970-01-12, 10^12 s the year 33658.
	if (v >= 1000000000000LL)
		v /= 1000000;
	char check[CLI_TIME_LEN];
	if (!format_utc(v, check))
		return false;
	*ret = v;
	return true;
}

void cli_capture_time(const char *core_path, const char *option, int64_t mtime,
		      struct cli_capture *ret)
{
	int64_t t;
	ret->at[0] = '\0';
	ret->source = NULL;
	if (option && cli_parse_time(option, &t) && format_utc(t, ret->at))
		ret->source = "option";
	else if (cli_coredump_name_time(core_path, &t) && format_utc(t, ret->at))
		ret->source = "file name";
	else if (format_utc(mtime, ret->at))
		ret->source = "file mtime";
}

void cli_exe_name(const struct core_file *core, char *buf, size_t len)
{
	// The path the kernel (or gdb) recorded for the mapping that holds the
	// entry point: the file that ran, whatever it was copied to since. The
	// kernel appends " (deleted)" to a file removed while it ran.
	const char *path = core_exe_path(core);
	buf[0] = '\0';
	if (path && *path) {
		const char *base = strrchr(path, '/');
		base = base && base[1] ? base + 1 : path;
		size_t n = strlen(base);
		static const char deleted[] = " (deleted)";
		if (n > sizeof(deleted) - 1 && strcmp(base + n - (sizeof(deleted) - 1), deleted) == 0)
			n -= sizeof(deleted) - 1;
		snprintf(buf, len, "%.*s", (int)n, base);
	}
	// Else pr_fname of NT_PRPSINFO: the process's comm, cut at 15 bytes.
	if (!buf[0] && core_info(core)->fname)
		snprintf(buf, len, "%s", core_info(core)->fname);
}
