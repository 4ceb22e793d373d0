#!/usr/bin/env python3
"""What takes the WebAssembly module's gzip bytes.

    python3 bindings/wasm/size.py            # build, then the default report
    python3 bindings/wasm/size.py 'rhai' 'serde_json|serde_core'

Builds the module with symbol names (cargo profile `wasm-names`), runs the
same `wasm-opt` passes as build.sh (keeping names), and then, for each
pattern, blanks the body of every function whose (mangled) name matches it
and compresses again: the difference is what those functions cost in the
shipped gzip, which raw sizes (twiggy) do not tell, since generic copies of
the same code compress far better than text. Each row is measured on its
own, so rows overlap and do not add up. The data section (texts, format
templates, tables) is reported the same way, by zeroing it.

Without patterns: the main dependencies, and aspekt module by module.
"""

import gzip
import os
import re
import subprocess
import sys
from collections import defaultdict

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FEATURES = [
    "--enable-bulk-memory", "--enable-sign-ext", "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int", "--enable-reference-types", "--enable-multivalue",
]
DEFAULT = [
    ("Rhai", r"rhai"),
    ("B-tree maps", r"btree"),
    ("slice sorts", r"5slice4sort"),
    ("toml, toml_parser", r"toml"),
    ("serde_json", r"serde_json"),
    ("serde (Serialize impls)", r"9serialize|Serialize"),
    ("hashbrown", r"hashbrown"),
    ("smallvec, smartstring, thin_vec", r"smallvec|smartstring|thin_vec"),
    ("float formatting", r"flt2dec|5float"),
    ("sha2", r"sha2"),
    ("dlmalloc", r"dlmalloc"),
    ("aspekt (all)", r"6aspekt"),
]


def leb(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7F) << s
        s += 7
        if x < 0x80:
            return r, i


def uleb(n):
    out = bytearray()
    while True:
        x, n = n & 0x7F, n >> 7
        out.append(x | 0x80 if n else x)
        if not n:
            return bytes(out)


def sections(b):
    i, out = 8, []
    while i < len(b):
        sid = b[i]
        size, j = leb(b, i + 1)
        out.append((sid, b[j:j + size]))
        i = j + size
    return out


def function_names(secs):
    """Index of the first defined function, and names by function index."""
    imported = 0
    for sid, body in secs:
        if sid == 2:  # the module has no imports; kept general all the same
            n, i = leb(body, 0)
            for _ in range(n):
                for _ in range(2):
                    length, i = leb(body, i)
                    i += length
                kind = body[i]
                i += 1
                if kind == 0:
                    _, i = leb(body, i)
                    imported += 1
                elif kind == 1:
                    i += 1
                    flags, i = leb(body, i)
                    _, i = leb(body, i)
                    if flags & 1:
                        _, i = leb(body, i)
                elif kind == 2:
                    flags = body[i]
                    _, i = leb(body, i + 1)
                    if flags & 1:
                        _, i = leb(body, i)
                elif kind == 3:
                    i += 2
    names = {}
    for sid, body in secs:
        if sid != 0:
            continue
        length, i = leb(body, 0)
        if body[i:i + length] != b"name":
            continue
        i += length
        while i < len(body):
            sub = body[i]
            size, i = leb(body, i + 1)
            end = i + size
            if sub == 1:
                n, k = leb(body, i)
                for _ in range(n):
                    index, k = leb(body, k)
                    length, k = leb(body, k)
                    names[index] = body[k:k + length].decode("utf8", "replace")
                    k += length
            i = end
    return imported, names


def rebuild(secs, imported, names, blank=lambda name: False, zero_data=False):
    """The module without custom sections, with some bodies blanked."""
    out = bytearray(b"\0asm\x01\0\0\0")
    count = blanked = 0
    for sid, body in secs:
        if sid == 0:
            continue
        if sid == 10:
            n, i = leb(body, 0)
            new = bytearray(uleb(n))
            for k in range(n):
                size, j = leb(body, i)
                code = body[j:j + size]
                i = j + size
                if blank(names.get(imported + k, "")):
                    code = b"\0\0\x0b"  # no locals; unreachable; end
                    count += 1
                    blanked += size
                new += uleb(len(code)) + code
            body = bytes(new)
        if sid == 11 and zero_data:
            body = bytes(len(body))
        out.append(sid)
        out += uleb(len(body)) + body
    return bytes(out), count, blanked


def gz(b):
    return len(gzip.compress(b, 9))


def build():
    target = os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target"))
    subprocess.run(
        ["cargo", "build", "--quiet", "-p", "aspekt-wasm", "--target", "wasm32-unknown-unknown",
         "--profile", "wasm-names"],
        cwd=ROOT, check=True)
    built = os.path.join(target, "wasm32-unknown-unknown", "wasm-names", "aspekt_wasm.wasm")
    out = os.path.join(target, "aspekt_wasm.names.wasm")
    subprocess.run(
        ["wasm-opt", "-O1", "--merge-similar-functions", "--debuginfo", *FEATURES, built, "-o", out],
        check=True, stderr=subprocess.DEVNULL)
    return out


def main(patterns):
    path = build()
    secs = sections(open(path, "rb").read())
    imported, names = function_names(secs)
    base, _, _ = rebuild(secs, imported, names)
    total = gz(base)
    rows = [(label, rx) for label, rx in DEFAULT] if not patterns else [(p, p) for p in patterns]
    if not patterns:
        modules = defaultdict(int)
        for name in names.values():
            m = re.search(r"6aspekt(\d+)", name)
            if m:
                n = int(m.group(1))
                start = m.end()
                modules[name[start:start + n]] += 1
        rows += [(f"aspekt::{m}", f"6aspekt{len(m)}{m}[^a-z_]") for m in sorted(modules)]
    print(f"module without names: {len(base):,} B raw, {total:,} B gzip")
    print(f"{'part':34} {'functions':>9} {'raw':>9} {'gzip':>8}")
    for label, rx in rows:
        r = re.compile(rx)
        smaller, count, blanked = rebuild(secs, imported, names, lambda n: bool(r.search(n)))
        print(f"{label[:34]:34} {count:9} {blanked:9,} {total - gz(smaller):8,}")
    data = sum(len(body) for sid, body in secs if sid == 11)
    zeroed, _, _ = rebuild(secs, imported, names, zero_data=True)
    print(f"{'data (texts, templates, tables)':34} {'':9} {data:9,} {total - gz(zeroed):8,}")


if __name__ == "__main__":
    main(sys.argv[1:])
