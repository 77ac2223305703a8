"""Writes the benign safetensors fixtures with the real `safetensors` library.

Run from this directory:
    python3 -m venv /tmp/stvenv && /tmp/stvenv/bin/pip install safetensors numpy
    /tmp/stvenv/bin/python make.py

Every file is written by safetensors' own serializer (`safetensors.numpy.save` or, for
dtypes NumPy lacks such as BF16 and FP8, `safetensors.serialize` with `TensorSpec`), then
read back with `safe_open` to prove the loader accepts it. Data is deterministic.
"""

import numpy as np
import safetensors
from safetensors import TensorSpec, safe_open, serialize
from safetensors.numpy import save


def spec(dtype, shape, buf):
    return TensorSpec(dtype=dtype, shape=shape, data_ptr=buf.ctypes.data, data_len=buf.nbytes)


def write(name, blob):
    with open(name, "wb") as f:
        f.write(bytes(blob))
    with safe_open(name, "np") as f:  # the loader must accept every benign fixture
        f.keys()
    print(f"{name}: {len(blob)} bytes")


# NumPy dtypes, an empty tensor, a scalar and the usual Hugging Face metadata.
write(
    "numpy_dtypes.safetensors",
    save(
        {
            "f32": np.arange(6, dtype=np.float32).reshape(2, 3),
            "f16": np.ones(3, dtype=np.float16),
            "f64": np.array([1.5], dtype=np.float64),
            "i64": np.arange(4, dtype=np.int64),
            "i8": np.array([-1, 2], dtype=np.int8),
            "u8": np.array([1, 2, 3], dtype=np.uint8),
            "bool": np.array([True, False]),
            "empty": np.zeros((0, 4), dtype=np.float32),
            "scalar": np.array(7, dtype=np.int32),
        },
        metadata={"format": "pt"},
    ),
)

# BF16, every FP8 flavour, packed F4 and another empty tensor (dtypes NumPy lacks).
raw = np.arange(64, dtype=np.uint8)
empty = np.zeros(1, dtype=np.uint8)
write(
    "low_precision.safetensors",
    serialize(
        {
            "bf16": spec("bfloat16", [2, 4], raw[:16]),
            "f8_e4m3": spec("float8_e4m3fn", [4], raw[16:20]),
            "f8_e5m2": spec("float8_e5m2", [4], raw[20:24]),
            "f8_e8m0": spec("float8_e8m0fnu", [2], raw[24:26]),
            "f8_e4m3fnuz": spec("float8_e4m3fnuz", [2], raw[26:28]),
            "f8_e5m2fnuz": spec("float8_e5m2fnuz", [2], raw[28:30]),
            "f4": spec("float4_e2m1fn_x2", [3, 1], raw[30:33]),
            "empty_bf16": TensorSpec(dtype="bfloat16", shape=[0], data_ptr=empty.ctypes.data, data_len=0),
        },
        {"format": "pt", "note": "low precision"},
    ),
)

# Only metadata, no tensors at all.
write("metadata_only.safetensors", save({}, metadata={"a": "1", "b": "é"}))

# A bigger, ordinary file: one 64 KiB tensor, no metadata.
write("plain.safetensors", save({"weight": np.arange(16384, dtype=np.float32)}))

print("safetensors", safetensors.__version__, "numpy", np.__version__)
