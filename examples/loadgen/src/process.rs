//! What `/proc` tells about a server process (Linux): its resident memory
//! and the CPU time it has used.

use std::time::Duration;

/// Clock ticks per second in `/proc/PID/stat`: `USER_HZ`, which Linux fixes
/// at 100 for user space on every architecture it supports.
const USER_HZ: u64 = 100;

/// The resident set size of process `pid` in KiB (`VmRSS`), or `None` where
/// `/proc` cannot tell (another OS, or the process is gone).
pub fn resident_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    parse_vm_rss(&status)
}

/// The CPU time (user and system, every thread) process `pid` has used so
/// far, to a resolution of 10 ms; `None` where `/proc` cannot tell.
pub fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_cpu_ticks(&stat).map(|ticks| Duration::from_millis(ticks * 1000 / USER_HZ))
}

fn parse_vm_rss(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// `utime + stime` from a `/proc/PID/stat` line. The command name in
/// parentheses may hold spaces, so fields are counted after its last `)`.
fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // After the name: state (field 3) is index 0, so utime (14) is 11 and stime (15) is 12.
    let user: u64 = fields.get(11)?.parse().ok()?;
    let system: u64 = fields.get(12)?.parse().ok()?;
    Some(user + system)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_vm_rss_from_a_status_file() {
        let status = "Name:\techo\nVmPeak:\t  9000 kB\nVmRSS:\t    5120 kB\nThreads:\t3\n";
        assert_eq!(parse_vm_rss(status), Some(5120));
        assert_eq!(parse_vm_rss("Name:\tzombie\n"), None);
    }

    #[test]
    fn reads_cpu_ticks_even_when_the_name_has_spaces_and_parentheses() {
        let stat =
            "4242 (my (odd) server) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 31 0 0 20 0 3 0";
        assert_eq!(parse_cpu_ticks(stat), Some(281));
        assert_eq!(parse_cpu_ticks("4242 (cut"), None);
        assert_eq!(parse_cpu_ticks("4242 (short) S 1"), None);
    }

    #[test]
    fn reads_this_process() {
        assert!(resident_kib(std::process::id()).is_some_and(|kib| kib > 0));
        assert!(cpu_time(std::process::id()).is_some());
    }
}
