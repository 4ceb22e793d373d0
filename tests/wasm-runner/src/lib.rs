//! A minimal host for the aspekt WebAssembly module, under wasmtime, with an
//! outer bound: fuel per call and a memory cap per instance. It speaks the
//! ABI documented in the book (chapter "The WebAssembly ABI") and is the
//! reference a host in another language can follow.

use std::path::PathBuf;

use anyhow::{Context, Result, anyhow, bail};
use wasmtime::{
    Config, Engine, Instance, Memory, Module, Store, StoreLimits, StoreLimitsBuilder, TypedFunc,
};

/// The module's path: `ASPEKT_WASM`; else the shipped module that
/// `bindings/wasm/build.sh` writes (after `wasm-opt`); else the `wasm`
/// profile's cargo output.
pub fn module_path() -> PathBuf {
    if let Some(p) = std::env::var_os("ASPEKT_WASM") {
        return PathBuf::from(p);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let shipped = root.join("bindings/wasm/js/aspekt.wasm");
    if shipped.is_file() {
        return shipped;
    }
    root.join("target/wasm32-unknown-unknown/wasm/aspekt_wasm.wasm")
}

/// Limits of one instance.
#[derive(Clone, Copy, Debug)]
pub struct Bounds {
    /// Fuel per call (roughly: wasm instructions).
    pub fuel: u64,
    /// Linear memory cap in bytes.
    pub memory: usize,
}

impl Default for Bounds {
    fn default() -> Self {
        Bounds {
            fuel: 2_000_000_000,
            memory: 64 << 20,
        }
    }
}

/// The compiled module: compile once, instantiate many times.
pub struct Host {
    engine: Engine,
    module: Module,
}

impl Host {
    /// Loads and compiles the module.
    pub fn load() -> Result<Self> {
        let path = module_path();
        let bytes = std::fs::read(&path).with_context(|| {
            format!(
                "cannot read the module at {}; build it with `bash bindings/wasm/build.sh` (or set ASPEKT_WASM)",
                path.display()
            )
        })?;
        let mut config = Config::new();
        config.consume_fuel(true);
        let engine = Engine::new(&config)?;
        let module = Module::new(&engine, bytes)?;
        Ok(Host { engine, module })
    }

    /// The module's imports (the contract: none).
    pub fn imports(&self) -> Vec<String> {
        self.module
            .imports()
            .map(|i| format!("{}::{}", i.module(), i.name()))
            .collect()
    }

    /// A fresh instance within `bounds`.
    pub fn instantiate(&self, bounds: Bounds) -> Result<Aspekt> {
        let limits = StoreLimitsBuilder::new().memory_size(bounds.memory).build();
        let mut store = Store::new(&self.engine, limits);
        store.limiter(|l: &mut StoreLimits| l);
        store.set_fuel(bounds.fuel)?;
        // Zero imports: nothing to link.
        let instance = Instance::new(&mut store, &self.module, &[])?;
        let memory = instance
            .get_memory(&mut store, "memory")
            .ok_or_else(|| anyhow!("the module exports no memory"))?;
        Ok(Aspekt {
            abi: instance.get_typed_func(&mut store, "aspekt_abi_version")?,
            alloc: instance.get_typed_func(&mut store, "aspekt_alloc")?,
            free: instance.get_typed_func(&mut store, "aspekt_free")?,
            compile: instance.get_typed_func(&mut store, "aspekt_compile")?,
            evaluate: instance.get_typed_func(&mut store, "aspekt_evaluate")?,
            transparency: instance.get_typed_func(&mut store, "aspekt_transparency")?,
            form: instance.get_typed_func(&mut store, "aspekt_form")?,
            drop_handle: instance.get_typed_func(&mut store, "aspekt_drop")?,
            library: instance.get_typed_func(&mut store, "aspekt_library")?,
            store,
            memory,
            fuel: bounds.fuel,
        })
    }
}

/// One instance of the module.
pub struct Aspekt {
    store: Store<StoreLimits>,
    memory: Memory,
    fuel: u64,
    abi: TypedFunc<(), u32>,
    alloc: TypedFunc<u32, u32>,
    free: TypedFunc<(u32, u32), ()>,
    compile: TypedFunc<(u32, u32), u64>,
    evaluate: TypedFunc<(u32, u32, u32), u64>,
    transparency: TypedFunc<(u32, u32, u32), u64>,
    form: TypedFunc<(u32, u32, u32), u64>,
    drop_handle: TypedFunc<u32, ()>,
    library: TypedFunc<(), u64>,
}

impl Aspekt {
    fn refuel(&mut self) -> Result<()> {
        self.store.set_fuel(self.fuel)?;
        Ok(())
    }

    /// Copies `input` into a fresh module buffer.
    fn put(&mut self, input: &str) -> Result<(u32, u32)> {
        let len = u32::try_from(input.len())?;
        let ptr = self.alloc.call(&mut self.store, len)?;
        self.memory
            .write(&mut self.store, ptr as usize, input.as_bytes())?;
        Ok((ptr, len))
    }

    /// Reads and frees a packed `ptr << 32 | len` result.
    fn take(&mut self, packed: u64) -> Result<String> {
        let (ptr, len) = ((packed >> 32) as u32, (packed & 0xffff_ffff) as u32);
        let mut buf = vec![0u8; len as usize];
        self.memory.read(&self.store, ptr as usize, &mut buf)?;
        self.free.call(&mut self.store, (ptr, len))?;
        Ok(String::from_utf8(buf)?)
    }

    /// The ABI version.
    pub fn abi_version(&mut self) -> Result<u32> {
        self.refuel()?;
        Ok(self.abi.call(&mut self.store, ())?)
    }

    /// `aspekt_library()`: the embedded library's listing, or (the module
    /// embeds none) the error envelope that points to `library.json`.
    pub fn library(&mut self) -> Result<String> {
        self.refuel()?;
        let packed = self.library.call(&mut self.store, ())?;
        self.take(packed)
    }

    /// Compiles a JSON compile request: `Ok(handle, output)` or
    /// `Err(envelope)` when the module answered with an error envelope.
    pub fn compile(&mut self, request: &str) -> Result<std::result::Result<(u32, String), String>> {
        self.refuel()?;
        let (ptr, len) = self.put(request)?;
        let packed = self.compile.call(&mut self.store, (ptr, len))?;
        self.free.call(&mut self.store, (ptr, len))?;
        let out = self.take(packed)?;
        if out.starts_with("{\"error\"") {
            return Ok(Err(out));
        }
        let handle = out
            .strip_prefix("{\"handle\":")
            .and_then(|rest| rest.split(',').next())
            .and_then(|h| h.parse().ok())
            .ok_or_else(|| anyhow!("unexpected compile output: {out}"))?;
        Ok(Ok((handle, out)))
    }

    /// Evaluates a JSON request: the report or the error envelope.
    pub fn evaluate(&mut self, handle: u32, request: &str) -> Result<String> {
        self.refuel()?;
        let (ptr, len) = self.put(request)?;
        let packed = self.evaluate.call(&mut self.store, (handle, ptr, len))?;
        self.free.call(&mut self.store, (ptr, len))?;
        self.take(packed)
    }

    /// The transparency statement (input `{"locale": …}`).
    pub fn transparency(&mut self, handle: u32, input: &str) -> Result<String> {
        self.refuel()?;
        let (ptr, len) = self.put(input)?;
        let packed = self
            .transparency
            .call(&mut self.store, (handle, ptr, len))?;
        self.free.call(&mut self.store, (ptr, len))?;
        self.take(packed)
    }

    /// The form (input `{"locale": …}`).
    pub fn form(&mut self, handle: u32, input: &str) -> Result<String> {
        self.refuel()?;
        let (ptr, len) = self.put(input)?;
        let packed = self.form.call(&mut self.store, (handle, ptr, len))?;
        self.free.call(&mut self.store, (ptr, len))?;
        self.take(packed)
    }

    /// Drops a compiled definition.
    pub fn drop_handle(&mut self, handle: u32) -> Result<()> {
        self.refuel()?;
        Ok(self.drop_handle.call(&mut self.store, handle)?)
    }

    /// Linear memory size in bytes.
    pub fn memory_size(&self) -> usize {
        self.memory.data_size(&self.store)
    }
}

/// Fails unless `cond`, with a message (for helpers that return Result).
pub fn ensure(cond: bool, message: impl Into<String>) -> Result<()> {
    if !cond {
        bail!(message.into());
    }
    Ok(())
}
