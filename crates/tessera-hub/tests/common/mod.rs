//! A small HTTP/1.1 server on 127.0.0.1 for the hub tests: fixed routes, request
//! counts, slow bodies, errors, redirects and connections cut halfway.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server answers on a path.
#[derive(Clone)]
pub enum Route {
    /// 200 with this body, sent in `chunks` pieces with `delay` between them.
    Body {
        data: Vec<u8>,
        chunks: usize,
        delay: Duration,
    },
    /// This status code, with a short body.
    Status(u16),
    /// 200 announcing the whole body's length, then the connection is closed after
    /// `sent` bytes.
    Cut { data: Vec<u8>, sent: usize },
    /// 302 to this location.
    Redirect(String),
}

pub struct Server {
    pub base: String,
    routes: Arc<Mutex<HashMap<String, Route>>>,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

impl Server {
    pub fn start() -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let routes: Arc<Mutex<HashMap<String, Route>>> = Arc::default();
        let hits: Arc<Mutex<HashMap<String, usize>>> = Arc::default();
        let (r, h) = (routes.clone(), hits.clone());
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(conn) = conn else { continue };
                let (r, h) = (r.clone(), h.clone());
                std::thread::spawn(move || {
                    let _ = serve(conn, &r, &h);
                });
            }
        });
        Server { base, routes, hits }
    }

    /// Serves `route` at `path` (which starts with '/'); returns its URL.
    pub fn route(&self, path: &str, route: Route) -> String {
        self.routes.lock().unwrap().insert(path.to_string(), route);
        format!("{}{path}", self.base)
    }

    pub fn body(&self, path: &str, data: &[u8]) -> String {
        self.route(
            path,
            Route::Body {
                data: data.to_vec(),
                chunks: 1,
                delay: Duration::ZERO,
            },
        )
    }

    /// How many requests `path` received.
    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

fn serve(
    conn: TcpStream,
    routes: &Mutex<HashMap<String, Route>>,
    hits: &Mutex<HashMap<String, usize>>,
) -> std::io::Result<()> {
    let mut reader = BufReader::new(conn.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h)? == 0 || h == "\r\n" {
            break;
        }
    }
    *hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let route = routes.lock().unwrap().get(&path).cloned();
    let mut w = conn;
    match route {
        None => write!(
            w,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found"
        )?,
        Some(Route::Status(code)) => write!(
            w,
            "HTTP/1.1 {code} Error\r\nContent-Length: 5\r\nConnection: close\r\n\r\nerror"
        )?,
        Some(Route::Redirect(to)) => write!(
            w,
            "HTTP/1.1 302 Found\r\nLocation: {to}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )?,
        Some(Route::Body {
            data,
            chunks,
            delay,
        }) => {
            write!(
                w,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                data.len()
            )?;
            let step = data.len().div_ceil(chunks.max(1)).max(1);
            for c in data.chunks(step) {
                w.write_all(c)?;
                w.flush()?;
                std::thread::sleep(delay);
            }
        }
        Some(Route::Cut { data, sent }) => {
            write!(
                w,
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                data.len()
            )?;
            w.write_all(&data[..sent])?;
            w.flush()?;
            w.shutdown(std::net::Shutdown::Both)?;
        }
    }
    Ok(())
}

/// The sha256 of `data` in hex.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The names of the files in `dir`, sorted.
pub fn files(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}
