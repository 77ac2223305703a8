#!/usr/bin/env bash
# Benchmarks for docs/BENCHMARKS.md: prints Markdown figures, not a test. Runs unattended.
#
#   bench/run.sh                 # build airlock, set up the anchors, run parts a, b, c, d and e
#   bench/run.sh --parts bc      # only some parts
#   bench/run.sh --no-build      # use the existing target/release/airlock (or none)
#   AIRLOCK_BIN=/path/to/airlock bench/run.sh --no-build   # any other binary
#   BENCH_SIGN_GB=0.2 bench/run.sh --parts e   # part (e) on a 0.2 GB folder instead of ~4 GB
#
# (a) ~1 GiB PyTorch zip checkpoint: airlock vs `openssl dgst -sha256` (+ the anchors)
# (b) 30 MB / ~6M-opcode benign pickle: airlock vs picklescan, modelscan, ModelAudit
# (c) every fixture of fixtures/manifest.toml through each tool: verdicts vs expectations
# (d) 5 GiB safetensors and 4 GiB GGUF: airlock vs `openssl dgst -sha256` and ModelAudit
# (e) ~4 GB model folder (3 large + 200 small files): `openssl dgst -sha256` (sequential and one
#     process per core) vs `airlock lock`, `airlock sign --key` and `model_signing sign key`
#     (OMS 1.1.1), then each tool verifies the other's signature and the digests are compared
#
# Installs the anchors and model-signing (bench/requirements.txt, exact pins, PyPI) into
# bench/.venv and, for (a), torch into fixtures/generate/.venv (fixtures/generate/requirements.txt;
# ~3 GB of CUDA wheels from PyPI, only the CPU is used). Inputs go to bench/work/ (gitignored,
# ~10 GB with part d, ~4 GB more with part e). The report is printed and also saved as
# bench/work/results-<UTC time>.md.
# Takes roughly 15-25 minutes on 2 cores, most of it ModelAudit on the (b) pickle.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
WORK="$BENCH/work"
VENV="$BENCH/.venv"
TORCH_VENV="$ROOT/fixtures/generate/.venv"
AIRLOCK=${AIRLOCK_BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/airlock}
PY=${PYTHON:-python3.11}
PARTS=abcde
SIGN_GB=${BENCH_SIGN_GB:-4}
BUILD=1

while [ $# -gt 0 ]; do
  case "$1" in
    --parts) PARTS=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,23p' "$0"; exit 0 ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done

log() { echo "[bench] $*" >&2; }
command -v "$PY" >/dev/null || PY=python3
[ -x /usr/bin/time ] || { log "installing GNU time"; apt-get install -y time >/dev/null; }
command -v openssl >/dev/null || { log "installing openssl"; apt-get install -y openssl >/dev/null; }
mkdir -p "$WORK"

# 1. airlock release build (a failed build leaves airlock out of the figures, not the run)
if [ "$BUILD" = 1 ]; then
  log "cargo build --release -p airlock-cli"
  if ! (cd "$ROOT" && cargo build --release -p airlock-cli >&2); then
    log "airlock build failed: airlock rows will read n/a"
  fi
fi
AIRLOCK_ARGS=()
if [ -x "$AIRLOCK" ]; then AIRLOCK_ARGS=(--airlock "$AIRLOCK"); else log "no $AIRLOCK: airlock rows will read n/a"; fi

# 2. anchors
stamp_ok() { [ -f "$1/.requirements.sha256" ] && [ "$(cat "$1/.requirements.sha256")" = "$(sha256sum "$2" | cut -d' ' -f1)" ]; }
if ! stamp_ok "$VENV" "$BENCH/requirements.txt"; then
  log "installing anchors into bench/.venv"
  [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check -r "$BENCH/requirements.txt" >&2
  sha256sum "$BENCH/requirements.txt" | cut -d' ' -f1 > "$VENV/.requirements.sha256"
fi

# 3. torch for the (a) checkpoint (same venv and pins as the fixture generator)
TORCH_ARGS=()
if [[ "$PARTS" == *a* ]] && [ ! -f "$WORK/ckpt-1g.torch-version" ]; then
  if ! stamp_ok "$TORCH_VENV" "$ROOT/fixtures/generate/requirements.txt"; then
    log "installing torch into fixtures/generate/.venv (~3 GB from PyPI)"
    [ -x "$TORCH_VENV/bin/python" ] || "$PY" -m venv "$TORCH_VENV"
    if "$TORCH_VENV/bin/pip" install -q --disable-pip-version-check -r "$ROOT/fixtures/generate/requirements.txt" >&2; then
      sha256sum "$ROOT/fixtures/generate/requirements.txt" | cut -d' ' -f1 > "$TORCH_VENV/.requirements.sha256"
    else
      log "torch install failed: part (a) will be skipped"
    fi
  fi
  log "writing bench/work/ckpt-1g.pt with torch.save"
fi
[ -x "$TORCH_VENV/bin/python" ] && TORCH_ARGS=(--torch-python "$TORCH_VENV/bin/python")

# 4. measure
OUT="$WORK/results-$(date -u +%Y%m%dT%H%M%SZ).md"
log "measuring (parts: $PARTS); report: $OUT"
"$VENV/bin/python" "$BENCH/bench.py" "${AIRLOCK_ARGS[@]}" --anchors "$VENV/bin" --work "$WORK" \
  --fixtures "$ROOT/fixtures" --parts "$PARTS" --sign-gb "$SIGN_GB" "${TORCH_ARGS[@]}" | tee "$OUT"
