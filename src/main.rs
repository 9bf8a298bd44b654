//! `visor`: the command line of the Visor shell. Everything here is argument parsing; the
//! commands live in the `visor` library.
//!
//! - `visor run [--profile NAME] [--admin [ADDR]] [--output NAME] [APP.wasm ...]`: the simulator
//!   window (full screen on `--output`); `--headless --frames N --out DIR` writes frames instead.
//! - `visor outputs`: the monitors a window can go full screen on.
//! - `visor devices [--record-imu FILE --seconds S]`: glasses and cameras plugged in; records
//!   the glasses' IMU stream.
//! - `visor module|keys|registry …`: the module store, signing keys, registry logins.
//! - `visor record --out DIR --seconds S [--profile NAME] [--format jpeg|png]`: a camera session.
//! - `visor bench SUITE`: figures as tables.
//! - `visor new NAME`, `visor build [DIR]`, `visor dev [DIR]`: app projects anywhere, built into
//!   packages, run with reload in place on every save.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use clap::{Parser, Subcommand, ValueEnum};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use visor::data::DataDir;
use visor::run::{Display, RunOptions, headless, window};
use visor::{bench, depth_cmd, devices_cmd, keys_cmd, login_cmd, module_cmd, record};

#[derive(Parser)]
#[command(name = "visor", version, about = "Visor: an operating-system shell for AR glasses")]
struct Cli {
    /// The module store (default: $VISOR_HOME, else ~/.local/share/visor).
    #[arg(long, global = true)]
    store: Option<PathBuf>,
    /// Visor's data (profiles, built-in manifests, assets, sample apps): default $VISOR_DATA,
    /// else the copy built into this binary, unpacked under ~/.local/share/visor/bundle.
    #[arg(long, global = true, value_name = "DIR")]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the shell: apps composited over the camera, in the simulator window or headless.
    Run {
        /// Write frames to --out instead of opening a window.
        #[arg(long)]
        headless: bool,
        /// Headless: frames to produce; 0 runs until Ctrl-C or SIGTERM (and writes no PNGs).
        /// The window: see --exit-after-frames.
        #[arg(long, default_value_t = 120)]
        frames: u64,
        /// Headless: folder for the frames (PNG) and timing.jsonl.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Device profile: a name (`visor run --profile x` lists them) or the path of a profile
        /// file (PATH.toml).
        #[arg(long, default_value = "desktop-sim")]
        profile: String,
        /// Window: close after N frames.
        #[arg(long, value_name = "N", conflicts_with = "headless")]
        exit_after_frames: Option<u64>,
        /// Window: write a screenshot of frame N (as F2 does) into --screenshot-dir.
        #[arg(long, value_name = "N", conflicts_with = "headless")]
        screenshot_at: Option<u64>,
        /// Window: where screenshots (F2, --screenshot-at) go.
        #[arg(long, value_name = "DIR", default_value = ".")]
        screenshot_dir: PathBuf,
        /// Move the head along a recorded pose track (poses.jsonl or a session folder) instead
        /// of the profile's pose source: for repeatable runs.
        #[arg(long, value_name = "FILE")]
        pose_track: Option<PathBuf>,
        /// Window: write each presented frame's motion-to-photon (ms, one per line) to FILE
        /// when the window closes (`visor bench motion` reads it).
        #[arg(long, value_name = "FILE", conflicts_with = "headless")]
        motion_log: Option<PathBuf>,
        /// Headless: run as fast as possible instead of at the display's refresh rate.
        #[arg(long)]
        unpaced: bool,
        /// Serve the admin panel at ADDR (127.0.0.1:7878 when given alone; before app paths,
        /// write --admin=ADDR). The page's URL, with its access token, is logged at start.
        #[arg(long, value_name = "ADDR", num_args = 0..=1, default_missing_value = "127.0.0.1:7878")]
        admin: Option<std::net::SocketAddr>,
        /// Window: full screen on this monitor (`visor outputs` lists them); default: the
        /// profile's display.output, else a desktop window.
        #[arg(long, value_name = "NAME", conflicts_with = "headless")]
        output: Option<String>,
        /// Start the launcher: a URL bar that installs modules from registries (asking what
        /// each may do), tabs over the running apps, and the installed modules.
        #[arg(long)]
        launcher: bool,
        #[command(flatten)]
        net: visor::net_cmd::NetArgs,
        /// App components (.wasm); none starts the installed modules marked `boot`, or the
        /// sample apps when none is installed (and no --launcher).
        apps: Vec<PathBuf>,
    },
    /// Run library modules (vision) for other devices on the network, with no display.
    Serve(visor::net_cmd::ServeArgs),
    /// List the shells on the network, what they run and their link latency.
    Peers(visor::net_cmd::PeersArgs),
    /// Create an app project in ./NAME: manifest, source, WIT world, SDK, README.
    New {
        name: String,
        #[arg(long, value_enum, default_value = "rust")]
        lang: visor::project::new::Lang,
    },
    /// Install the pinned tools that build Python and JavaScript apps (componentize-py from
    /// PyPI, componentize-js from npm) into Visor's toolchains folder.
    Toolchain {
        #[command(subcommand)]
        action: ToolchainCommand,
    },
    /// Build the app project in DIR into a component and a package (DIR/target/visor/) for
    /// `visor run`, `visor module install` and `publish`.
    Build {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Run the app project in DIR and, on every save, rebuild it and upgrade it in place (same
    /// module and bus identity, subscriptions kept); a failed build keeps the last good one.
    Dev {
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// No window: frames go to --out (with --frames N) or nowhere (0: until Ctrl-C).
        #[arg(long)]
        headless: bool,
        #[arg(long, default_value_t = 0)]
        frames: u64,
        /// Where frames and timing.jsonl go (default: DIR/target/visor-dev/out, apart from the
        /// sources, whose changes trigger reloads).
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, default_value = "desktop-sim")]
        profile: String,
        /// Window: full screen on this monitor (`visor outputs`).
        #[arg(long, value_name = "NAME", conflicts_with = "headless")]
        output: Option<String>,
    },
    /// List the monitors a window can go full screen on (tethered glasses show up as one).
    Outputs,
    /// List the glasses (model, serial, display mode, IMU rate) and cameras plugged in; with
    /// --record-imu, record the glasses' IMU stream instead.
    Devices(devices_cmd::DevicesArgs),
    /// Match a rectified stereo pair offline with the depth module's matcher: writes
    /// disparity.png (16-bit, 1/256 px), depth.png (16-bit mm) and confidence.png to --out.
    Depth(depth_cmd::DepthArgs),
    /// Installed modules.
    Module {
        #[command(subcommand)]
        command: ModuleCommand,
    },
    /// Signing keys and trusted publishers.
    Keys {
        #[command(subcommand)]
        command: keys_cmd::KeysCommand,
    },
    /// Logins for OCI registries that do not serve anonymous users.
    Registry {
        #[command(subcommand)]
        command: login_cmd::RegistryCommand,
    },
    /// Record a camera session (frames, timestamps, intrinsics) from a profile's camera.
    Record(record::RecordArgs),
    /// Run the whole shell under load (eight apps, two of them crashing, camera, vision,
    /// installs and removes, input) and fail if memory, files, threads or GPU memory keep
    /// growing or frames get slower; prints a table per minute.
    Soak {
        /// How long, in minutes (fractions allowed: 0.5 is thirty seconds).
        #[arg(long, default_value_t = 10.0)]
        minutes: f64,
        #[arg(long, default_value = "faces")]
        profile: String,
    },
    /// Measure and print tables: the compositor, or the module system.
    Bench {
        #[arg(value_enum, default_value = "compositor")]
        suite: Suite,
        /// Per-eye size, WIDTHxHEIGHT.
        #[arg(long, default_value = "1920x1080")]
        eye: String,
        /// Layer counts to composite.
        #[arg(long, value_delimiter = ',', default_value = "1,4,8,16")]
        layers: Vec<u32>,
        /// Runs per layer count.
        #[arg(long, default_value_t = 10)]
        iterations: u32,
        /// Frames of the end-to-end run with the sample apps (0 skips it).
        #[arg(long, default_value_t = 60)]
        frames: u64,
        #[arg(long, default_value = "desktop-sim")]
        profile: String,
        /// Module suite: bus round trips.
        #[arg(long, default_value_t = 2000)]
        rounds: u32,
        /// Module suite: starts per kind of start.
        #[arg(long, default_value_t = 20)]
        starts: u32,
        /// Vision suite: seconds of the camera → vision pipeline run.
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Print the figures as JSON (full precision, one object) instead of Markdown tables.
        #[arg(long)]
        json: bool,
        /// Pose suite: a recorded IMU stream (.imu.jsonl) instead of the shipped one.
        #[arg(long, value_name = "FILE")]
        imu_stream: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum Suite {
    Compositor,
    Modules,
    /// The face detector against onnxruntime, and the camera → vision pipeline.
    Vision,
    /// Installing from an OCI registry on loopback: first install and cached reinstall.
    Install,
    /// Motion-to-photon inside the pipeline, headless and windowed, along a recorded head track.
    Motion,
    /// The glasses' head pose on a recorded IMU stream: sample-to-pose latency, prediction error.
    Pose,
    /// `visor dev`: save-to-new-pixels per language (--iterations saves each), build and upgrade.
    Dev,
    /// Stereo matching per frame at the session's size, and the composite with the real world
    /// (the camera placed per eye, depth hiding layers) against without (--eye, --iterations).
    Depth,
    /// The bus across a Zenoh link on loopback against the local bus and raw Zenoh
    /// (--iterations round trips each).
    Remote,
}

#[derive(Subcommand)]
enum ModuleCommand {
    /// Install a module folder (visor.toml and its component), or oci://HOST[:PORT]/REPO:TAG.
    Install(module_cmd::InstallArgs),
    /// Sign a module folder and push it to an OCI registry.
    Publish(module_cmd::PublishArgs),
    /// List installed modules.
    List,
    /// Remove NAME (every version) or NAME@VERSION.
    Remove { target: String },
    /// Show a module: versions, hashes, dependencies, what is granted and denied.
    Info { target: String },
    /// Grant a module what its manifest asks for (written to the store's policy.toml).
    Grant { name: String },
    /// Upgrade NAME, running in a shell on this machine, to NAME@VERSION or the newest
    /// installed version, in place (same bus identity, subscriptions kept; a version that fails
    /// to start leaves the old one running). Asks the shell through its admin panel.
    Upgrade {
        target: String,
        /// The shell's admin panel, when more than one runs here.
        #[arg(long, value_name = "ADDR")]
        admin: Option<std::net::SocketAddr>,
    },
}

fn parse_size(text: &str) -> anyhow::Result<(u32, u32)> {
    let Some((w, h)) = text.split_once('x') else { bail!("size '{text}' should look like 1920x1080") };
    Ok((w.trim().parse()?, h.trim().parse()?))
}

fn main() -> anyhow::Result<()> {
    // The admin panel's log view sees what the terminal sees: the same filter, one more layer.
    let shell_log = visor::admin_backend::ShellLog::new();
    tracing_subscriber::registry()
        .with(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,wgpu_core=warn,wgpu_hal=warn,naga=warn")),
        )
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr).with_ansi(std::io::stderr().is_terminal()))
        .with(shell_log.layer())
        .init();
    let cli = Cli::parse();
    let store = cli.store.clone();
    let data = || DataDir::resolve(cli.data_dir.as_deref());
    match cli.command {
        Command::Run {
            headless,
            frames,
            out,
            profile,
            unpaced,
            admin,
            apps,
            exit_after_frames,
            screenshot_at,
            screenshot_dir,
            pose_track,
            motion_log,
            output,
            launcher,
            net,
        } => {
            let admin = admin.map(|addr| visor::admin_backend::AdminOptions { addr, shell_log: Some(shell_log) });
            let display = if !headless {
                Display::Window(window::WindowOptions { exit_after_frames, screenshot_at, screenshot_dir, motion_log, output })
            } else if frames == 0 {
                Display::None(headless::NoDisplayOptions { out, frames: None, paced: !unpaced })
            } else {
                Display::Png(headless::PngOptions { out, frames, paced: !unpaced })
            };
            visor::run::run(RunOptions {
                data: data()?,
                profile,
                apps,
                store,
                startup_timeout: Duration::from_secs(60),
                admin,
                stop: visor::run::stop_on_signals()?,
                pose_track,
                launcher,
                dev: None,
                display,
                network: net,
            })
        }
        Command::Serve(args) => visor::net_cmd::serve(&data()?, store.as_deref(), &args, visor::run::stop_on_signals()?),
        Command::Peers(args) => print_output(&visor::net_cmd::peers(&args)?),
        Command::New { name, lang } => print_output(&visor::project::new::new_cmd(&name, lang)?),
        Command::Build { dir } => print_output(&visor::project::build_cmd(&dir)?),
        Command::Toolchain { action: ToolchainCommand::Install { langs } } => {
            print_output(&visor::project::new::install_toolchains(&langs)?)
        }
        Command::Dev { dir, headless, frames, out, profile, output } => {
            let out = out.unwrap_or_else(|| dir.join("target/visor-dev/out"));
            let display = if !headless {
                // Not into the sources, where a new file would count as a save.
                let screenshot_dir = out.clone();
                Display::Window(window::WindowOptions {
                    exit_after_frames: None,
                    screenshot_at: None,
                    screenshot_dir,
                    motion_log: None,
                    output,
                })
            } else if frames == 0 {
                Display::None(headless::NoDisplayOptions { out, frames: None, paced: true })
            } else {
                Display::Png(headless::PngOptions { out, frames, paced: true })
            };
            visor::run::run(RunOptions {
                data: data()?,
                profile,
                apps: Vec::new(),
                store,
                startup_timeout: Duration::from_secs(60),
                admin: None,
                stop: visor::run::stop_on_signals()?,
                pose_track: None,
                launcher: false,
                dev: Some(dir),
                network: Default::default(),
                display,
            })
        }
        Command::Outputs => {
            let outputs = window::list_outputs()?;
            let text: String = outputs.iter().map(|o| format!("{o}\n")).collect();
            print_output(if text.is_empty() { "no monitors\n" } else { &text })
        }
        Command::Module { command } => {
            // Every command but `upgrade` (which asks a running shell) works on the store.
            let registry = || module_cmd::open_store(store.as_deref());
            let out = match command {
                ModuleCommand::Install(args) => module_cmd::install_cmd(&registry()?, &args)?,
                ModuleCommand::Publish(args) => module_cmd::publish(&registry()?, &args)?,
                ModuleCommand::List => module_cmd::list(&registry()?)?,
                ModuleCommand::Remove { target } => module_cmd::remove(&registry()?, &target)?,
                ModuleCommand::Info { target } => module_cmd::info(&registry()?, &target)?,
                ModuleCommand::Grant { name } => module_cmd::grant(&registry()?, &name)?,
                ModuleCommand::Upgrade { target, admin } => module_cmd::upgrade_cmd(&target, admin)?,
            };
            print_output(&out)
        }
        Command::Registry { command } => print_output(&login_cmd::run(&module_cmd::open_store(store.as_deref())?, &command)?),
        Command::Keys { command } => print_output(&keys_cmd::run(&module_cmd::open_store(store.as_deref())?, &command)?),
        Command::Record(args) => record::run(&data()?, &args),
        Command::Devices(args) => print_output(&devices_cmd::run(&args)?),
        Command::Depth(args) => print_output(&depth_cmd::run(&args)?),
        Command::Soak { minutes, profile } => {
            let stop = visor::run::stop_on_signals()?;
            visor::soak::command(&visor::soak::SoakOptions { data: data()?, minutes, profile, stop }, print_output)
        }
        Command::Bench { suite, eye, layers, iterations, frames, profile, rounds, starts, seconds, json, imu_stream } => {
            let data = data()?;
            let name = suite.to_possible_value().map(|v| v.get_name().to_owned()).unwrap_or_default();
            let step = visor::progress::step(format!("running the {name} bench"));
            let report = match suite {
                Suite::Compositor => {
                    let (eye_width, eye_height) = parse_size(&eye)?;
                    let options = bench::compositor::BenchOptions { eye_width, eye_height, layers, iterations, frames, profile };
                    bench::compositor::run(&data, &options)?
                }
                Suite::Modules => {
                    let profile = visor_types::DeviceProfile::find(&profile, &data.profiles())?;
                    bench::modules::run(&data, &profile, rounds, starts)?
                }
                Suite::Vision => bench::vision::run(&data, iterations.max(500), seconds)?,
                Suite::Install => bench::install::run(&data, iterations)?,
                Suite::Motion => bench::motion::run(&data, &profile, frames)?,
                Suite::Pose => bench::pose::run(&data, imu_stream.as_deref(), seconds)?,
                Suite::Dev => bench::dev::run(&data, &profile, iterations)?,
                Suite::Depth => bench::depth::run(&data, iterations, parse_size(&eye)?)?,
                Suite::Remote => bench::remote::run(&data, iterations)?,
            };
            let table = if json { report.json(&name) } else { report.markdown() };
            step.done();
            #[allow(clippy::print_stdout, reason = "the table is the command's output")]
            {
                println!("{table}");
            }
            Ok(())
        }
    }
}

#[derive(Subcommand)]
enum ToolchainCommand {
    /// Install the tools for LANGS (python, js; both when none is named); installed ones are
    /// left as they are.
    Install {
        #[arg(value_enum)]
        langs: Vec<visor::project::new::Lang>,
    },
}

/// A command's text output, on stdout (logs go to stderr).
fn print_output(out: &str) -> anyhow::Result<()> {
    #[allow(clippy::print_stdout, reason = "the listing is the command's output")]
    {
        print!("{out}");
    }
    Ok(())
}
