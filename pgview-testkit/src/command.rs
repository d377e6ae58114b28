//! Running the Postgres programs, as the `postgres` OS user when root.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

/// Whether this process runs as root (effective uid 0).
///
/// The Postgres server refuses to run as root, so its programs are then run
/// as the `postgres` OS user (see [`pg_command`]).
pub(crate) fn is_root() -> bool {
    if let Ok(status) = fs::read_to_string("/proc/self/status") {
        // `Uid:	<real>	<effective>	<saved>	<filesystem>`
        if let Some(line) = status.lines().find(|line| line.starts_with("Uid:")) {
            return line.split_whitespace().nth(2) == Some("0");
        }
    }
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|out| String::from_utf8_lossy(&out.stdout).trim() == "0")
}

/// A command running `program`, through `runuser -u postgres --` when
/// `as_postgres`, with stdin closed and `cwd` as working directory (the
/// `postgres` user may not be allowed into this process's one).
pub(crate) fn pg_command(program: &Path, as_postgres: bool, cwd: &Path) -> Command {
    let mut command = if as_postgres {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    };
    command.current_dir(cwd).stdin(Stdio::null());
    command
}

/// Runs `command` to completion; on failure, returns a message with the
/// command line, its exit status and its output.
pub(crate) fn run(command: &mut Command) -> Result<String, String> {
    let output = command
        .output()
        .map_err(|err| format!("could not run {command:?}: {err}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if output.status.success() {
        return Ok(stdout.into_owned());
    }
    Err(format!(
        "{command:?} failed ({})\n--- stderr ---\n{}\n--- stdout ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr).trim_end(),
        stdout.trim_end(),
    ))
}

/// The uid and gid of the `postgres` OS user.
pub(crate) fn postgres_ids() -> Result<(u32, u32), String> {
    let id = |flag: &str| -> Result<u32, String> {
        let out = run(Command::new("id").args([flag, "postgres"]))?;
        out.trim()
            .parse()
            .map_err(|err| format!("unexpected output of `id {flag} postgres`: {out:?}: {err}"))
    };
    Ok((id("-u")?, id("-g")?))
}
