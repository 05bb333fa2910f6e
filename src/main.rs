//! The `fanout` binary: parse the command line, set up logging and the
//! runtime, run the library, and map the exit status it decides to an
//! `ExitCode`.

use std::io;
use std::process::ExitCode;

use clap::Parser;
use fanout::Exit;
use fanout::cli::{Cli, Parsed};

// Every request allocates and frees dozens of small objects across reqwest,
// hyper and the record; with glibc's malloc that was a sixth of the CPU per
// request (bench/README.md). mimalloc cuts it, and is built without
// transparent huge pages, which would cost 7 MiB of resident memory. Set in
// the binary only: the library leaves the choice to its users.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ExitCode::from(fanout_main().code())
}

fn fanout_main() -> Exit {
    #[cfg(unix)]
    ignore_file_size_signal();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return parse_error(e),
    };
    init_logging(cli.output.verbose, cli.output.color);
    if let Some(what) = cli.output.generate {
        return match fanout::cli::generate(what, &mut io::stdout().lock()) {
            Ok(()) => Exit::Success,
            // The reader went away (`| head`): not an error.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Exit::Success,
            Err(e) => Exit::usage(&format!("cannot write to stdout: {e}")),
        };
    }
    let Parsed {
        config,
        input,
        finish,
    } = match cli.into_config() {
        Ok(parsed) => parsed,
        Err(e) => return Exit::usage(&format!("{e:#}")),
    };

    // One thread runs the fetches and the writer; input is read on its own
    // thread and DNS lookups use tokio's blocking pool.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return Exit::usage(&format!("cannot start the runtime: {e}")),
    };
    let stdout = io::stdout();
    let out = io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let result = runtime.block_on(async {
        let stop = fanout::Stop::new();
        if let Err(e) = fanout::signals::stop_on_signals(&stop) {
            tracing::warn!("cannot handle signals: {e}");
        }
        fanout::run(&config, input, out, &stop).await
    });
    // Don't wait for blocking work (a DNS lookup that hangs) on the way out.
    runtime.shutdown_background();
    finish.conclude(result)
}

/// A file-size limit (`ulimit -f`) would kill the process with SIGXFSZ in
/// the middle of saving a body (`-o`), leaving its temporary file behind.
/// Ignored, the write fails with `EFBIG` instead: a `save` error for that
/// URL, like a full disk, and the run goes on. (Windows has no such signal.)
#[cfg(unix)]
fn ignore_file_size_signal() {
    // SAFETY: sets the disposition of one signal to SIG_IGN before any
    // other thread exists; no handler runs.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

/// `--help` and `--version` print as clap writes them; any other parser
/// error becomes one line on stderr, as every usage error is: fanout's way
/// for a curl flag, else clap's reason and its tips, without the usage
/// block.
fn parse_error(e: clap::Error) -> Exit {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = e.print();
        return Exit::Success;
    }
    if let Some(line) = fanout::cli::habit_hint(&e) {
        return Exit::usage(&line);
    }
    let text = e.render().to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let reason = lines.next().unwrap_or("invalid arguments");
    let reason = reason.strip_prefix("error: ").unwrap_or(reason);
    let mut hints: Vec<&str> = lines.filter_map(|l| l.strip_prefix("tip: ")).collect();
    hints.push("see --help");
    Exit::usage(&format!("{reason} ({})", hints.join("; ")))
}

fn init_logging(verbose: u8, color: fanout::cli::ColorArg) {
    use std::io::IsTerminal;
    use tracing_subscriber::EnvFilter;
    let default = match verbose {
        0 => "warn",
        1 => "fanout=info",
        _ => "fanout=debug",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    // Logs go to stderr: stdout carries records only. Coloured by the same
    // rule as the records, asked of stderr: a `2>log.txt` gets plain text.
    let ansi = fanout::cli::use_color(
        color,
        std::env::var_os("NO_COLOR").as_deref(),
        io::stderr().is_terminal(),
    );
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_ansi(ansi)
        .try_init();
}
