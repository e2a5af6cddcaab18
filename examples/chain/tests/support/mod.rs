//! What the chain's process tests share.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A server of the chain run as an HTTP process of the test, on a free
/// port: the child and the URL it said it listens on. Killed on drop.
pub struct HttpProcess(pub Child, pub String);

impl HttpProcess {
    /// Starts `binary serve --http 127.0.0.1:0` with `env` added, and waits
    /// for its `listening on URL` line.
    pub fn start(binary: &str, env: &[(&str, String)]) -> Self {
        let mut child = Command::new(binary)
            .args(["serve", "--http", "127.0.0.1:0"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .envs(env.iter().map(|(k, v)| (*k, v.clone())))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn an HTTP server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .expect("a `listening on URL` line")
            .to_owned();
        HttpProcess(child, url)
    }
}

impl Drop for HttpProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
