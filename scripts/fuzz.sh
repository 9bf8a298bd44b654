#!/usr/bin/env bash
# Fuzzes Visor's parsers, and the host calls a guest makes, with libFuzzer and AddressSanitizer
# (the cargo-fuzz project in fuzz/): `scripts/fuzz.sh TARGET SECONDS`, or `scripts/fuzz.sh all
# SECONDS` for every target in turn.
#
# For each target it first replays every input kept in fuzz/regressions/TARGET/ (crashes found
# before, which must pass now), then fuzzes for SECONDS from the committed seeds in
# fuzz/corpus/TARGET/ and prints the executions, crashes and corpus size. New corpus units go to
# a scratch folder that is thrown away, so the committed corpus changes only when someone
# chooses to (`RUSTC_BOOTSTRAP=1 cargo fuzz run -a TARGET` grows it in place, `cargo fuzz cmin`
# trims it). A crash leaves its input in fuzz/artifacts/TARGET/ (and the run's output in
# fuzz/artifacts/logs/TARGET.log) and fails the script; once understood, copy the input into
# fuzz/regressions/TARGET/ so that it is replayed from then on.
#
# `host_calls` runs the probe guest (target/guests/wasm32-wasip2/release/probe.wasm, or
# VISOR_PROBE_WASM): the guests are brought up to date first (fuzz/guests, the same
# visor-guest-build the tests use), and where there is still no probe `all` goes on without it.
# `all` takes host_calls only with VISOR_FUZZ_HOST_CALLS=1 (it builds wasmtime with ASan).
#
# cargo-fuzz passes nightly flags (-Zsanitizer=address); RUSTC_BOOTSTRAP=1 lets the stable
# toolchain take them, so CI needs no nightly. Builds go to fuzz/target, apart from target/.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
say() { echo "==> fuzz: $*"; }
# The part of a libFuzzer log that says what failed: the input, the panic or sanitizer report.
show_failure() {
    grep -E -A6 'Running: |panicked at|ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|SUMMARY: ' "$1" | head -n 60 >&2 || true
}
# The inputs libFuzzer kept for its findings in fuzz/artifacts/TARGET/.
findings() { find "fuzz/artifacts/$1" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) "${@:2}"; }

mapfile -t all < <(find fuzz/fuzz_targets -name '*.rs' -printf '%f\n' | sed 's/\.rs$//' | sort)
usage="usage: scripts/fuzz.sh TARGET|all SECONDS  (targets: ${all[*]})"
if [ $# -ne 2 ] || ! [[ $2 =~ ^[0-9]+$ ]]; then
    echo "$usage" >&2
    exit 2
fi
seconds=$2
if [ "$1" = all ]; then
    targets=("${all[@]}")
    # host_calls builds wasmtime under AddressSanitizer (a long cold build): in `all` only
    # when asked for, so the CI stage stays short. `scripts/fuzz.sh host_calls SECONDS` runs it.
    if [ "${VISOR_FUZZ_HOST_CALLS:-0}" != 1 ]; then
        mapfile -t targets < <(printf '%s\n' "${targets[@]}" | grep -vx host_calls)
    fi
elif [ -f "fuzz/fuzz_targets/$1.rs" ]; then
    targets=("$1")
else
    echo "no fuzz target '$1'; $usage" >&2
    exit 2
fi

# rustup installs into ~/.cargo/bin, which a non-login shell may not have on PATH.
if [ -d "${CARGO_HOME:-$HOME/.cargo}/bin" ]; then
    export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    say "installing cargo-fuzz (cargo install cargo-fuzz --locked)"
    cargo install cargo-fuzz --locked
fi
export RUSTC_BOOTSTRAP=1

# The guest host_calls runs, brought up to date (a no-op guest build takes about a second);
# without it, host_calls is left out of `all` (and fails alone).
if [[ " ${targets[*]} " == *" host_calls "* ]]; then
    probe="${VISOR_PROBE_WASM:-target/guests/wasm32-wasip2/release/probe.wasm}"
    if [ -z "${VISOR_PROBE_WASM:-}" ]; then
        say "host_calls: building the guests (cargo run -p visor-fuzz-guests)"
        if ! cargo run --release --quiet --manifest-path fuzz/Cargo.toml -p visor-fuzz-guests >/dev/null && [ -f "$probe" ]; then
            say "host_calls: the guest build failed (above); fuzzing the probe component built before"
        fi
    fi
    if [ -f "$probe" ]; then
        VISOR_PROBE_WASM="$(realpath "$probe")"
        export VISOR_PROBE_WASM
    else
        fix="build the guests with \`cargo test --release --test hostile host_calls\` or set VISOR_PROBE_WASM"
        if [ "$1" != all ]; then
            echo "host_calls needs the probe component $probe: $fix" >&2
            exit 1
        fi
        say "host_calls: skipped, no probe component at $probe ($fix)"
        mapfile -t targets < <(printf '%s\n' "${targets[@]}" | grep -vx host_calls)
    fi
fi

# The same flags on every call, so one build serves them all: AddressSanitizer (cargo-fuzz's
# default) on optimized code with debug assertions, so an integer overflow is a finding too.
flags=(--debug-assertions)
# A unit that runs 10 s is a finding (a hang); the final stats carry the counts printed below.
options=(-timeout=10 -print_final_stats=1)

started=$SECONDS
say "building ${targets[*]} (AddressSanitizer, fuzz/target)"
for t in "${targets[@]}"; do
    cargo fuzz build "${flags[@]}" "$t"
done
say "built in $((SECONDS - started)) s"

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
failed=()
summary=()
for t in "${targets[@]}"; do
    # Kept (ignored by git) for a look, or for CI to upload, after the run; not beside the
    # findings, where cargo-fuzz would take the log for a failing input.
    mkdir -p "fuzz/artifacts/$t" fuzz/artifacts/logs
    log="fuzz/artifacts/logs/$t.log"
    mapfile -t regressions < <(find "fuzz/regressions/$t" -type f ! -name .gitkeep 2>/dev/null | sort)
    if [ ${#regressions[@]} -gt 0 ]; then
        say "$t: replaying ${#regressions[@]} input(s) from fuzz/regressions/$t/"
        if ! cargo fuzz run "${flags[@]}" "$t" "${regressions[@]}" -- "${options[@]}" >"$log" 2>&1; then
            show_failure "$log"
            say "$t: a regression input fails again (above; the whole log is $log); not fuzzing $t"
            failed+=("$t")
            summary+=("$(printf '%-15s regression input fails' "$t")")
            continue
        fi
    fi

    mkdir -p "$scratch/$t"
    # Tokens for the mutator (fuzz/dict/): escapes, extreme numbers, WGSL keywords.
    case "$t" in
        wgsl) dict=(-dict=fuzz/dict/wgsl.dict) ;;
        topic | host_calls) dict=() ;;
        *) dict=(-dict=fuzz/dict/toml.dict) ;;
    esac
    seeds=()
    if [ -d "fuzz/corpus/$t" ]; then
        seeds=("fuzz/corpus/$t")
    fi
    before=$(findings "$t" | wc -l)
    touch "$scratch/$t.start"
    say "$t: fuzzing for $seconds s"
    status=0
    # The scratch folder first: libFuzzer writes new units into the first corpus folder.
    cargo fuzz run "${flags[@]}" "$t" "$scratch/$t" "${seeds[@]}" -- \
        -max_total_time="$seconds" "${dict[@]}" "${options[@]}" >"$log" 2>&1 || status=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    units=$(grep -o 'corp: [0-9]*' "$log" | tail -n 1 | grep -o '[0-9]*$' || true)
    crashes=$(($(findings "$t" | wc -l) - before))
    line="$(printf '%-15s %10s runs %7s/s %3s crash(es)  corpus %s units' "$t" "${runs:-?}" "${rate:-?}" "$crashes" "${units:-?}")"
    say "$line"
    summary+=("$line")
    if [ "$status" -ne 0 ] || [ "$crashes" -gt 0 ]; then
        show_failure "$log"
        say "$t: failed (exit $status; the whole log is $log); inputs kept:"
        findings "$t" -newer "$scratch/$t.start" | sed 's/^/    /' >&2
        failed+=("$t")
    fi
done

say "done in $((SECONDS - started)) s:"
printf '    %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
    say "crashes in: ${failed[*]}"
    exit 1
fi
