//! Which process made a database: the mark written as the database's comment, and whether the
//! process that wrote it is gone.
//!
//! A process killed without running its `atexit` handler (`SIGKILL`, a crash) leaves its
//! databases on the `DATABASE_URL` server. Each database the testkit creates is therefore
//! marked, in its comment, with the process that owns it:
//!
//! ```text
//! pgview-testkit run machine=<machine-id> boot=<boot id> pidns=<pid namespace> pid=<pid> start=<start time>
//! ```
//!
//! and the next process to use the server drops the marked databases whose process is
//! provably gone (see [`RunMark::is_gone`]). A database without the mark, or one whose
//! process cannot be checked from here (another machine, another container), is never
//! touched.

use std::fs;
use std::sync::OnceLock;

/// What the comment of a marked database starts with.
pub(crate) const MARK_PREFIX: &str = "pgview-testkit run ";

/// The process that owns a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RunMark {
    /// `/etc/machine-id` (empty when there is none): tells a previous boot of this machine
    /// from another machine.
    machine: String,
    /// The kernel's boot id (`/proc/sys/kernel/random/boot_id`).
    boot: String,
    /// The pid namespace (`/proc/self/ns/pid`, e.g. `pid:[4026531836]`): with the boot id, it
    /// says whether the pid can be looked up from here.
    pidns: String,
    /// The process id.
    pid: u32,
    /// The process's start time (clock ticks after boot, `/proc/<pid>/stat`): a later process
    /// with the same pid has another.
    start: u64,
}

impl RunMark {
    /// This process's mark.
    pub(crate) fn current() -> &'static Self {
        static CURRENT: OnceLock<RunMark> = OnceLock::new();
        CURRENT.get_or_init(|| {
            let pid = std::process::id();
            Self {
                machine: read_trimmed("/etc/machine-id"),
                boot: read_trimmed("/proc/sys/kernel/random/boot_id"),
                pidns: fs::read_link("/proc/self/ns/pid")
                    .map(|link| link.display().to_string())
                    .unwrap_or_default(),
                pid,
                start: process_start(pid).unwrap_or(0),
            }
        })
    }

    /// The comment that marks a database as this run's.
    pub(crate) fn comment(&self) -> String {
        format!(
            "{MARK_PREFIX}machine={} boot={} pidns={} pid={} start={}",
            self.machine, self.boot, self.pidns, self.pid, self.start
        )
    }

    /// The mark in a database's comment; `None` when the comment is not exactly one.
    pub(crate) fn parse(comment: &str) -> Option<Self> {
        let mut fields = comment.strip_prefix(MARK_PREFIX)?.split(' ');
        let mut field = |key: &str| {
            let (k, value) = fields.next()?.split_once('=')?;
            (k == key).then_some(value)
        };
        let mark = Self {
            machine: field("machine")?.to_owned(),
            boot: field("boot")?.to_owned(),
            pidns: field("pidns")?.to_owned(),
            pid: field("pid")?.parse().ok()?,
            start: field("start")?.parse().ok()?,
        };
        let complete = fields.next().is_none()
            && mark.pid != 0
            && !mark.boot.is_empty()
            && !mark.pidns.is_empty();
        complete.then_some(mark)
    }

    /// Whether the process of this mark is provably gone, seen from the process `here`:
    /// - same boot and pid namespace (its pid can be looked up here): the pid no longer
    ///   exists, or is another process (another start time);
    /// - another boot of the same machine (same non-empty machine id): gone with that boot.
    ///
    /// Anything else (another machine, another container's pid namespace, no machine id) is
    /// not known to be gone.
    pub(crate) fn is_gone(&self, here: &Self) -> bool {
        if self.boot == here.boot && self.pidns == here.pidns {
            return process_start(self.pid) != Some(self.start);
        }
        self.boot != here.boot && !self.machine.is_empty() && self.machine == here.machine
    }
}

/// The start time of process `pid` (field 22 of `/proc/<pid>/stat`), `None` when there is no
/// such process.
fn process_start(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) state ppid …`: the command may hold spaces and parentheses, the fields after
    // its last `)` do not; `state` is field 3, the start time field 22.
    let after_comm = &stat[stat.rfind(')')? + 1..];
    after_comm.split_whitespace().nth(22 - 3)?.parse().ok()
}

/// The first line of a file, trimmed; empty when it cannot be read.
fn read_trimmed(path: &str) -> String {
    fs::read_to_string(path)
        .map(|text| text.trim().to_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::{process_start, RunMark};

    fn mark(machine: &str, boot: &str, pidns: &str, pid: u32, start: u64) -> RunMark {
        RunMark {
            machine: machine.to_owned(),
            boot: boot.to_owned(),
            pidns: pidns.to_owned(),
            pid,
            start,
        }
    }

    #[test]
    fn comments_round_trip() {
        let here = RunMark::current();
        assert_eq!(here.pid, std::process::id());
        assert!(here.start > 0 && !here.boot.is_empty() && !here.pidns.is_empty());
        assert_eq!(RunMark::parse(&here.comment()).as_ref(), Some(here));
        for other in [
            "",
            "made by hand",
            "pgview-testkit run pid=1",
            "pgview-testkit run machine=a boot=b pidns=c pid=x start=1",
            "pgview-testkit run machine=a boot=b pidns=c pid=1 start=1 more=1",
        ] {
            assert_eq!(RunMark::parse(other), None, "{other}");
        }
    }

    #[test]
    fn only_provably_gone_processes_are_gone() {
        let here = RunMark::current();
        let (m, b, ns) = (
            here.machine.as_str(),
            here.boot.as_str(),
            here.pidns.as_str(),
        );
        // This process: alive.
        assert!(!here.is_gone(here));
        // Its pid with another start time: the pid was reused.
        assert!(mark(m, b, ns, here.pid, here.start + 1).is_gone(here));
        // A pid that does not exist (above the kernel's maximum).
        assert!(mark(m, b, ns, 99_999_999, 1).is_gone(here));
        // Another pid namespace: not known.
        assert!(!mark(m, b, "pid:[1]", 99_999_999, 1).is_gone(here));
        // Another boot: gone when the machine is this one (and known).
        assert_eq!(mark(m, "other boot", ns, 1, 1).is_gone(here), !m.is_empty());
        assert!(!mark("other machine", "other boot", ns, 1, 1).is_gone(here));
        assert!(!mark("", "other boot", ns, 1, 1).is_gone(here));
    }

    #[test]
    fn start_times_are_read() {
        assert_eq!(
            process_start(std::process::id()),
            Some(RunMark::current().start)
        );
        assert_eq!(process_start(99_999_999), None);
    }
}
