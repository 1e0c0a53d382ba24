//! PyTorch's `.pth` files: [`read`] (zip and [`legacy`]) and [`write`].

pub(crate) mod legacy;
pub(crate) mod read;
pub(crate) mod write;
