//! Python's pickle format, restricted to data: the allow-list unpickler (`read`) and
//! the protocol-2 pickler that `torch.save` files use ([`write`]).

pub(crate) mod arena;
pub(crate) mod read;
pub(crate) mod write;

pub use self::fuzz::unpickle_only;

mod fuzz {
    use tessera_core::Result;

    /// Runs the unpickler alone on `data`, as if every storage it references were
    /// empty, and returns the value: for fuzzing the pickle reader without a zip around
    /// it (tensors that reach into their storage are an `Err`).
    ///
    /// # Errors
    /// Whatever the unpickler refuses (unknown opcodes and globals, truncation, ...).
    pub fn unpickle_only(data: &[u8]) -> Result<crate::Value> {
        let p = super::read::unpickle(data)?;
        let storages: Vec<_> = p
            .storage_dtypes()?
            .into_iter()
            .map(|d| {
                std::sync::Arc::new(tessera_core::Storage::new(
                    tessera_core::StorageData::zeros(d.loaded_as(), 0),
                ))
            })
            .collect();
        p.into_value(&storages)
    }
}
