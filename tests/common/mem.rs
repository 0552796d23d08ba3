//! What a piece of code adds to the process's peak resident memory (Linux: the kernel's
//! high-water mark `VmHWM`, reset before measuring). The crate forbids unsafe code, so no
//! counting allocator; the high-water mark bounds what the code touched. Tests in one binary
//! that measure, or that allocate enough to disturb a measurement, hold [`exclusive`].

use std::sync::{Mutex, MutexGuard};

/// A size line of /proc/self/status (`VmHWM`, `VmRSS`), in bytes. Without it the memory
/// property cannot be checked, so the test fails rather than reading 0 and passing.
fn status_bytes(field: &str) -> usize {
    let status = std::fs::read_to_string("/proc/self/status").expect(
        "the memory property reads /proc/self/status (Linux); without it nothing is checked",
    );
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<usize>().ok())
        .map(|kb| kb * 1024)
        .unwrap_or_else(|| panic!("/proc/self/status has no {field} line"))
}

/// Reset the high-water mark to the current resident size (Linux ≥ 4.0: `clear_refs` 5).
pub fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// The process's peak resident memory since the last [`reset_peak`].
pub fn peak_rss() -> usize {
    status_bytes("VmHWM")
}

pub fn rss() -> usize {
    status_bytes("VmRSS")
}

/// `f`'s result and how far the process's peak resident memory rose above its resident size
/// while `f` ran, in bytes.
pub fn peak_growth<T>(f: impl FnOnce() -> T) -> (T, usize) {
    reset_peak();
    let before = rss();
    let out = f();
    (out, peak_rss().saturating_sub(before))
}

/// Held by a test while it measures memory or allocates tens of megabytes, so tests running
/// side by side in one binary do not inflate each other's measurements.
pub fn exclusive() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}
