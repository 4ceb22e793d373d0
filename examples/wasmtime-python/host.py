#!/usr/bin/env python3
"""A wasmtime host for the aspekt module in Python: zero imports, JSON in and
out, results as ptr << 32 | len. Run from the repository root after
`bash bindings/wasm/build.sh`:

    pip install wasmtime
    python examples/wasmtime-python/host.py
"""
import json, wasmtime

engine = wasmtime.Engine(wasmtime.Config())
module = wasmtime.Module.from_file(engine, "target/wasm32-unknown-unknown/wasm/aspekt_wasm.wasm")
store = wasmtime.Store(engine)
instance = wasmtime.Instance(store, module, [])          # zero imports
ex = instance.exports(store)
memory = ex["memory"]

def call(fn, *args, text=None):
    """Copy `text` in (if any), call, read and free the packed result."""
    extra = ()
    if text is not None:
        data = text.encode()
        ptr = ex["aspekt_alloc"](store, len(data))
        memory.write(store, data, ptr)
        extra = (ptr, len(data))
    packed = fn(store, *args, *extra)
    if text is not None:
        ex["aspekt_free"](store, *extra)
    ptr, length = packed >> 32, packed & 0xFFFFFFFF
    out = memory.read(store, ptr, ptr + length).decode()
    ex["aspekt_free"](store, ptr, length)
    return json.loads(out)

assert ex["aspekt_abi_version"](store) == 1
# The module embeds no instrument library: build.sh writes it beside the
# module as library.json, and a host sends an instrument's text, name and
# rule files in the compile request.
with open("bindings/wasm/js/library.json", encoding="utf-8") as f:
    who5 = json.load(f)["instruments"]["who5"]
compiled = call(ex["aspekt_compile"], text=json.dumps(
    {"definition": who5["definition"], "name": who5["name"], "files": who5["files"]}))
handle = compiled["handle"]
request = {"answers": {"q1": 3, "q2": 4, "q3": 2, "q4": 3, "q5": 3}, "consent": {"notice": "2026-11"}, "locale": "en"}
report = call(ex["aspekt_evaluate"], handle, text=json.dumps(request))
print(report["results"][0]["label"])
ex["aspekt_drop"](store, handle)
