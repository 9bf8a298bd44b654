"""onnxruntime's side of `visor bench vision`: runs an ONNX model on the exact input tensor
Visor's tract detector used (raw little-endian f32, written by the bench) and prints the
per-inference times as JSON, so the two runtimes are timed on the same model, input and machine
in the same run.

    python bench_onnxruntime.py MODEL INPUT.f32 D0,D1,D2,D3 ITERATIONS THREADS
"""
import json
import sys
import time

import numpy as np
import onnxruntime as ort

model, raw, shape, iterations, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
options = ort.SessionOptions()
options.intra_op_num_threads = threads
options.inter_op_num_threads = 1
session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
tensor = np.fromfile(raw, dtype="<f4").reshape([int(d) for d in shape.split(",")])
feed = {session.get_inputs()[0].name: tensor}
for _ in range(10):
    session.run(None, feed)
times = []
for _ in range(iterations):
    start = time.perf_counter()
    session.run(None, feed)
    times.append((time.perf_counter() - start) * 1e3)
print(json.dumps({"version": ort.__version__, "threads": threads, "ms": times}))
