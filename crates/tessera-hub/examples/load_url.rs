//! Loads a state dict that PyTorch wrote through `load_state_dict_from_url`, from an
//! HTTP server on 127.0.0.1 (started here, serving the file) and from a `file://` URL,
//! then runs the checkpoint's last Linear layer and compares its output with the one
//! PyTorch computed for the same weights and input (scripts/make_io_data.py).
//!
//! Run: `cargo run -p tessera-hub --example load_url`

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use tessera_core::{Result, Tensor};
use tessera_hub::{load_state_dict_from_url, model_zoo};

/// `nn.Sequential(Conv2d, BatchNorm2d, ReLU, Linear(4, 2)).state_dict()`, saved by torch.save.
const CHECKPOINT: &[u8] = include_bytes!("../../tessera-io/tests/data/state_dict.pth");
/// PyTorch's output of the Linear layer for the input below.
const TORCH_OUT: &str = include_str!("../../tessera-io/tests/data/state_dict.linear_out.txt");

/// Serves `body` to every request, like a static file server.
fn serve(body: &'static [u8]) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("local address");
    std::thread::spawn(move || {
        for mut conn in listener.incoming().flatten() {
            let mut r = BufReader::new(conn.try_clone().expect("clone socket"));
            let mut line = String::new();
            while r.read_line(&mut line).is_ok_and(|n| n > 2) {
                line.clear();
            }
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = conn
                .write_all(head.as_bytes())
                .and_then(|_| conn.write_all(body));
        }
    });
    format!("http://{addr}")
}

fn main() -> Result<()> {
    let cache = std::env::temp_dir().join(format!("tessera-hub-example-{}", std::process::id()));
    // A name with the file's sha256 prefix, as PyTorch's model URLs have.
    let hash = {
        use sha2::Digest;
        let d = sha2::Sha256::digest(CHECKPOINT);
        d.iter()
            .take(4)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let url = format!("{}/models/small-{hash}.pth", serve(CHECKPOINT));
    println!("loading {url}");
    let sd = load_state_dict_from_url(&url, Some(&cache), true, true, None)?;
    for (k, t) in sd.iter() {
        println!("  {k:24} {:?} {}", t.shape(), t.dtype());
    }
    // Second time: from the cache, no download.
    let again = model_zoo::load_url(&url, Some(&cache), true, true, None)?;
    assert_eq!(again.len(), sd.len());
    // The same file through a file:// URL, loaded in place.
    let cached = cache.join(format!("small-{hash}.pth"));
    let local = load_state_dict_from_url(
        &format!("file://{}", cached.display()),
        None,
        false,
        true,
        None,
    )?;
    assert_eq!(local.len(), sd.len());

    // y = W x + b with the checkpoint's Linear(4, 2).
    let x = Tensor::from_vec(vec![-0.5f32, -0.25, 0.0, 0.25], &[4]);
    let y = &sd["3.weight"].matmul(&x) + &sd["3.bias"];
    let torch: Vec<f64> = TORCH_OUT
        .split_whitespace()
        .map(|h| f64::from_bits(u64::from_str_radix(h, 16).expect("hex bits")))
        .collect();
    let ours = y.to_vec::<f32>();
    println!("tessera: {ours:?}\nPyTorch: {torch:?}");
    for (a, b) in ours.iter().zip(&torch) {
        assert!(
            (*a as f64 - b).abs() <= 1e-6 * b.abs().max(1.0),
            "{a} vs {b}"
        );
    }
    println!("outputs agree");
    std::fs::remove_dir_all(&cache).ok();
    Ok(())
}
