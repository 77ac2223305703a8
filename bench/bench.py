#!/usr/bin/env python3
"""Measurements behind docs/BENCHMARKS.md. Prints Markdown; not a test. Driven by bench/run.sh.

    python bench.py --airlock target/release/airlock --anchors bench/.venv/bin \\
        --work bench/work --fixtures fixtures --parts abc [--torch-python PY]

Every tool run goes through `/usr/bin/time -f '%e %U %S %M'` (wall s, user s, sys s, max RSS KB).
The input file is read once beforehand so the page cache is warm. A run that takes under
FAST_S seconds counts as a warm-up: three more runs follow and the median (by wall time) is
reported. Slower runs are reported as a single run ("n=1").

(a) ~1 GiB PyTorch zip checkpoint (torch.save): airlock vs `openssl dgst -sha256`
(b) 30 MB, ~6M-opcode benign pickle: airlock vs picklescan vs modelscan vs ModelAudit
(c) every file of fixtures/manifest.toml through each tool: verdict vs expectation, totals
(d) 5 GiB safetensors and 4 GiB GGUF: airlock vs `openssl dgst -sha256` and ModelAudit
(e) ~4 GB model folder (BENCH_SIGN_GB): `openssl dgst -sha256` vs `airlock lock`, `airlock sign`
    and `model_signing sign key`, plus each tool verifying the other's signature

Only the Python standard library is used here (tomllib needs 3.11+).
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import pickle
import random
import shlex
import pickletools
import platform
import re
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

FAST_S = 20.0
ROOT = Path(__file__).resolve().parents[1]
RULES_DIR = ROOT / "crates" / "airlock-core" / "src" / "rules"
ENV = dict(os.environ, PROMPTFOO_DISABLE_TELEMETRY="1", NO_ANALYTICS="1")
SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


@dataclass
class Run:
    rc: int
    wall: float
    user: float
    sys: float
    rss_kb: int
    n: int = 1
    stdout: bytes = b""
    wall_p: float = 0.0  # perf_counter wall around the run (sub-10 ms resolution)
    cpu_p: float = 0.0  # RUSAGE_CHILDREN user+sys delta (sub-10 ms resolution)

    @property
    def cpu(self) -> float:
        return self.user + self.sys


def _children_cpu() -> float:
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_timed(cmd: list[str], keep_stdout: bool = False, timeout: float | None = None) -> Run:
    with tempfile.NamedTemporaryFile(mode="r", suffix=".time") as tf:
        t0, c0 = time.perf_counter(), _children_cpu()
        try:
            p = subprocess.run(
                ["/usr/bin/time", "-f", "%e %U %S %M", "-o", tf.name, *cmd],
                stdout=subprocess.PIPE if keep_stdout else subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                env=ENV,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            return Run(rc=-9, wall=float(timeout or 0), user=0.0, sys=0.0, rss_kb=0)
        lines = [ln for ln in tf.read().splitlines() if ln.strip()]
    wall_p, cpu_p = time.perf_counter() - t0, _children_cpu() - c0
    wall, user, sys_, rss = lines[-1].split()
    return Run(p.returncode, float(wall), float(user), float(sys_), int(rss), 1, p.stdout or b"", wall_p, cpu_p)


def warm(path: Path) -> None:
    with open(path, "rb") as fh:
        while fh.read(1 << 24):
            pass


def measure(cmd: list[str], path: Path | None = None, timeout: float | None = None) -> Run:
    if path is not None:
        warm(path)
    first = run_timed(cmd, timeout=timeout)
    if first.wall >= FAST_S or first.rc < 0:
        return first
    runs = sorted((run_timed(cmd) for _ in range(3)), key=lambda r: r.wall)
    med = runs[1]
    med.n = 3
    return med


# -- tools -----------------------------------------------------------------------------------


class Tools:
    def __init__(self, airlock: Path | None, anchors: Path):
        self.airlock = airlock if airlock and airlock.exists() else None
        self.anchors = anchors

    def cmd(self, tool: str, path: Path) -> list[str] | None:
        a = self.anchors
        if tool == "airlock":
            return [str(self.airlock), "scan", str(path), "--format", "json"] if self.airlock else None
        if tool == "picklescan":
            return [str(a / "picklescan"), "-p", str(path)]
        if tool == "modelscan":
            return [str(a / "modelscan"), "-p", str(path)]
        if tool == "modelaudit":
            return [str(a / "modelaudit"), "scan", "--no-cache", "--format", "json", str(path)]
        if tool == "sha256":
            return ["openssl", "dgst", "-sha256", str(path)]
        raise KeyError(tool)


ANCHORS = ["picklescan", "modelscan", "modelaudit"]


def versions(tools: Tools) -> dict[str, str]:
    out = {}
    if tools.airlock:
        p = subprocess.run([str(tools.airlock), "--version"], capture_output=True, text=True)
        out["airlock"] = (p.stdout.strip() or p.stderr.strip() or "?") + f" ({tools.airlock})"
    else:
        out["airlock"] = "not available (no release binary)"
    pip = tools.anchors / "pip"
    frz = subprocess.run([str(pip), "freeze"], capture_output=True, text=True).stdout.splitlines()
    for pkg in ["picklescan", "modelscan", "modelaudit", "modelaudit-picklescan", "numpy", "model-signing"]:
        hit = [ln for ln in frz if ln.lower().startswith(pkg + "==")]
        out[pkg] = hit[0].split("==", 1)[1] if hit else "?"
    out["openssl"] = subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip()
    out["python (anchors)"] = subprocess.run(
        [str(tools.anchors / "python"), "-c", "import platform; print(platform.python_version())"],
        capture_output=True, text=True,
    ).stdout.strip()
    return out


def machine() -> dict[str, str]:
    model = "?"
    try:
        for ln in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
            if ln.startswith("Model name:"):
                model = ln.split(":", 1)[1].strip()
    except FileNotFoundError:
        pass
    mem = "?"
    try:
        for ln in Path("/proc/meminfo").read_text().splitlines():
            if ln.startswith("MemTotal:"):
                mem = f"{int(ln.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {
        "nproc": str(os.cpu_count()),
        "cpu": model,
        "memory": mem,
        "kernel": platform.release(),
        "load average at start": " ".join(f"{x:.2f}" for x in os.getloadavg()),
    }


# -- inputs ----------------------------------------------------------------------------------


def make_dict_pickle(work: Path) -> tuple[Path, int]:
    path = work / "dict2m-p4.pkl"
    meta = work / "dict2m-p4.opcodes"
    if not path.exists():
        data = pickle.dumps({f"k{i}": i for i in range(2_000_000)}, protocol=4)
        path.write_bytes(data)
        meta.unlink(missing_ok=True)
    if not meta.exists():
        with open(path, "rb") as fh:
            n = sum(1 for _ in pickletools.genops(fh))
        meta.write_text(f"{n}\n")
    return path, int(meta.read_text())


TORCH_SCRIPT = r"""
import sys, torch
torch.manual_seed(0)
n = int(sys.argv[2])
sd = {f"layers.{i}.weight": torch.randn(4096, 4096) for i in range(n)}   # 64 MiB each
sd["head.bias"] = torch.zeros(4096)
torch.save(sd, sys.argv[1])
print(torch.__version__)
"""


def make_torch_ckpt(work: Path, torch_python: str | None) -> tuple[Path | None, str]:
    path = work / "ckpt-1g.pt"
    stamp = work / "ckpt-1g.torch-version"
    if path.exists() and stamp.exists():
        return path, stamp.read_text().strip()
    if not torch_python:
        return None, "no Python with torch given (--torch-python)"
    p = subprocess.run([torch_python, "-c", TORCH_SCRIPT, str(path), "16"], capture_output=True, text=True)
    if p.returncode != 0:
        return None, "torch.save failed: " + p.stderr.strip().splitlines()[-1]
    stamp.write_text(p.stdout.strip() + "\n")
    return path, p.stdout.strip()


# -- markdown helpers ------------------------------------------------------------------------


def fmt_run(r: Run | None) -> list[str]:
    if r is None:
        return ["n/a"] * 6
    if r.rc == -9:
        return ["timeout", f"{r.wall:.0f}", "-", "-", "-", "-"]
    return [str(r.rc), f"{r.wall:.2f}", f"{r.cpu:.2f}", f"{r.rss_kb / 1024:.0f}", str(r.n), ""]


def table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(out)


def ratio(num: float, den: float) -> str:
    return f"{num / den:.1f}x" if den > 0 else "n/a"


# -- parts -----------------------------------------------------------------------------------


def throughput(tools: Tools, path: Path, names: list[str], timeout: float, out: list[str]) -> dict[str, Run | None]:
    """Runs each tool on one large file and appends a table with MiB/s (wall) to `out`."""
    size = path.stat().st_size
    runs = {}
    for tool in names:
        cmd = tools.cmd(tool, path)
        runs[tool] = measure(cmd, path, timeout=timeout) if cmd else None
    rows = []
    for tool, r in runs.items():
        name = "openssl dgst -sha256" if tool == "sha256" else tool
        cells = fmt_run(r)
        mbps = f"{size / 2**20 / r.wall:.0f}" if r and r.wall > 0 and r.rc >= 0 else "n/a"
        rows.append([name] + cells[:5] + [mbps])
    out.append(table(["tool", "rc", "wall s", "CPU s", "max RSS MB", "runs", "MiB/s (wall)"], rows))
    return runs


def part_a(tools: Tools, work: Path, torch_python: str | None) -> str:
    path, info = make_torch_ckpt(work, torch_python)
    out = ["## (a) 1 GiB PyTorch zip checkpoint", ""]
    if path is None:
        return "\n".join(out + [f"skipped: {info}", ""])
    size = path.stat().st_size
    out.append(f"`{path.name}`: {size / 2**20:.0f} MiB, written by torch {info} `torch.save` "
               f"(16 float32 tensors of 4096x4096 + one bias; stored zip members).")
    out.append("")
    runs = throughput(tools, path, ["sha256", "airlock", *ANCHORS], timeout=1800, out=out)
    s, a = runs["sha256"], runs["airlock"]
    out.append("")
    if a and a.rc in (0, 1) and s:
        out.append(f"airlock throughput / sha256 throughput = **{s.wall / a.wall:.2f}x** (wall; goal >= 0.8x); "
                   f"CPU-time ratio {s.cpu / max(a.cpu, 1e-9):.2f}x.")
    else:
        out.append("airlock: no result (binary missing or it exited with an error).")
    out.append("")
    return "\n".join(out)


def part_b(tools: Tools, work: Path) -> str:
    path, nops = make_dict_pickle(work)
    size = path.stat().st_size
    out = ["## (b) 30 MB benign pickle, ~6M opcodes", ""]
    out.append(f"`pickle.dumps({{f\"k{{i}}\": i for i in range(2_000_000)}}, protocol=4)`: "
               f"{size / 1e6:.1f} MB, {nops:,} opcodes (pickletools.genops).")
    out.append("")
    runs = {}
    for tool in ["airlock", *ANCHORS]:
        cmd = tools.cmd(tool, path)
        runs[tool] = measure(cmd, path, timeout=3600) if cmd else None
    a = runs["airlock"]
    rows = []
    for tool, r in runs.items():
        cells = fmt_run(r)
        if tool != "airlock" and a and r and a.rc in (0, 1) and r.rc >= 0:
            cells[5] = f"{ratio(r.wall, a.wall)} wall, {ratio(r.cpu, a.cpu)} CPU"
        rows.append([tool] + cells)
    out.append(table(["tool", "rc", "wall s", "CPU s", "max RSS MB", "runs", "airlock faster by"], rows))
    out.append("")
    if a and a.rc in (0, 1):
        out.append(f"airlock: {nops / a.wall / 1e6:.1f}M opcodes/s wall, max RSS {a.rss_kb / 1024:.0f} MB "
                   f"(goals: >= 20x faster than picklescan and ModelAudit, RSS < 100 MB); rc {a.rc} "
                   f"(0 expected: the file is benign).")
    else:
        out.append("airlock: no result (binary missing or it exited with an error).")
    out.append("")
    return "\n".join(out)


def rule_severities() -> dict[str, str]:
    sev = {}
    for f in RULES_DIR.glob("*.rs"):
        text = f.read_text()
        for m in re.finditer(r'code:\s*"([A-Z]{3}\d{3})".*?severity:\s*Severity::(\w+)', text, re.S):
            sev[m.group(1)] = m.group(2).lower()
    return sev


def expected_class(expect: list[str], sev: dict[str, str]) -> str:
    high = [c for c in expect if SEVERITY_RANK.get(sev.get(c, "high"), 3) >= 3]
    if not high:
        return "benign"
    if all(c[3] in "59" for c in high):  # malformed input, or a limit it hits
        return "malformed"
    return "malicious"


def codes_in_json(data: bytes) -> set[str] | None:
    """Best effort: every string value matching a rule code anywhere in airlock's JSON."""
    try:
        doc = json.loads(data)
    except ValueError:
        return None
    found: set[str] = set()

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                if k in ("code", "rule", "rule_id", "ruleId", "id") and isinstance(x, str) and re.fullmatch(
                    r"[A-Z]{3}\d{3}", x
                ):
                    found.add(x)
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(doc)
    return found


def part_c(tools: Tools, fixtures: Path) -> str:
    manifest = tomllib.loads((fixtures / "manifest.toml").read_text())["fixture"]
    sev = rule_severities()
    names = ["airlock", *ANCHORS]
    results: dict[str, dict[str, Run | None]] = {n: {} for n in names}
    exact = {"match": 0, "total": 0}
    for fx in manifest:
        path = fixtures / fx["path"]
        for tool in names:
            cmd = tools.cmd(tool, path)
            if cmd is None:
                results[tool][fx["path"]] = None
                continue
            r = run_timed(cmd, keep_stdout=(tool == "airlock"), timeout=600)
            results[tool][fx["path"]] = r
            if tool == "airlock":
                got = codes_in_json(r.stdout)
                exact["total"] += 1
                if got is not None and got == set(fx["expect"]):
                    exact["match"] += 1
                r.stdout = b""

    def verdict(r: Run | None, cls: str) -> str:
        if r is None:
            return "n/a"
        if r.rc == -9:
            return "timeout"
        if cls == "benign":
            return {0: "0 ok", 1: "1 FP"}.get(r.rc, f"{r.rc} err")
        return f"{r.rc} ok" if r.rc == 1 else (f"{r.rc} MISS" if r.rc == 0 else f"{r.rc} err")

    out = ["## (c) Fixture set", ""]
    out.append(f"{len(manifest)} files from `fixtures/manifest.toml`, each scanned alone by each tool (one run). "
               "Expected verdict from the manifest: **malicious** = expect holds a code of severity >= high other "
               "than 5xx, **malformed** = only 5xx codes >= high, **benign** = nothing >= high (e.g. `[]`, "
               "`NPY201`, `PKL201`). Detection = exit code 1 (2+ = tool error; modelscan 3 = nothing scanned). Totals add up "
               "each run's wall time (perf_counter) and CPU time (getrusage of the child), so they resolve "
               "below `/usr/bin/time`'s 10 ms.")
    out.append("")
    summ = []
    for tool in names:
        rs = results[tool]
        if all(v is None for v in rs.values()):
            summ.append([tool] + ["n/a"] * 8)
            continue
        tot = {"malicious": [0, 0, 0], "malformed": [0, 0, 0], "benign": [0, 0, 0]}  # n, rc1, rc>=2
        wall = cpu = 0.0
        for fx in manifest:
            r = rs[fx["path"]]
            cls = expected_class(fx["expect"], sev)
            t = tot[cls]
            t[0] += 1
            if r is None:
                continue
            wall += r.wall_p
            cpu += r.cpu_p
            if r.rc == 1:
                t[1] += 1
            elif r.rc != 0:
                t[2] += 1
        mal, mfd, ben = tot["malicious"], tot["malformed"], tot["benign"]
        summ.append([
            tool,
            f"{mal[1]}/{mal[0]} ({100 * mal[1] / max(mal[0], 1):.0f}%)",
            f"{mal[2]}",
            f"{mfd[1]}/{mfd[0]}",
            f"{mfd[2]}",
            f"{ben[1]}/{ben[0]} ({100 * ben[1] / max(ben[0], 1):.0f}%)",
            f"{ben[2]}",
            f"{wall:.2f}",
            f"{cpu:.2f}",
        ])
    out.append(table(["tool", "malicious detected (rc 1)", "malicious: error rc", "malformed flagged (rc 1)",
                      "malformed: error rc", "benign false alarms (rc 1)", "benign: error rc", "total wall s",
                      "total CPU s"], summ))
    out.append("")
    if tools.airlock:
        out.append(f"airlock reported exactly the manifest's expect set for {exact['match']}/{exact['total']} files "
                   "(best effort: rule codes read from its JSON).")
        out.append("")
    # per-technique detection on malicious files
    techs: dict[str, dict[str, list[int]]] = {}
    for fx in manifest:
        if expected_class(fx["expect"], sev) != "malicious":
            continue
        for tool in names:
            r = results[tool][fx["path"]]
            d = techs.setdefault(fx["technique"], {}).setdefault(tool, [0, 0])
            d[0] += 1
            d[1] += 1 if (r is not None and r.rc == 1) else 0
    available = {t: any(v is not None for v in results[t].values()) for t in names}
    rows = []
    for tech in sorted(techs, key=lambda t: (t[0] != "B", int(t[1:]) if t[1:].isdigit() else 0, t)):
        rows.append([tech] + [f"{techs[tech][t][1]}/{techs[tech][t][0]}" if available[t] else "n/a" for t in names])
    out.append("Detections on malicious files by technique (rc 1 / files):")
    out.append("")
    out.append(table(["technique", *names], rows))
    out.append("")
    out.append("<details><summary>Per file: exit code and verdict</summary>")
    out.append("")
    rows = []
    for fx in manifest:
        cls = expected_class(fx["expect"], sev)
        rows.append([f"`{fx['path']}`", cls, " ".join(fx["expect"]) or "-"]
                    + [verdict(results[t][fx["path"]], cls) for t in names])
    out.append(table(["file", "expected", "expect", *names], rows))
    out.append("")
    out.append("</details>")
    out.append("")
    return "\n".join(out)


def write_zeros(fh, n: int) -> None:
    chunk = bytes(1 << 24)
    while n > 0:
        fh.write(chunk[: min(n, len(chunk))])
        n -= len(chunk)


def make_big_safetensors(work: Path, gib: float = 5.0) -> Path:
    """A ~5 GiB safetensors file: a header exactly as the safetensors writer lays it out
    (sorted keys, offsets back to back, 8-byte padded header), zero-filled tensors."""
    path = work / "big-5g.safetensors"
    if path.exists():
        return path
    n_tensors, total = 40, int(gib * 2**30)
    per = total // n_tensors // 4 * 4
    header, off = {"__metadata__": {"format": "pt"}}, 0
    for i in range(n_tensors):
        header[f"model.layers.{i:02d}.weight"] = {"dtype": "F32", "shape": [per // 4], "data_offsets": [off, off + per]}
        off += per
    h = json.dumps(header, separators=(",", ":"), sort_keys=True).encode()
    h += b" " * (-len(h) % 8)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        fh.write(struct.pack("<Q", len(h)) + h)
        write_zeros(fh, off)
    tmp.rename(path)
    return path


def make_big_gguf(work: Path, gib: float = 4.0) -> Path:
    """A ~4 GiB GGUF v3 file laid out as gguf-py's GGUFWriter writes it (KV pairs, tensor
    infos, 32-byte alignment), with a chat template and zero-filled F32 tensors."""
    path = work / "big-4g.gguf"
    if path.exists():
        return path

    def s(x: str) -> bytes:
        b = x.encode()
        return struct.pack("<Q", len(b)) + b

    template = "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}<|assistant|>"
    kvs = [(s("general.architecture"), 8, s("llama")), (s("general.alignment"), 4, struct.pack("<I", 32)),
           (s("tokenizer.chat_template"), 8, s(template))]
    n_tensors, total = 32, int(gib * 2**30)
    per = total // n_tensors // 32 * 32
    infos, off = b"", 0
    for i in range(n_tensors):
        infos += s(f"blk.{i}.ffn.weight") + struct.pack("<I", 1) + struct.pack("<Q", per // 4) + \
            struct.pack("<I", 0) + struct.pack("<Q", off)
        off += per
    head = b"GGUF" + struct.pack("<I", 3) + struct.pack("<QQ", n_tensors, len(kvs))
    head += b"".join(k + struct.pack("<I", t) + v for k, t, v in kvs) + infos
    head += bytes(-len(head) % 32)
    tmp = path.with_suffix(".tmp")
    with open(tmp, "wb") as fh:
        fh.write(head)
        write_zeros(fh, off)
    tmp.rename(path)
    return path


def part_d(tools: Tools, work: Path) -> str:
    out = ["## (d) Header-only formats at hashing speed: 5 GiB safetensors, 4 GiB GGUF", ""]
    for label, path in [("safetensors", make_big_safetensors(work)), ("GGUF", make_big_gguf(work))]:
        size = path.stat().st_size
        out.append(f"`{path.name}`: {size / 2**30:.2f} GiB {label}, hand-laid in the writer's layout, "
                   "zero-filled tensor data.")
        out.append("")
        runs = throughput(tools, path, ["sha256", "airlock", "modelaudit"], timeout=3600, out=out)
        s, a, m = runs["sha256"], runs["airlock"], runs["modelaudit"]
        out.append("")
        if a and a.rc in (0, 1) and s:
            line = f"airlock throughput / sha256 throughput = **{s.wall / a.wall:.2f}x** (wall)"
            if m and m.rc >= 0:
                line += f"; ModelAudit takes {ratio(m.wall, a.wall)} airlock's wall time"
            out.append(line + f"; airlock max RSS {a.rss_kb / 1024:.0f} MB.")
        out.append("")
    return "\n".join(out)


def make_sign_folder(work: Path, gb: float) -> Path:
    """A model folder of about `gb` GB (10^9 bytes): three equal large shards and 200 small
    files of 64 KiB-1 MiB in nested folders, seeded random bytes. Written once, then reused."""
    tag = f"{gb:g}".replace(".", "_")
    root, stamp = work / f"sign-{tag}g", work / f"sign-{tag}g.complete"
    if root.is_dir() and stamp.exists():
        return root
    shutil.rmtree(root, ignore_errors=True)
    rng = random.Random(20261126)
    small = [rng.randrange(64 << 10, (1 << 20) + 1) for _ in range(200)]
    large = max(int(gb * 1e9) - sum(small), 3) // 3

    def fill(path: Path, n: int) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "wb") as fh:
            while n > 0:
                k = min(n, 1 << 24)
                fh.write(rng.randbytes(k))
                n -= k

    for i in range(3):
        fill(root / f"model-{i + 1:05d}-of-00003.safetensors", large)
    for i, n in enumerate(small):
        fill(root / "extra" / f"group-{i // 50}" / f"part-{i:03d}.bin", n)
    (root / "config.json").write_text('{"architectures": ["BenchModel"], "hidden_size": 4096}\n')
    stamp.write_text(f"{gb}\n")
    return root


def folder_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def oms_statement(sig: Path) -> dict | None:
    try:
        bundle = json.loads(sig.read_text())
        return json.loads(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    except (OSError, ValueError, KeyError):
        return None


def oms_digests(st: dict | None) -> tuple[str | None, dict[str, tuple[str, str]]]:
    """(subject SHA-256, {resource name: (algorithm, digest)}) of an OMS statement."""
    if not st:
        return None, {}
    subject = st.get("subject", [{}])[0].get("digest", {}).get("sha256")
    res = {r["name"]: (r["algorithm"], r["digest"]) for r in st.get("predicate", {}).get("resources", [])}
    return subject, res


def part_e(tools: Tools, work: Path, gb: float) -> str:
    root = make_sign_folder(work, gb)
    files = folder_files(root)
    size = sum(p.stat().st_size for p in files)
    cores = os.cpu_count() or 1
    ms = tools.anchors / "model_signing"
    key, pub = work / "sign-key.pem", work / "sign-key.pub.pem"
    if not key.exists():
        subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                        "-out", str(key)], check=True, capture_output=True)
    subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-out", str(pub)], check=True, capture_output=True)
    al_sig, ms_sig, lock = work / "sign-airlock.sig", work / "sign-model_signing.sig", work / "sign.lock"
    for f in (al_sig, ms_sig, lock):
        f.unlink(missing_ok=True)
    q = shlex.quote(str(root))
    # One openssl per core, the files dealt largest first to the least loaded one.
    bins: list[list[Path]] = [[] for _ in range(cores)]
    loads = [0] * cores
    for p in sorted(files, key=lambda p: -p.stat().st_size):
        i = loads.index(min(loads))
        bins[i].append(p)
        loads[i] += p.stat().st_size
    bins = [b for b in bins if b]
    parallel = " ".join(
        f"openssl dgst -sha256 {' '.join(shlex.quote(str(p)) for p in b)} >/dev/null & p{i}=$!;"
        for i, b in enumerate(bins)
    ) + " " + " && ".join(f"wait $p{i}" for i in range(len(bins)))
    a = str(tools.airlock) if tools.airlock else None
    rows_spec: list[tuple[str, list[str] | None]] = [
        ("openssl dgst -sha256, all files, sequential",
         ["sh", "-c", f"find {q} -type f -print0 | xargs -0 openssl dgst -sha256 >/dev/null"]),
        (f"openssl dgst -sha256, {cores} processes in parallel", ["sh", "-c", parallel]),
        ("airlock lock", [a, "lock", str(root), "--output", str(lock), "--no-progress"] if a else None),
        ("airlock sign --key", [a, "sign", str(root), "--key", str(key), "--signature", str(al_sig),
                                "--no-progress"] if a else None),
        ("model_signing sign key", [str(ms), "sign", "key", str(root), "--private_key", str(key),
                                    "--signature", str(ms_sig)] if ms.exists() else None),
        ("airlock verify (model_signing's signature)",
         [a, "verify", str(root), "--signature", str(ms_sig), "--key", str(pub)] if a and ms.exists() else None),
        ("model_signing verify key (airlock's signature)",
         [str(ms), "verify", "key", str(root), "--signature", str(al_sig), "--public_key", str(pub)]
         if a and ms.exists() else None),
    ]
    for p in files:
        warm(p)
    runs: dict[str, Run | None] = {}
    for name, cmd in rows_spec:
        if cmd is None:
            runs[name] = None
            continue
        for p in files:  # a tool's own warm-up run follows; this keeps the cache equally warm for all
            warm(p)
        runs[name] = measure(cmd, timeout=3600)
    seq = runs[rows_spec[0][0]]
    rows = []
    for name, r in runs.items():
        cells = fmt_run(r)
        ok = r is not None and r.rc >= 0 and r.wall > 0
        mbps = f"{size / 2**20 / r.wall:.0f}" if ok else "n/a"
        vs_wall = f"{r.wall / seq.wall:.2f}x" if ok and seq and seq.rc == 0 and seq.wall > 0 else "n/a"
        vs_cpu = f"{r.cpu / seq.cpu:.2f}x" if ok and seq and seq.rc == 0 and seq.cpu > 0 else "n/a"
        rows.append([name] + cells[:5] + [mbps, vs_wall, vs_cpu])
    out = ["## (e) Signing a model folder: airlock vs model_signing and openssl", ""]
    biggest = max(p.stat().st_size for p in files)
    out.append(f"`{root.name}/`: {len(files)} files, {size / 1e9:.2f} GB ({size / 2**30:.2f} GiB): three "
               f"{biggest / 1e9:.2f} GB shards, 200 files of 64 KiB-1 MiB in nested folders and a config.json; seeded random bytes. "
               f"Key: EC P-256 (openssl genpkey). {cores} cores.")
    out.append("")
    out.append(table(["command", "rc", "wall s", "CPU s", "max RSS MB", "runs", "MiB/s (wall)",
                      "wall / openssl seq", "CPU / openssl seq"], rows))
    out.append("")
    al, mss = runs["airlock sign --key"], runs["model_signing sign key"]
    if al and al.rc == 0 and seq:
        line = (f"airlock sign: **{size / 2**20 / al.wall:.0f} MiB/s**, {ratio(al.wall, seq.wall)} the wall time "
                f"and {ratio(al.cpu, seq.cpu)} the CPU time of sequential `openssl dgst -sha256`")
        if mss and mss.rc == 0:
            line += f"; model_signing sign key takes **{ratio(mss.wall, al.wall)}** airlock's wall time " \
                    f"({ratio(mss.cpu, al.cpu)} its CPU time)"
        out.append(line + ".")
    else:
        out.append("airlock sign: no result (binary missing or it exited with an error).")
    out.append("")
    # Same digests? Compare the two manifests, then the cross-verifications above.
    a_subj, a_res = oms_digests(oms_statement(al_sig))
    m_subj, m_res = oms_digests(oms_statement(ms_sig))
    if a_subj and m_subj:
        agree = a_subj == m_subj and a_res == m_res
        verdict = "**agree**" if agree else "**DISAGREE**"
        out.append(f"Digests {verdict}: subject SHA-256 `{a_subj}` (airlock) vs `{m_subj}` (model_signing); "
                   f"{len(a_res)} vs {len(m_res)} resources, "
                   f"{sum(1 for k in a_res if m_res.get(k) == a_res[k])} identical.")
        xa = runs["airlock verify (model_signing's signature)"]
        xm = runs["model_signing verify key (airlock's signature)"]
        out.append(f"Cross-verification exit codes: airlock on model_signing's signature {xa.rc if xa else 'n/a'}, "
                   f"model_signing on airlock's {xm.rc if xm else 'n/a'} (0 = verified).")
    else:
        out.append("Digest comparison: n/a (one of the signatures is missing).")
    out.append("")
    return "\n".join(out)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--airlock", type=Path)
    ap.add_argument("--anchors", type=Path, required=True, help="bin/ of the venv with the anchors")
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--fixtures", type=Path, required=True)
    ap.add_argument("--torch-python", help="python with torch, to write the 1 GiB checkpoint")
    ap.add_argument("--parts", default="abcde")
    ap.add_argument("--sign-gb", type=float, default=4.0, help="size of the part (e) model folder, GB")
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    tools = Tools(a.airlock, a.anchors)
    started = time.time()
    print(f"# airlock benchmark run, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print()
    print(table(["machine", ""], [[k, v] for k, v in machine().items()]))
    print()
    print(table(["tool", "version"], [[k, v] for k, v in versions(tools).items()]))
    print()
    print(f"Timing: `/usr/bin/time -f '%e %U %S %M'`; page cache warmed by reading the input first; runs under "
          f"{FAST_S:.0f} s wall are a warm-up followed by 3 measured runs (median by wall shown, runs=3), slower "
          "ones are measured once (runs=1). CPU = user + sys. ModelAudit runs with "
          "`PROMPTFOO_DISABLE_TELEMETRY=1 NO_ANALYTICS=1`.")
    print()
    sys.stdout.flush()
    if "a" in a.parts:
        print(part_a(tools, a.work, a.torch_python))
        sys.stdout.flush()
    if "b" in a.parts:
        print(part_b(tools, a.work))
        sys.stdout.flush()
    if "c" in a.parts:
        print(part_c(tools, a.fixtures))
        sys.stdout.flush()
    if "d" in a.parts:
        print(part_d(tools, a.work))
        sys.stdout.flush()
    if "e" in a.parts:
        print(part_e(tools, a.work, a.sign_gb))
    print(f"_Run took {(time.time() - started) / 60:.1f} min; load average at end: "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}._")


if __name__ == "__main__":
    if shutil.which("/usr/bin/time") is None:
        sys.exit("GNU time (/usr/bin/time) is required: apt-get install time")
    main()
