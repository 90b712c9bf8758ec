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
/// Allocations from this size up are mapped on their own and given back when freed, and
/// the heap is trimmed once this much is free at its top. glibc's default threshold grows
/// to 32 MiB, so the large buffers of a term checked and applied at once stayed in the
/// heap: a 4-term first sync of 100,000 changes was OOM-killed under 512 MiB with the
/// default and fitted (peak 448 MiB) with 128 KiB (docs/PI.md, "Memory").
const MALLOC_RELEASE_FROM: i32 = 128 * 1024;

/// Caps glibc's malloc arenas at [`MALLOC_ARENAS`] and makes it give large freed blocks
/// back ([`MALLOC_RELEASE_FROM`]). Call first thing in `main`, before threads start; a
/// no-op on other C libraries, and each setting is left alone when the user set it
/// (`MALLOC_ARENA_MAX`, `GLIBC_TUNABLES`).
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
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if std::env::var_os("GLIBC_TUNABLES").is_none() {
        // SAFETY: as above; fixing these thresholds only turns off glibc's growing them.
        #[allow(unsafe_code)]
        unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MALLOC_RELEASE_FROM);
            libc::mallopt(libc::M_TRIM_THRESHOLD, MALLOC_RELEASE_FROM);
        }
    }
}
