#!/usr/bin/env python3
"""make-seeds.py: write the committed seeds of the fuzz harnesses.

fuzz/seeds/core/: small synthetic ELF cores (kernel and gcore shapes, raw and
zstd), and real corpus cores shrunk to a few KB: the ELF header, the program
headers and the notes as they are (minus the FP/xstate notes, and threads
after the third), each PT_LOAD keeping only its first bytes. A shrunk core
is still a core that core_open accepts, so mutations start past the checks.

fuzz/seeds/exe/: patch lists for fuzz-exe.c (see its header comment): the
empty list (the unpatched executable) and one small patch per region.

Run from the top of the tree: python3 fuzz/make-seeds.py. Needs zstd(1).
"""
import os
import struct
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PT_LOAD, PT_NOTE = 1, 4
NT_PRSTATUS, NT_PRPSINFO, NT_AUXV, NT_FILE, NT_SIGINFO = 1, 3, 6, 0x46494C45, 0x53494749


def note(name, ntype, desc):
    n = name.encode() + b"\0"
    b = struct.pack("<III", len(n), len(desc), ntype) + n
    b += b"\0" * (-len(b) % 4) + desc
    return b + b"\0" * (-len(b) % 4)


def ehdr(phnum, shoff=0, shnum=0):
    ident = b"\x7fELF" + bytes([2, 1, 1]) + b"\0" * 9
    return ident + struct.pack("<HHIQQQIHHHHHH", 4, 62, 1, 0, 64, shoff, 0, 64, 56,
                               phnum, 64 if shnum else 0, shnum, 0)


def prstatus(tid, sig, rip, rsp):
    d = bytearray(336)
    struct.pack_into("<h", d, 12, sig)
    struct.pack_into("<i", d, 32, tid)
    struct.pack_into("<Q", d, 112 + 16 * 8, rip)
    struct.pack_into("<Q", d, 112 + 19 * 8, rsp)
    struct.pack_into("<Q", d, 112 + 21 * 8, 0x20100)  # fs_base
    return bytes(d)


def synthetic(gcore=False):
    """Four segments: an executable's first bytes, pointer-rich heap, a
    stack, and one dumped short of its p_memsz (the rest faults)."""
    segs = [(0x400000, 0x100, 0x3000), (0x10000, 0x400, 0x1000),
            (0x11000, 0x200, 0x200), (0x20000, 0x200, 0x2000)]
    notes = note("CORE", NT_PRSTATUS, prstatus(101, 6, 0x400010, 0x11040))
    notes += note("LINUX", 0x202, b"\xee" * 64)
    notes += note("CORE", NT_PRSTATUS, prstatus(102, 0, 0x400020, 0x10ff8))
    ps = bytearray(136)
    struct.pack_into("<i", ps, 24, 100)
    ps[40:45] = b"synth"
    ps[56:65] = b"synth -x "
    notes += note("CORE", NT_PRPSINFO, bytes(ps))
    notes += note("CORE", NT_AUXV, struct.pack("<6Q", 3, 0x400040, 9, 0x400020, 0, 0))
    nf = struct.pack("<8Q", 2, 4096, 0x500000, 0x501000, 0, 0x400000, 0x403000, 0)
    nf += b"/lib/libother.so\0/usr/bin/synth\0"
    notes += note("CORE", NT_FILE, nf)
    phnum = 1 + len(segs)
    off = 64 + 56 * phnum
    body = bytearray(notes)
    phdrs = [struct.pack("<IIQQQQQQ", PT_NOTE, 0, off, 0, 0, len(notes), 0, 4)]
    for vaddr, filesz, memsz in segs:
        fo = off + len(body)
        fo += -fo % 16 if gcore else 0
        body += b"\0" * (fo - off - len(body))
        data = bytearray()
        for a in range(vaddr, vaddr + filesz, 8):
            # Every other word points into another segment.
            w = segs[(a >> 3) % len(segs)][0] + (a * 24) % 0x180 if a & 8 \
                else (a * 0x9E3779B97F4A7C15) & 0xFFFFFFFFFFFFFFFF
            data += struct.pack("<Q", w)
        body += data[:filesz]
        phdrs.append(struct.pack("<IIQQQQQQ", PT_LOAD, 6, fo, vaddr, 0, filesz, memsz, 0x1000))
    shoff, shnum = 0, 0
    if gcore:
        body += b"\0" * (-(off + len(body)) % 8)
        shoff, shnum = off + len(body), 2
        body += b"\0" * 128
    return ehdr(phnum, shoff, shnum) + b"".join(phdrs) + bytes(body)


def shrink(raw, keep=256, max_loads=12, max_threads=3):
    """A real core cut down: notes kept (but the bulky FP state), each PT_LOAD
    keeping its first KEEP bytes, the first MAX_LOADS of them only."""
    phoff, = struct.unpack_from("<Q", raw, 0x20)
    phnum, = struct.unpack_from("<H", raw, 0x38)
    phs = [list(struct.unpack_from("<IIQQQQQQ", raw, phoff + 56 * i)) for i in range(phnum)]
    out_phs, body = [], bytearray()
    base = 64 + 56 * phnum
    loads = 0
    for ph in phs:
        typ, off, filesz = ph[0], ph[2], ph[5]
        if typ == PT_NOTE:
            notes, pos, threads = bytearray(), 0, 0
            seg = raw[off:off + filesz]
            while pos + 12 <= len(seg):
                namesz, descsz, ntype = struct.unpack_from("<III", seg, pos)
                end = pos + 12 + ((namesz + 3) & ~3) + ((descsz + 3) & ~3)
                if ntype == NT_PRSTATUS:
                    threads += 1
                if ntype in (NT_PRSTATUS, NT_PRPSINFO, NT_AUXV, NT_FILE, NT_SIGINFO) \
                        and (ntype != NT_PRSTATUS or threads <= max_threads) \
                        and (ntype != NT_SIGINFO or threads <= max_threads):
                    notes += seg[pos:end]
                pos = end
            ph[2], ph[5] = base + len(body), len(notes)
            body += notes
        elif typ == PT_LOAD:
            n = min(filesz, keep) if loads < max_loads and filesz else 0
            loads += 1
            ph[2], ph[5] = base + len(body), n
            body += raw[off:off + n]
        else:
            ph[2], ph[5] = base + len(body), 0
        out_phs.append(struct.pack("<IIQQQQQQ", *ph))
    # No section headers: gcore's describe the full file, not this one.
    head = bytearray(raw[:64])
    struct.pack_into("<QHH", head, 0x28, 0, 0, 0)  # e_shoff, (e_flags lo) ...
    struct.pack_into("<HHH", head, 0x3a, 0, 0, 0)  # e_shentsize, e_shnum, e_shstrndx
    return bytes(head) + b"".join(out_phs) + bytes(body)


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c", "-3"], input=data, check=True,
                          stdout=subprocess.PIPE).stdout


def unzstd(path):
    return subprocess.run(["zstd", "-q", "-d", "-c", path], check=True,
                          stdout=subprocess.PIPE).stdout


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    print(f"{os.path.relpath(path, TOP)}: {len(data)} bytes")


def exe_seeds(d):
    # Region numbers as in fuzz-exe.c's regions[]. Each seed patches the
    # start of one region (where the headers of pclntab and of the first
    # DWARF unit are) in a few places: one input of several patches also
    # lets libFuzzer's length limit start above a single patch.
    regions = ["file", "ehdr", "shdrs", ".gopclntab", ".debug_info", ".debug_abbrev",
               ".debug_line", ".debug_loclists", ".debug_rnglists", ".debug_addr",
               ".debug_frame", ".symtab", ".strtab", ".note.go.buildid", ".go.buildinfo",
               ".rodata", ".shstrtab", ".noptrdata"]
    write(f"{d}/pristine", b"")
    patches = [(4, b"\xff\xff\xff\xff\xff\xff\xff\x7f"), (8, b"\x00\x00\x00\x00"),
               (0x18, b"\x01"), (0x28, b"\x00\x00\x00\x80"), (0x3c, b"\xff\xff")]
    for i, r in enumerate(regions):
        rec = b"".join(struct.pack("<BIB", i, off, len(b)) + b for off, b in patches)
        write(f"{d}/{r.lstrip('.').replace('.', '-')}", rec)


def main():
    d = os.path.join(TOP, "fuzz", "seeds", "core")
    write(f"{d}/synthetic-kernel", synthetic())
    write(f"{d}/synthetic-gcore", synthetic(gcore=True))
    write(f"{d}/synthetic-kernel.zst", zstd(synthetic()))
    for name in ["diag-go1.27-opt-kernel", "diag-go1.27-opt-gcore", "diag-go1.19-debug-kernel"]:
        raw = unzstd(os.path.join(TOP, "corpus", "cores", name + ".core.zst"))
        write(f"{d}/shrunk-{name}", shrink(raw))
    exe_seeds(os.path.join(TOP, "fuzz", "seeds", "exe"))


if __name__ == "__main__":
    sys.exit(main())
