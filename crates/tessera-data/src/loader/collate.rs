//! Collation: turning a list of items into a batch (`default_collate`).

use std::collections::{BTreeMap, HashMap};
use tessera_core::{Error, Result, StorageElement, Tensor};

/// Items that [`default_collate`] can batch (PyTorch's `default_collate` rules):
///
/// | item | batch |
/// | --- | --- |
/// | `Tensor` | the tensors stacked along a new first dim |
/// | `f64`, `f32`, `i64`, `i32`, `u8`, `bool`, `usize` | a 1-D tensor of that dtype (`usize` as `I64`) |
/// | `String` | `Vec<String>`, unchanged |
/// | tuples (up to 6 elements) | the tuple of each position collated |
/// | `Vec<T>` | the `Vec` of each position collated; all lengths must be equal |
/// | `BTreeMap<String, T>`, `HashMap<String, T>` | the map of each key collated |
///
/// ```
/// use tessera_core::{tensor, Tensor};
/// use tessera_data::default_collate;
/// let items = vec![(tensor!([1.0, 2.0]), 0i64), (tensor!([3.0, 4.0]), 1i64)];
/// let (x, y) = default_collate(items)?;
/// assert_eq!(x.shape(), &[2, 2]);
/// assert_eq!(y.to_vec::<i64>(), vec![0, 1]);
/// # Ok::<(), tessera_core::Error>(())
/// ```
pub trait Collate: Sized + Send + 'static {
    /// The batch type.
    type Output: Send + 'static;

    /// Collates `batch`; `field` names where the items sit inside the outer item
    /// (`""` at the top, `.0` for a tuple position, `[2]` for a `Vec` position,
    /// `["key"]` for a map entry), for error messages.
    ///
    /// # Errors
    /// If the items do not fit together (tensors of different shapes, lists of
    /// different lengths, maps with different keys); the message names the field.
    fn collate_field(batch: Vec<Self>, field: &str) -> Result<Self::Output>;
}

/// Collates a batch of items ([`Collate`]): stacks tensors, turns numbers into tensors,
/// collates tuples, `Vec`s and string-keyed maps position by position
/// (`torch.utils.data.default_collate`).
///
/// # Errors
/// If the items do not fit together; the message names the field, e.g.
/// `default_collate: field .0: stack expects each tensor to be equal size, but got
/// [3] at entry 0 and [4] at entry 1`.
pub fn default_collate<T: Collate>(batch: Vec<T>) -> Result<T::Output> {
    T::collate_field(batch, "")
}

fn field_error(field: &str, message: impl std::fmt::Display) -> Error {
    let at = if field.is_empty() {
        String::new()
    } else {
        format!("field {field}: ")
    };
    Error::Msg(format!("default_collate: {at}{message}"))
}

/// Copies same-shape, same-dtype tensors into one new tensor along a new first dim.
fn stack_same<T: StorageElement>(tensors: &[Tensor], shape: &[usize]) -> Tensor {
    let numel: usize = shape.iter().product();
    let mut out: Vec<T> = Vec::with_capacity(numel * tensors.len());
    for t in tensors {
        t.with_contiguous(|s: &[T]| out.extend_from_slice(s));
    }
    let mut full = Vec::with_capacity(shape.len() + 1);
    full.push(tensors.len());
    full.extend_from_slice(shape);
    Tensor::from_vec(out, &full)
}

impl Collate for Tensor {
    type Output = Tensor;

    /// Stacks along a new first dim (one copy, no graph recorded); tensors of
    /// different dtypes are promoted as by `torch.stack`.
    fn collate_field(batch: Vec<Tensor>, field: &str) -> Result<Tensor> {
        let Some(first) = batch.first() else {
            return Err(field_error(field, "stack expects a non-empty TensorList"));
        };
        if let Some((k, t)) = batch
            .iter()
            .enumerate()
            .find(|(_, t)| t.shape() != first.shape())
        {
            return Err(field_error(
                field,
                format!(
                    "stack expects each tensor to be equal size, but got {:?} at entry 0 and {:?} at entry {k}",
                    first.shape(),
                    t.shape()
                ),
            ));
        }
        let dtype = first.dtype();
        if batch.iter().any(|t| t.dtype() != dtype) {
            return Ok(Tensor::stack(&batch, 0));
        }
        let shape = first.shape().to_vec();
        Ok(tessera_core::dispatch!(dtype, T => stack_same::<T>(&batch, &shape)))
    }
}

macro_rules! collate_number {
    ($($t:ty => $store:ty),*) => {$(
        impl Collate for $t {
            type Output = Tensor;
            /// A 1-D tensor of the values.
            fn collate_field(batch: Vec<$t>, _field: &str) -> Result<Tensor> {
                let n = batch.len();
                let v: Vec<$store> = batch.into_iter().map(|x| x as $store).collect();
                Ok(Tensor::from_vec(v, &[n]))
            }
        }
    )*};
}
collate_number!(f64 => f64, f32 => f32, i64 => i64, i32 => i32, u8 => u8, bool => bool, usize => i64);

impl Collate for String {
    type Output = Vec<String>;
    /// The strings, unchanged.
    fn collate_field(batch: Vec<String>, _field: &str) -> Result<Vec<String>> {
        Ok(batch)
    }
}

macro_rules! collate_tuple {
    ($($T:ident $v:ident $i:tt),+) => {
        impl<$($T: Collate),+> Collate for ($($T,)+) {
            type Output = ($($T::Output,)+);
            /// Each position collated.
            fn collate_field(batch: Vec<Self>, field: &str) -> Result<Self::Output> {
                $(let mut $v = Vec::with_capacity(batch.len());)+
                for item in batch {
                    $($v.push(item.$i);)+
                }
                Ok(($($T::collate_field($v, &format!("{field}.{}", $i))?,)+))
            }
        }
    };
}
collate_tuple!(A a 0);
collate_tuple!(A a 0, B b 1);
collate_tuple!(A a 0, B b 1, C c 2);
collate_tuple!(A a 0, B b 1, C c 2, D d 3);
collate_tuple!(A a 0, B b 1, C c 2, D d 3, E e 4);
collate_tuple!(A a 0, B b 1, C c 2, D d 3, E e 4, F f 5);

impl<T: Collate> Collate for Vec<T> {
    type Output = Vec<T::Output>;
    /// Each position collated.
    fn collate_field(batch: Vec<Vec<T>>, field: &str) -> Result<Vec<T::Output>> {
        let width = batch.first().map_or(0, Vec::len);
        if let Some((k, item)) = batch.iter().enumerate().find(|(_, v)| v.len() != width) {
            return Err(field_error(
                field,
                format!(
                    "each element in list of batch should be of equal size (entry 0 has {width}, entry {k} has {})",
                    item.len()
                ),
            ));
        }
        let mut columns: Vec<Vec<T>> = (0..width)
            .map(|_| Vec::with_capacity(batch.len()))
            .collect();
        for item in batch {
            for (column, x) in columns.iter_mut().zip(item) {
                column.push(x);
            }
        }
        columns
            .into_iter()
            .enumerate()
            .map(|(k, c)| T::collate_field(c, &format!("{field}[{k}]")))
            .collect()
    }
}

/// Splits maps into per-key columns, checking that every map has the first one's keys.
fn map_columns<T, I>(maps: Vec<I>, first_keys: Vec<String>, field: &str) -> Result<Vec<Vec<T>>>
where
    I: IntoIterator<Item = (String, T)>,
{
    let index: HashMap<&str, usize> = first_keys
        .iter()
        .enumerate()
        .map(|(k, s)| (s.as_str(), k))
        .collect();
    let n = maps.len();
    let mut columns: Vec<Vec<T>> = first_keys.iter().map(|_| Vec::with_capacity(n)).collect();
    for (entry, map) in maps.into_iter().enumerate() {
        let mut count = 0;
        for (key, value) in map {
            let Some(&k) = index.get(key.as_str()) else {
                return Err(field_error(
                    field,
                    format!("key {key:?} of entry {entry} is not in entry 0"),
                ));
            };
            columns[k].push(value);
            count += 1;
        }
        if count != first_keys.len() {
            return Err(field_error(
                field,
                format!(
                    "entry {entry} has {count} keys but entry 0 has {:?}",
                    first_keys
                ),
            ));
        }
    }
    Ok(columns)
}

/// Collates maps key by key into a map of type `O`.
fn collate_maps<T, M, O>(batch: Vec<M>, keys: Vec<String>, field: &str) -> Result<O>
where
    T: Collate,
    M: IntoIterator<Item = (String, T)>,
    O: FromIterator<(String, T::Output)>,
{
    let columns = map_columns(batch, keys.clone(), field)?;
    keys.into_iter()
        .zip(columns)
        .map(|(k, c)| {
            let v = T::collate_field(c, &format!("{field}[{k:?}]"))?;
            Ok((k, v))
        })
        .collect()
}

impl<T: Collate> Collate for BTreeMap<String, T> {
    type Output = BTreeMap<String, T::Output>;
    /// Each key collated.
    fn collate_field(batch: Vec<Self>, field: &str) -> Result<Self::Output> {
        let keys = batch
            .first()
            .map_or(Vec::new(), |m| m.keys().cloned().collect());
        collate_maps(batch, keys, field)
    }
}

impl<T: Collate> Collate for HashMap<String, T> {
    type Output = HashMap<String, T::Output>;
    /// Each key collated.
    fn collate_field(batch: Vec<Self>, field: &str) -> Result<Self::Output> {
        let keys = batch
            .first()
            .map_or(Vec::new(), |m| m.keys().cloned().collect());
        collate_maps(batch, keys, field)
    }
}
