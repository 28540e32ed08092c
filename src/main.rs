//! The `wgzero` command line. Each subcommand lives in its own file under `src/cli/`.

mod cli;

fn main() -> std::process::ExitCode {
    // GL adapter probing logs EGL failures that are expected on machines without GL.
    let default_filter = "warn,wgpu_hal::gles=off";
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(default_filter))
        .init();
    match cli::run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error:#}");
            // Bad settings exit as clap's usage errors do: 2.
            if cli::is_usage_error(&error) {
                std::process::ExitCode::from(2)
            } else {
                std::process::ExitCode::FAILURE
            }
        }
    }
}
