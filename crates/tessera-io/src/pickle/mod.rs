//! Python's pickle format, restricted to data: the allow-list unpickler ([`read`]) and
//! the protocol-2 pickler that `torch.save` files use ([`write`]).

pub(crate) mod arena;
pub(crate) mod read;
pub(crate) mod write;

pub use self::fuzz::unpickle_only;

mod fuzz {
    use tessera_core::Result;

    /// Runs the unpickler alone on `data` and reports how many objects it made: for
    /// fuzzing the pickle reader without a zip around it. Tensors stay unresolved.
    ///
    /// # Errors
    /// Whatever the unpickler refuses (unknown opcodes and globals, truncation, ...).
    pub fn unpickle_only(data: &[u8]) -> Result<usize> {
        let p = super::read::unpickle(data)?;
        Ok(p.arena.len())
    }
}
