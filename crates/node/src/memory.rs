//! How the process asks glibc's allocator to keep its footprint small.
//!
//! glibc's malloc gives threads their own arenas, up to eight per core, and memory
//! freed in one arena is not reused by the others. A node's work hops between tokio's
//! worker and blocking threads, so a long sync left freed memory spread over many arenas:
//! following 1,000 circles peaked at 244 MiB with the default, 204 MiB with four arenas,
//! 158 MiB with two (same sync time) and 147 MiB with one (9% slower). See
//! docs/DECISIONS.md, "Memory of a node that follows many circles".

/// Arenas glibc may create: the measured sweet spot for a node (see the module docs).
const MALLOC_ARENAS: i32 = 2;

/// Caps glibc's malloc arenas at [`MALLOC_ARENAS`]. Call first thing in `main`, before
/// threads start; a no-op on other C libraries and when `MALLOC_ARENA_MAX` is set (the
/// user's choice wins).
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("MALLOC_ARENA_MAX").is_none() {
        // SAFETY: mallopt only changes a tuning parameter of glibc's allocator; it takes
        // no pointers and is safe to call at any time (arenas already made are kept).
        #[allow(unsafe_code)]
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, MALLOC_ARENAS);
        }
    }
}
