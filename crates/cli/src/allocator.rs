//! How the binaries' allocator hands freed memory back to the operating system.

/// The environment variable through which mimalloc users choose the purge delay themselves.
const PURGE_DELAY_VARIABLE: &str = "MIMALLOC_PURGE_DELAY";

/// `mi_option_purge_delay`, which `libmimalloc-sys` does not name: its place in mimalloc v3's
/// `mi_option_e` (`include/mimalloc.h`), between `mi_option_eager_commit_delay` (14) and
/// `mi_option_use_numa_nodes` (16), which it does. The test below checks it by its default.
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Tells mimalloc to return a page to the operating system as soon as it is empty, instead of
/// after its default delay of one second — unless the user chose a delay in
/// `MIMALLOC_PURGE_DELAY`, which mimalloc has already read and which wins.
///
/// Most `unstuck` runs (a pre-commit hook, `validate` on a repository) finish within that
/// second, so with the default nothing freed is ever returned: memory a parsed base no longer
/// needs stays resident while the next one is parsed, and the peak grows with every large file
/// the run reads. Returning it at once lowered `validate`'s peak on the platform-shaped
/// repository from about 30 MB to about 24 MB at no measurable cost in time
/// (docs/PERFORMANCE.md).
///
/// Call it first thing in `main`, before any other thread starts.
pub fn release_freed_pages_at_once() {
    if std::env::var_os(PURGE_DELAY_VARIABLE).is_some() {
        return;
    }
    set_purge_delay_to_zero();
}

#[allow(unsafe_code)]
fn set_purge_delay_to_zero() {
    // SAFETY: `mi_option_set` stores one integer in mimalloc's option table and has no
    // preconditions on its arguments; `MI_OPTION_PURGE_DELAY` is a valid option of the mimalloc
    // version `libmimalloc-sys` builds (v3), and a delay of 0 is a documented value. The store is
    // not atomic, which is why this runs before any other thread exists; mimalloc reads the
    // option again each time it decides whether to purge, so a change after start-up holds.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, 0) };
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads the option without changing it, so tests running side by side cannot disturb it.
    #[allow(unsafe_code)]
    fn purge_delay() -> std::ffi::c_long {
        // SAFETY: `mi_option_get` reads one entry of mimalloc's option table; the index is in
        // range (the assertion below is about which entry it is).
        unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) }
    }

    #[test]
    fn the_option_index_names_the_purge_delay() {
        if std::env::var_os(PURGE_DELAY_VARIABLE).is_some() {
            eprintln!("skipped: {PURGE_DELAY_VARIABLE} is set, so the default cannot be seen");
            return;
        }
        // mimalloc v3's default purge delay is 1000 ms (`src/options.c`); no other option of
        // its table defaults to 1000.
        assert_eq!(purge_delay(), 1000);
    }
}
