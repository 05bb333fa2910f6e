//! Packaging: the release targets of `packaging/targets.txt` are the ones
//! the release workflow builds, `cargo binstall` looks for and the Action's
//! installer picks; the archives hold `packaging/layout.txt`; the installer
//! checks SHA-256 and the Action's run step passes fanout's exit status
//! through.
//!
//! The shell scripts run here against a local directory of archives built
//! from this checkout's binary, with stubs of curl and wget on PATH that
//! fail the test if anything tries to download. Servers are on 127.0.0.1.

mod agree;
#[cfg(unix)]
mod archives;
#[cfg(unix)]
mod install;
#[cfg(unix)]
mod run_step;
mod support;
