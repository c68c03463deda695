//! The `tandem-devnode` binary as a child process, for tests that kill the node (SIGKILL)
//! and start it again on the same data dir.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::Client;

pub struct Devnode {
    pub child: Child,
    pub addr: SocketAddr,
}

impl Devnode {
    /// Starts the node on `dir` and a free port; waits (a minute at most) for its
    /// `listening on` line.
    pub fn start(dir: &Path) -> Self {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tandem-devnode"));
        command.args(["--data-dir", dir.to_str().unwrap(), "--port", "0"]);
        Self::spawn(command, Stdio::inherit())
    }

    /// As [`Self::start`], with no file of the node's larger than `max_file_bytes` (a write
    /// past it fails with EFBIG, as on a full disk: `ulimit -f`, SIGXFSZ ignored); its
    /// stderr is piped, for the test to read.
    #[allow(dead_code)] // used by some test modules only
    pub fn start_with_file_limit(dir: &Path, max_file_bytes: u64) -> Self {
        let mut command = Command::new("bash");
        command
            .arg("-c")
            .arg(format!(
                "trap '' XFSZ; ulimit -f {}; exec \"$0\" --data-dir \"$1\" --port 0",
                max_file_bytes / 512
            ))
            .arg(env!("CARGO_BIN_EXE_tandem-devnode"))
            .arg(dir);
        Self::spawn(command, Stdio::piped())
    }

    /// As [`Self::start`], the process allowed at most `files` open files (soft and hard:
    /// `ulimit -n`).
    #[allow(dead_code)] // used by some test modules only
    pub fn start_with_open_files(dir: &Path, files: u64) -> Self {
        let mut command = Command::new("bash");
        command
            .arg("-c")
            .arg(format!(
                "ulimit -n {files}; exec \"$0\" --data-dir \"$1\" --port 0"
            ))
            .arg(env!("CARGO_BIN_EXE_tandem-devnode"))
            .arg(dir);
        Self::spawn(command, Stdio::inherit())
    }

    /// CPU time (user and system) the process has used so far.
    #[allow(dead_code)]
    pub fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // Fields after the command name (which may hold spaces) start past its ')'.
        let rest = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = rest.split(' ').collect();
        let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
        // SAFETY: sysconf has no preconditions.
        let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
        Duration::from_millis(ticks * 1000 / hz)
    }

    fn spawn(mut command: Command, stderr: Stdio) -> Self {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("starting tandem-devnode");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("listening on ") {
                    let _ = tx.send(addr.trim().to_string());
                }
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(a) => a.parse().unwrap(),
            Err(_) => {
                let _ = child.kill();
                panic!("the node did not start");
            }
        };
        Self { child, addr }
    }

    pub fn client(&self) -> Client {
        Client { addr: self.addr }
    }

    /// SIGKILL, and waits for the process to end.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Devnode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
