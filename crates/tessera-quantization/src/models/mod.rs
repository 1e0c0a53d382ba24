//! Quantizable models (`torchvision.models.quantization`): [`QuantizableResNet`] and
//! [`resnet18`], ready for [`fuse_model`](QuantizableResNet::fuse_model),
//! [`prepare`](crate::prepare) and [`convert`](crate::convert).

mod resnet;

pub(crate) use resnet::LAYER_NAMES;
pub use resnet::{resnet18, QuantizableBasicBlock, QuantizableResNet};
