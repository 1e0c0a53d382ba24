//! Starting the compiler: `Command::output`, waiting out a program file that is still
//! busy.

use std::io;
use std::process::{Command, Output};
use std::time::Duration;

/// How many times [`output`] starts a busy program again, and how long it waits between.
const TRIES: u32 = 50;
const PAUSE: Duration = Duration::from_millis(10);

/// `cmd.output()`, started again (up to 50 times, 10 ms apart) while the system reports
/// the program busy (`ETXTBSY`, "Text file busy"). Linux refuses to run a file that some
/// process holds open for writing, and a `fork` anywhere in this process (another thread
/// starting a program) holds a copy of every open descriptor until its `exec`: a compiler
/// wrapper written a moment before, by the caller or by a parallel test, can be busy for
/// that instant. Any other error, or a file still busy after half a second, is returned.
pub(crate) fn output(cmd: &mut Command) -> io::Result<Output> {
    let mut tries = 0;
    loop {
        match cmd.output() {
            Err(e) if e.kind() == io::ErrorKind::ExecutableFileBusy && tries < TRIES => {
                tries += 1;
                std::thread::sleep(PAUSE);
            }
            r => return r,
        }
    }
}
