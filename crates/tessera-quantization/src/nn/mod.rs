//! `torch.ao.nn`: quantized modules ([`quantized`]) and the functional ops they run.

pub mod quantized;
