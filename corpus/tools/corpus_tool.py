#!/usr/bin/python3
"""Helpers for corpus/generate.sh (stdlib only).

  corpus_tool.py scrub-tokens
      Print, one per line, the host-specific strings of this machine's
      /proc/self/mountinfo and /proc/self/cgroup: mount roots, mount points
      and sources that are not generic (/proc, /sys, /dev..., tmpfs, proc...).
      Go 1.25+ reads both files at start-up (cgroup-aware GOMAXPROCS), so
      they end up in the heap of the cores.

  corpus_tool.py scrub CORE TOKENFILE
      Overwrite every occurrence of each token in CORE, in place, with the
      same number of 'x' bytes. The file keeps its holes (only pages that
      contain a token are written). Prints "N" (the number of occurrences)
      and, on stderr, one line per token found.

  corpus_tool.py grep FILE STRING...
      Print the strings that occur in FILE (exit 0 either way).

  corpus_tool.py same-image EXE1 EXE2
      Whether the two ELF executables load the same bytes: the same PT_LOAD
      segments (address, memory size, flags) holding the same bytes, past
      p_filesz the zeros the kernel gives, leaving out the headers before the
      first segment's contents (objcopy rewrites e_shoff and e_shnum, may
      trim a p_filesz and moves the section headers Go's linker puts in the
      first page; the program reads none of them). Prints "same" or
      "differs: WHY".

  corpus_tool.py compare TRACEBACK DLV [SKIP_GOID [LEAKS]]
      Check that every goroutine of Go's traceback appears in Delve's
      "goroutines -t" listing of the core, with the same wait reason when it
      is waiting (SKIP_GOID: the dumper, dead in the core). A goroutine Go
      prints as "REASON (leaked)" must be in Delve's listing, with REASON or
      with none (Delve does not know the leaked status); so must one that
      LEAKS (Go's goroutine-leak profile, taken after a gcore TRACEBACK)
      prints as leaked. Prints "dlv-mismatch:id=[go]/[dlv],..." or nothing.

  corpus_tool.py abort PID
      Send SIGABRT to the thread of PID that is blocked in read(2) (the
      rawsyscall goroutine's: the only read(2) of the program), with tgkill,
      so that the same goroutine takes the signal in every kernel core. Falls
      back to kill(PID) if there is no such thread. Prints the thread id (0
      for the fallback).

  corpus_tool.py leaks LEAKS STDOUT
      Compare the goroutines Go's goroutine-leak profile (debug=2 dump,
      leaked ones marked "(leaked)") lists with the goroutines the program
      says are leaked: diag's "expect leak_suspect" lines; for pileup (its
      stdout starts with "shape"), the members of its "group ... leaked=1"
      lines (the goroutines of the dump with a frame of the group's func=),
      and the goroutines of its "cycle" and "leak" lines. Prints
      "leaks-profile:N" (N leaked goroutines) and, if the sets differ,
      "leaks-mismatch:extra=ID/ID,missing=ID/ID" (at most 10 ids each, then
      "/...+N"). For pileup also "leaks-group:NAME=GOT/SIZE" when the dump
      does not have exactly SIZE goroutines running the group's function.

  corpus_tool.py manifest MANIFEST ROWFILE
      Insert or replace rows (tab-separated, keyed by the first column) of
      MANIFEST with those of ROWFILE, keeping the header and sorting by name.
"""
import ctypes
import mmap
import os
import platform
import re
import signal
import struct
import sys

HEADER = ("name program go_version mode core_kind exe core traceback stdout dlv "
          "exe_sha256 core_sha256 core_size core_zst_size dumper_goid notes captured_at").split()

GENERIC_FSTYPES = {
    "proc", "sysfs", "devtmpfs", "tmpfs", "devpts", "cgroup", "cgroup2", "ext4",
    "ext3", "ext2", "xfs", "btrfs", "overlay", "mqueue", "hugetlbfs", "debugfs",
    "tracefs", "securityfs", "pstore", "bpf", "configfs", "fusectl", "autofs",
    "binfmt_misc", "rpc_pipefs", "nsfs", "none", "shm", "udev", "fuse",
    "efivarfs", "vfat", "squashfs", "ramfs", "9p", "virtiofs",
}
GENERIC_PREFIXES = ("/proc", "/sys", "/dev", "/run", "/etc/hosts",
                    "/etc/hostname", "/etc/resolv.conf")


def unescape(s):
    # mountinfo escapes space, tab, newline and backslash as \ooo
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), s)


def is_generic(tok):
    if len(tok) < 4 or tok in GENERIC_FSTYPES:
        return True
    if tok == "/":
        return True
    for p in GENERIC_PREFIXES:
        if tok == p or tok.startswith(p + "/"):
            return True
    return False


def scrub_tokens():
    toks = set()
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                fields = line.split()
                if "-" not in fields:
                    continue
                sep = fields.index("-")
                cands = [fields[3], fields[4]]          # root, mount point
                if sep + 2 < len(fields):
                    cands.append(fields[sep + 2])       # mount source
                for c in cands:
                    c = unescape(c)
                    if not is_generic(c):
                        toks.add(c)
    except OSError:
        pass
    try:
        with open("/proc/self/cgroup") as f:
            for line in f:
                parts = line.rstrip("\n").split(":", 2)
                if len(parts) == 3 and not is_generic(parts[2]):
                    toks.add(parts[2])
    except OSError:
        pass
    # Distinctive path components too ("/a/b/c" may be stored piecewise).
    for t in list(toks):
        for comp in t.split("/"):
            if len(comp) >= 8 and not is_generic(comp):
                toks.add(comp)
    # Longest first, so that a token contained in another is handled after it.
    for t in sorted(toks, key=lambda t: (-len(t), t)):
        print(t)


def scrub(core, tokfile):
    with open(tokfile) as f:
        toks = [l.rstrip("\n").encode() for l in f if l.strip()]
    total = 0
    size = os.path.getsize(core)
    if size == 0 or not toks:
        print(0)
        return
    with open(core, "r+b") as f:
        mm = mmap.mmap(f.fileno(), 0)
        try:
            for t in toks:
                n = 0
                pos = mm.find(t)
                while pos >= 0:
                    mm[pos:pos + len(t)] = b"x" * len(t)
                    n += 1
                    pos = mm.find(t, pos + len(t))
                if n:
                    print("scrubbed %d x %r" % (n, t.decode()), file=sys.stderr)
                total += n
            mm.flush()
        finally:
            mm.close()
    print(total)


def grep(path, strings):
    with open(path, "rb") as f:
        data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        for s in strings:
            if data.find(s.encode()) >= 0:
                print(s)


def leaked_goids(leakpath):
    out = set()
    if leakpath and os.path.exists(leakpath):
        with open(leakpath, errors="replace") as f:
            for line in f:
                m = re.match(r"goroutine (\d+) \[.*\(leaked\)\]", line)
                if m:
                    out.add(m.group(1))
    return out


def compare(tbpath, dlvpath, skip="", leakpath=""):
    leaked = leaked_goids(leakpath)
    tb = {}
    with open(tbpath, errors="replace") as f:
        for line in f:
            m = re.match(r"goroutine (\d+) .*?\[([^\]]*)\](?: \{.*\})?:$", line)
            if m and m.group(1) not in ("0", skip):
                tb[m.group(1)] = m.group(2)
    dl = {}
    with open(dlvpath, errors="replace") as f:
        for line in f:
            m = re.match(r"[\s*]*Goroutine (\d+) - .*?(?:\[([^\]]*)\]|\(thread \d+\))?\s*$", line)
            if m:
                dl[m.group(1)] = m.group(2) or "thread"
    bad = []
    for gid, state in sorted(tb.items(), key=lambda kv: int(kv[0])):
        # Go 1.26 prints labels inside the brackets: "[chan receive labels:{...}]"
        reason = re.sub(r" labels:\{.*", "", state).split(",")[0].strip()
        if reason in ("running", "runnable", "syscall"):
            ok = gid in dl
        elif reason.endswith(" (leaked)") or gid in leaked:
            # Go 1.26+'s status of a goroutine found by the leak detector
            # (_Gleaked): Delve 1.27.1 does not know it and prints no wait
            # reason for it.
            base = reason[:-len(" (leaked)")] if reason.endswith(" (leaked)") else reason
            ok = gid in dl and dl[gid] in ("thread", base)
        else:
            # Delve appends the wait time (a number) after the reason.
            ok = gid in dl and re.sub(r"\s+\d+$", "", dl[gid]) == reason
        if not ok:
            bad.append("%s=[%s]/[%s]" % (gid, reason, dl.get(gid, "absent")))
    if bad:
        print("dlv-mismatch:" + ",".join(bad).replace(" ", "_"))


SYS_READ = {"x86_64": 0, "aarch64": 63}
SYS_TGKILL = {"x86_64": 234, "aarch64": 131}


def abort(pid):
    pid = int(pid)
    arch = platform.machine()
    tids = []
    for tid in sorted(os.listdir("/proc/%d/task" % pid), key=int):
        try:
            with open("/proc/%d/task/%s/syscall" % (pid, tid)) as f:
                nr = f.read().split()
        except OSError:
            continue
        if nr and arch in SYS_READ and nr[0] == str(SYS_READ[arch]):
            tids.append(int(tid))
    if len(tids) == 1 and arch in SYS_TGKILL:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.syscall(SYS_TGKILL[arch], pid, tids[0], signal.SIGABRT) == 0:
            print(tids[0])
            return
        print("tgkill: errno %d" % ctypes.get_errno(), file=sys.stderr)
    elif tids:
        print("abort: %d threads in read(2): %s" % (len(tids), tids), file=sys.stderr)
    os.kill(pid, signal.SIGABRT)
    print(0)


def dump_funcs(path):
    """goid -> set of the functions of its frames, from a debug=2 dump."""
    out, cur = {}, None
    with open(path, errors="replace") as f:
        for line in f:
            m = re.match(r"goroutine (\d+) \[", line)
            if m:
                cur = out.setdefault(int(m.group(1)), set())
            elif cur is not None and line[:1] not in ("\t", "\n", "") \
                    and not line.startswith("created by "):
                cur.add(line.split("(", 1)[0].rstrip("\n"))
    return out


def fields(words):
    return dict(w.split("=", 1) for w in words if "=" in w)


def pileup_want(leakpath, lines, notes):
    """The goroutines pileup's stdout says are leaked."""
    funcs = dump_funcs(leakpath)
    want = set()
    for w in lines:
        if w[0] == "group":
            f = fields(w[2:])
            members = {g for g, fs in funcs.items() if f["func"] in fs}
            if len(members) != int(f["size"]):
                notes.append("leaks-group:%s=%d/%s" % (w[1], len(members), f["size"]))
            if f["leaked"] == "1":
                want |= members
        elif w[0] == "cycle":
            want |= set(int(g) for g in fields(w[2:])["goids"].split(","))
        elif w[0] == "leak":
            want.add(int(fields(w[2:])["goid"]))
    return want


def some(ids):
    ids = sorted(ids)
    s = "/".join(map(str, ids[:10]))
    return s + ("/...+%d" % (len(ids) - 10) if len(ids) > 10 else "")


def leaks(leakpath, stdoutpath):
    leaked = set(int(g) for g in leaked_goids(leakpath))
    with open(stdoutpath) as f:
        lines = [l.split() for l in f if l.strip()]
    want, notes = set(), []
    if lines and lines[0][0] == "shape":
        want = pileup_want(leakpath, lines, notes)
    else:
        for w in lines:
            if len(w) >= 4 and w[0] == "expect" and w[1] == "leak_suspect":
                want.add(int(w[3].split("=", 1)[1]))
    out = ["leaks-profile:%d" % len(leaked)]
    if leaked != want:
        out.append("leaks-mismatch:extra=%s,missing=%s" % (
            some(leaked - want), some(want - leaked)))
    print(" ".join(out + notes))


def manifest(path, rowfile):
    rows = {}
    if os.path.exists(path):
        with open(path) as f:
            lines = f.read().splitlines()
        if lines and lines[0].split("\t") != HEADER:
            sys.exit("manifest: unexpected header in %s" % path)
        for l in lines[1:]:
            if l:
                rows[l.split("\t", 1)[0]] = l
    with open(rowfile) as f:
        for l in f.read().splitlines():
            if not l:
                continue
            if len(l.split("\t")) != len(HEADER):
                sys.exit("manifest: row has %d columns, want %d: %s" %
                         (len(l.split("\t")), len(HEADER), l))
            rows[l.split("\t", 1)[0]] = l
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("\t".join(HEADER) + "\n")
        for k in sorted(rows):
            f.write(rows[k] + "\n")
    os.rename(tmp, path)


def loads(path):
    """The PT_LOAD images of an ELF64 little-endian file: [(vaddr, flags, bytes)]."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        sys.exit("same-image: %s is not a 64-bit little-endian ELF file" % path)
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    out = []
    phdrs = [struct.unpack_from("<IIQQQQQQ", data, phoff + i * phentsize) for i in range(phnum)]
    # Where the first segment's contents start (Go: its notes): before them,
    # only headers.
    first = min([p[2] for p in phdrs if p[2] > 0 and p[0] != 6] + [len(data)])
    for ptype, flags, off, vaddr, _, filesz, memsz, _ in phdrs:
        if ptype != 1:
            continue
        img = bytearray(data[off:off + filesz]) + bytearray(memsz - filesz)
        if off == 0:
            # The headers: objcopy rewrites e_shoff and e_shnum, may trim a
            # p_filesz, and moves the section headers Go's linker puts
            # after the program headers to the end of the file.
            end = min(len(img), first)
            img[0:end] = bytes(end)
        out.append((vaddr, flags, bytes(img)))
    return out


def same_image(a, b):
    la, lb = loads(a), loads(b)
    if [(v, f, len(i)) for v, f, i in la] != [(v, f, len(i)) for v, f, i in lb]:
        print("differs: PT_LOAD segments %s vs %s" % (
            [(hex(v), f, len(i)) for v, f, i in la], [(hex(v), f, len(i)) for v, f, i in lb]))
        return
    for (v, _, ia), (_, _, ib) in zip(la, lb):
        if ia != ib:
            n = next(k for k in range(len(ia)) if ia[k] != ib[k])
            print("differs: at %#x" % (v + n))
            return
    print("same")


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd = sys.argv[1]
    if cmd == "scrub-tokens":
        scrub_tokens()
    elif cmd == "scrub" and len(sys.argv) == 4:
        scrub(sys.argv[2], sys.argv[3])
    elif cmd == "grep" and len(sys.argv) >= 4:
        grep(sys.argv[2], sys.argv[3:])
    elif cmd == "compare" and len(sys.argv) in (4, 5, 6):
        compare(*sys.argv[2:])
    elif cmd == "abort" and len(sys.argv) == 3:
        abort(sys.argv[2])
    elif cmd == "leaks" and len(sys.argv) == 4:
        leaks(sys.argv[2], sys.argv[3])
    elif cmd == "same-image" and len(sys.argv) == 4:
        same_image(sys.argv[2], sys.argv[3])
    elif cmd == "manifest" and len(sys.argv) == 4:
        manifest(sys.argv[2], sys.argv[3])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
