#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for Visor, then builds it and runs the main job.
#
#   scripts/setup.sh              install what is missing, build visor (the guest apps are
#                                 built into it), install it onto PATH (~/.cargo/bin), and run
#                                 `visor run --headless --frames 120 --out out/`
#   scripts/setup.sh --deps-only  only install what is missing
#   scripts/setup.sh --build-only install what is missing and build, without installing visor
#                                 or running the main job
#
# Idempotent: each step checks first, so a second run installs nothing and takes seconds.
# Runs as root, or through sudo when not root. Why each package is needed: see
# ../shared/TOOLCHAIN.md beside the checkout (guests build with Debian's rustc-web because rustup
# cannot download the wasm32-wasip2 target on the project's machines; tests render on lavapipe).
set -euo pipefail

deps_only=0
build_only=0
for arg in "$@"; do
    case "$arg" in
        --deps-only) deps_only=1 ;;
        --build-only) build_only=1 ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "setup: unknown argument '$arg' (expected --deps-only or --build-only)" >&2; exit 2 ;;
    esac
done

cd "$(dirname "${BASH_SOURCE[0]}")/.."
say() { echo "==> setup: $*"; }

# rustup installs into ~/.cargo/bin, which a non-login shell may not have on PATH.
if [ -d "${CARGO_HOME:-$HOME/.cargo}/bin" ]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

if [ "$(id -u)" -eq 0 ]; then
    as_root=()
elif command -v sudo >/dev/null 2>&1; then
    as_root=(sudo)
else
    as_root=()
fi

# --- Debian packages --------------------------------------------------------------------------
# rustc-web cargo-web rust-web-src lld-22 wasi-libc: the guest (wasm32-wasip2) toolchain.
# mesa-vulkan-drivers libvulkan1 vulkan-tools: lavapipe, the CPU Vulkan adapter tests render on.
# xvfb xdotool: a virtual X display for the simulator window, and key presses for its tests.
# libx11-6 libx11-xcb1 libxcb1 libxcursor1 libxrandr2 libxi6 libxkbcommon-x11-0: the X11
#   libraries winit loads at run time (dlopen) to open the simulator window.
# docker-registry: a real OCI registry the module publish/install tests start on loopback.
# libclang1-14 linux-libc-dev nasm: the nokhwa camera driver (bindgen over the V4L2 header needs
#   libclang; nasm gives its MJPEG decoder SIMD).
# chromium chromium-driver: tests/admin.rs drives the admin panel's page in headless Chromium.
# python3: bcrypt-hashes the password of the test registry that wants a login (its crypt module).
# openssl iproute2: the network tests make a certificate authority for TLS links, and (as
#   root) network namespaces joined by a veth pair.
# libudev-dev libusb-1.0-0-dev pkgconf: the glasses driver (feature `glasses`: ar-drivers over
#   hidapi's hidraw backend and serialport, which link libudev, and rusb, which links libusb;
#   all three find them through pkg-config).
packages=(rustc-web cargo-web rust-web-src lld-22 wasi-libc
          mesa-vulkan-drivers libvulkan1 vulkan-tools xvfb xdotool
          libx11-6 libx11-xcb1 libxcb1 libxcursor1 libxrandr2 libxi6 libxkbcommon-x11-0
          libclang1-14 linux-libc-dev nasm
          libudev-dev libusb-1.0-0-dev pkgconf
          docker-registry chromium chromium-driver python3
          openssl iproute2)
missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed'; then
        missing+=("$pkg")
    fi
done
if [ "${#missing[@]}" -eq 0 ]; then
    say "Debian packages already installed (${packages[*]})"
else
    if [ "$(id -u)" -ne 0 ] && [ "${#as_root[@]}" -eq 0 ]; then
        echo "setup: need root to install ${missing[*]}: run as root or install sudo" >&2
        exit 1
    fi
    say "installing ${missing[*]}"
    "${as_root[@]}" apt-get update
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

# --- Host Rust toolchain ------------------------------------------------------------------------
# The host workspace builds with rustup's stable toolchain (rust-version in Cargo.toml).
if ! command -v rustup >/dev/null 2>&1 || ! rustup which cargo >/dev/null 2>&1; then
    cat >&2 <<'EOF'
setup: no rustup Rust toolchain found. Install one, then run this script again:
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --default-toolchain stable
    . "$HOME/.cargo/env"
EOF
    exit 1
fi
say "host toolchain: $(rustc --version) via rustup ($(rustup show active-toolchain 2>/dev/null | head -n1))"
# rustfmt and clippy: scripts/test.sh checks the tree with both.
for tool in rustfmt clippy; do
    if ! rustup component list --installed 2>/dev/null | grep -q "^$tool"; then
        say "adding rustup component $tool"
        rustup component add "$tool"
    fi
done

# --- wasm-component-ld: the linker rustc uses for wasm32-wasip2 ---------------------------------
if command -v wasm-component-ld >/dev/null 2>&1; then
    say "wasm-component-ld already installed ($(wasm-component-ld --version 2>/dev/null || echo '?'))"
else
    say "installing wasm-component-ld (cargo install --locked)"
    cargo install --locked wasm-component-ld
fi

# --- Node.js and Python's venv: the tools that build JavaScript and Python apps -----------------
# `visor toolchain install` (below, after the build) puts componentize-js (npm) and
# componentize-py (PyPI) into Visor's toolchains folder; they need npm and `python3 -m venv`.
script_pkgs=()
command -v npm >/dev/null 2>&1 || script_pkgs+=(nodejs npm)
python3 -c 'import ensurepip, venv' >/dev/null 2>&1 || script_pkgs+=(python3-venv)
if [ "${#script_pkgs[@]}" -gt 0 ]; then
    say "installing ${script_pkgs[*]}"
    "${as_root[@]}" apt-get update
    "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "${script_pkgs[@]}"
fi

if [ "$deps_only" -eq 1 ]; then
    say "dependencies ready (--deps-only: not building)"
    exit 0
fi

# --- Build, install and run the main job --------------------------------------------------------
# The build compiles the guest apps too (build.rs), to carry them inside the binary.
say "building visor and the guest apps it carries (cargo build --release)"
cargo build --release

# The same command a user runs; a no-op when both are installed.
say "installing the Python and JavaScript app toolchains (visor toolchain install python js)"
target/release/visor toolchain install python js

# The network tests check that a third-party Zenoh client (the `eclipse-zenoh` package from
# PyPI, the same protocol version as the zenoh crate Visor links) talks to Visor's bus.
zenoh_py=target/zenoh-py
if ! "$zenoh_py/bin/python" -c 'import zenoh' >/dev/null 2>&1; then
    say "installing the Zenoh Python client for the network tests (eclipse-zenoh into $zenoh_py)"
    python3 -m venv "$zenoh_py"
    "$zenoh_py/bin/pip" install --quiet --disable-pip-version-check eclipse-zenoh==1.10.2
fi

if [ "$build_only" -eq 1 ]; then
    say "built (--build-only: not installing visor or running the main job)"
    exit 0
fi

# Reuses the build above (same target dir and profile): a copy into ~/.cargo/bin, on PATH.
say "installing visor onto PATH (cargo install --path . --locked)"
cargo install --path . --locked --quiet
# The build keeps line tables for the tests' backtraces; the installed copy needs none of them
# (about 340 MB with them, under 80 MB without).
installed="${CARGO_HOME:-$HOME/.cargo}/bin/visor"
if command -v strip >/dev/null 2>&1 && [ -f "$installed" ]; then
    strip --strip-debug "$installed"
fi
if ! command -v visor >/dev/null 2>&1; then
    say "note: ${CARGO_HOME:-$HOME/.cargo}/bin is not on your PATH; add it: . \"\$HOME/.cargo/env\""
fi

# Mesa's Vulkan loader wants a private runtime dir; without one it prints a harmless error.
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
    XDG_RUNTIME_DIR="$(mktemp -d)"
    export XDG_RUNTIME_DIR
fi

say "running the main job (visor run --headless --frames 120 --out out/)"
visor run --headless --frames 120 --out out/
say "done: results in out/"
