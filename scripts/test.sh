#!/usr/bin/env bash
# Installs what is missing, builds visor and the guest apps, and runs the whole test suite.
# Extra arguments go to `cargo test`, e.g. `scripts/test.sh -- --nocapture` or
# `scripts/test.sh -p visor-runtime`. Tests render on lavapipe; nothing GPU-specific is set here.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
say() { echo "==> test: $*"; }

# Installs what is missing, builds visor and the guests: a toolchain problem fails here, once,
# clearly, instead of in every test that loads an app.
bash scripts/setup.sh --build-only

# rustup installs into ~/.cargo/bin, which a non-login shell may not have on PATH.
if [ -d "${CARGO_HOME:-$HOME/.cargo}/bin" ]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi

# Mesa's Vulkan loader wants a private runtime dir; without one it prints a harmless error.
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
    XDG_RUNTIME_DIR="$(mktemp -d)"
    export XDG_RUNTIME_DIR
fi

say "running the test suite (cargo test --release --workspace $*)"
cargo test --release --workspace "$@"
say "all tests passed"
