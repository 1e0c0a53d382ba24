//! ResNets against torchvision: state_dict keys and shapes (committed list), and
//! ResNet-18 logits for formula weights (see `scripts/make_nn_data.py`).

use tessera_core::{DType, Tensor};
use tessera_models::{resnet18, resnet34, resnet50, Mlp, SmallCnn};
use tessera_nn::init::skip_init;
use tessera_nn::Module;

#[path = "../examples/common/formula.rs"]
mod formula;
use formula::{formula_input, formula_weights, pytorch_logits};

const KEYS: &str = include_str!("data/resnet_keys.txt");

fn torchvision_keys(arch: &str) -> Vec<(String, Vec<usize>)> {
    KEYS.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut it = l.split(' ');
            (it.next() == Some(arch)).then(|| {
                let k = it.next().unwrap().to_string();
                let s = match it.next().unwrap() {
                    "-" => vec![],
                    s => s.split(',').map(|v| v.parse().unwrap()).collect(),
                };
                (k, s)
            })
        })
        .collect()
}

fn ours(m: &dyn Module) -> Vec<(String, Vec<usize>)> {
    m.state_dict()
        .iter()
        .map(|(k, t)| (k.to_string(), t.shape().to_vec()))
        .collect()
}

#[test]
fn state_dict_keys_and_shapes_equal_torchvisions() {
    // skip_init: only names and shapes matter here (and random init is slow in debug).
    let (r18, r34, r50) = skip_init(|| (resnet18(1000), resnet34(1000), resnet50(1000)));
    assert_eq!(ours(&r18), torchvision_keys("resnet18"));
    assert_eq!(ours(&r34), torchvision_keys("resnet34"));
    assert_eq!(ours(&r50), torchvision_keys("resnet50"));
    let n: usize = r18.parameters().iter().map(Tensor::numel).sum();
    assert_eq!(n, 11_689_512);
}

/// Checks that `m` (in eval mode) gives PyTorch's ResNet-18 logits for the formula
/// weights on the committed input.
fn assert_pytorchs_logits(m: &dyn Module) {
    let y = {
        let _g = tessera_core::autograd::no_grad();
        m.forward(&formula_input())
    };
    let want = pytorch_logits();
    let got = y.to_vec::<f32>();
    assert_eq!(got.len(), 1000);
    let scale = want.iter().fold(0f32, |a, v| a.max(v.abs()));
    let worst = got
        .iter()
        .zip(&want)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    // f32 through 20 layers: agreement to 1e-4 of the logits' scale.
    assert!(
        worst <= 1e-4 * scale,
        "worst difference {worst} (scale {scale})"
    );
    let argmax = |v: &[f32]| (0..v.len()).max_by(|&a, &b| v[a].total_cmp(&v[b])).unwrap();
    assert_eq!(argmax(&got), argmax(&want));
}

#[test]
fn resnet18_logits_equal_pytorchs_for_the_same_weights() {
    let m = skip_init(|| resnet18(1000));
    m.load_state_dict(&formula_weights(&m), true).unwrap();
    m.eval();
    assert_pytorchs_logits(&m);
}

/// Serves `body` at any path to each of `requests` connections on 127.0.0.1, then stops
/// listening; returns the port.
fn serve(body: Vec<u8>, requests: usize) -> u16 {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let mut s = stream.unwrap();
            let mut req = [0u8; 4096];
            let _ = s.read(&mut req);
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = s.write_all(head.as_bytes());
            let _ = s.write_all(&body);
        }
    });
    port
}

#[test]
fn pretrained_weights_load_through_the_hub_and_give_pytorchs_logits() {
    use sha2::{Digest, Sha256};
    use tessera_models::{resnet18_pretrained, Weights};

    let dir = tempfile::tempdir().unwrap();
    // The cache goes where PyTorch's would for this TORCH_HOME (the only test of this
    // binary that reads it).
    std::env::set_var("TORCH_HOME", dir.path().join("torch"));
    let sd = formula_weights(&skip_init(|| resnet18(1000)));
    let bytes = tessera_io::save_bytes(&sd).unwrap();
    let hex: String = Sha256::digest(&bytes)[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let name = format!("resnet18-{hex}.pth");
    let file = dir.path().join(&name);
    std::fs::write(&file, &bytes).unwrap();

    // A path, read in place; a file:// URL.
    let m = resnet18_pretrained(&Weights::Path(file.clone()), false).unwrap();
    assert_pytorchs_logits(&m);
    let url = format!("file://{}", file.display());
    assert_pytorchs_logits(&resnet18_pretrained(&Weights::Url(url), false).unwrap());

    // Over HTTP into the cache, hash prefix checked; the second load is a cache hit (the
    // server answers one request only).
    let port = serve(bytes.clone(), 1);
    let url = format!("http://127.0.0.1:{port}/models/{name}");
    assert_pytorchs_logits(&resnet18_pretrained(&Weights::Url(url.clone()), false).unwrap());
    let cached = dir.path().join("torch/hub/checkpoints").join(&name);
    assert!(cached.exists(), "{} not in the cache", cached.display());
    assert_pytorchs_logits(&resnet18_pretrained(&Weights::Url(url), false).unwrap());

    // A file whose name claims another hash: an error, and nothing left in the cache.
    let port = serve(bytes.clone(), 1);
    let bad = format!("http://127.0.0.1:{port}/resnet18-00000000.pth");
    let err = resnet18_pretrained(&Weights::Url(bad), false)
        .err()
        .expect("a hash mismatch is an error");
    assert!(err.to_string().contains("hash"), "{err}");
    assert!(!dir
        .path()
        .join("torch/hub/checkpoints/resnet18-00000000.pth")
        .exists());

    // A checkpoint of another architecture: load_state_dict's strict error.
    let other = dir.path().join("small.pth");
    tessera_io::save(SmallCnn::new(1, 8, 4).state_dict(), &other).unwrap();
    let err = resnet18_pretrained(&Weights::Path(other), false)
        .err()
        .expect("another architecture is an error");
    assert!(
        err.to_string().contains("fc.weight") || err.to_string().contains("Missing"),
        "{err}"
    );
}

#[test]
fn resnet_trains_a_step_and_small_models_run() {
    let m = skip_init(|| resnet18(4));
    let x = Tensor::randn(&[2, 3, 32, 32]);
    let y = m.forward(&x);
    assert_eq!(y.shape(), &[2, 4]);
    y.sum().backward();
    assert!(m.parameters().iter().all(|p| p.grad().is_some()));
    assert_eq!(m.state_dict()["bn1.num_batches_tracked"].item::<i64>(), 1);

    let mlp = Mlp::new(&[4, 8, 3]);
    let keys: Vec<String> = mlp.state_dict().keys().map(String::from).collect();
    assert_eq!(
        keys,
        [
            "layers.0.weight",
            "layers.0.bias",
            "layers.2.weight",
            "layers.2.bias"
        ]
    );
    assert_eq!(mlp.forward(&Tensor::randn(&[5, 4])).shape(), &[5, 3]);
    // eval reaches the children of a model whose first field is its only child
    mlp.eval();
    assert!(mlp
        .named_modules()
        .iter()
        .all(|(_, m)| m.train_flag().is_none_or(|f| !f.get())));
    let names: Vec<String> = m.named_modules().into_iter().map(|(k, _)| k).collect();
    assert_eq!(names.len(), 68);
    assert!(names.contains(&"layer4.1.bn2".to_string()) && names.contains(&"relu".to_string()));
    let cnn = SmallCnn::new(1, 16, 10);
    assert_eq!(
        cnn.forward(&Tensor::randn(&[2, 1, 16, 16])).shape(),
        &[2, 10]
    );
}

const TRAIN: &str = include_str!("data/resnet18_train.txt");

#[test]
fn resnet18_training_step_gradients_equal_pytorchs() {
    // float64: in float32 this case is too ill-conditioned to compare (PyTorch's own
    // float32 and float64 losses differ by 1.1).
    let m = skip_init(|| resnet18(1000));
    m.load_state_dict(&formula_weights(&m), true).unwrap();
    m.to_dtype(DType::F64);
    // As the script: the batch is built in float32, then converted.
    let x = formula_input();
    let xb = Tensor::cat(&[x.clone(), -&x + 0.25], 0).to_dtype(DType::F64);
    let target = Tensor::from_vec(vec![3i64, 7], &[2]);
    let loss = tessera_nn::functional::cross_entropy(&m.forward(&xb), &target, &Default::default());
    loss.backward();
    let close = |what: &str, got: f64, want: f64, rtol: f64| {
        assert!(
            (got - want).abs() <= rtol * want.abs(),
            "{what}: tessera {got}, PyTorch {want}"
        );
    };
    let params = m.named_parameters();
    let mut n = 0;
    for line in TRAIN.lines().filter(|l| !l.starts_with('#')) {
        let f: Vec<&str> = line.split(' ').collect();
        match f[0] {
            "loss" => close("loss", loss.item::<f64>(), f[1].parse().unwrap(), 1e-9),
            "grad" => {
                let (_, p) = params.iter().find(|(k, _)| k == f[1]).unwrap();
                let g = p.grad().unwrap().to_dtype(DType::F64);
                let norm = (&g * &g).sum().item::<f64>().sqrt();
                close(f[1], norm, f[2].parse().unwrap(), 1e-6);
                n += 1;
            }
            _ => {
                let want: Vec<f64> = f[1].split(',').map(|v| v.parse().unwrap()).collect();
                let got = m.state_dict()["bn1.running_mean"]
                    .to_dtype(DType::F64)
                    .to_vec::<f64>();
                for (a, b) in got.iter().zip(&want) {
                    assert!(
                        (a - b).abs() <= 1e-9 * (1.0 + b.abs()),
                        "running_mean {a} vs {b}"
                    );
                }
            }
        }
    }
    assert_eq!(n, 62);
}
