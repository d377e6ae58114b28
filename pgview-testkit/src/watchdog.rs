//! A detached process removing the private cluster once this process is gone,
//! for when it dies without running its `atexit` handlers (e.g. `SIGKILL`).

use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};

use crate::cluster::ClusterDir;

/// Polls every 0.2 s whether process `$1` is alive; once it is gone, stops the
/// server of data directory `$3` with `pg_ctl` `$2` (as the `postgres` OS user
/// when `$5` is 1) and removes the cluster directory `$4`. Returns early when
/// the cluster directory is gone (the `atexit` handler removed it).
const SCRIPT: &str = r#"
pid=$1 pg_ctl=$2 data=$3 dir=$4 as_postgres=$5
while kill -0 "$pid" 2>/dev/null && [ -d "$dir" ]; do sleep 0.2; done
[ -d "$dir" ] || exit 0
if [ -f "$data/postmaster.pid" ]; then
    if [ "$as_postgres" = 1 ]; then
        runuser -u postgres -- "$pg_ctl" stop -D "$data" -m immediate -w
    else
        "$pg_ctl" stop -D "$data" -m immediate -w
    fi
fi
rm -rf "$dir"
"#;

/// Spawns the watchdog of `cluster` in a session of its own (so terminal
/// signals aimed at this process's group spare it), stdio closed. Returns
/// `None` (after a warning) if it could not be spawned.
pub(crate) fn spawn(cluster: &ClusterDir) -> Option<Child> {
    let command = |program: &str| {
        let mut command = Command::new(program);
        command.current_dir("/");
        command
    };
    let mut setsid = command("setsid");
    setsid.arg("sh");
    let mut sh = command("sh");
    sh.process_group(0);
    let mut last_error = None;
    for mut command in [setsid, sh] {
        command
            .arg("-c")
            .arg(SCRIPT)
            .arg("pgview-testkit-watchdog")
            .arg(std::process::id().to_string())
            .arg(cluster.pg_ctl())
            .arg(cluster.data_dir())
            .arg(cluster.dir())
            .arg(if cluster.as_postgres() { "1" } else { "0" })
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        match command.spawn() {
            Ok(child) => return Some(child),
            Err(err) => last_error = Some(err),
        }
    }
    if let Some(err) = last_error {
        eprintln!(
            "pgview-testkit: could not spawn the cluster watchdog ({err}); \
             {} is only removed on normal exit",
            cluster.dir().display()
        );
    }
    None
}
