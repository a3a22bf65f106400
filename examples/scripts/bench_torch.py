#!/usr/bin/env python3
"""PyTorch peers of bench-kernels --backend cuda: torch._int_mm (int8 x int8 -> int32 on cuBLASLt) and
bf16 torch.matmul, timed on the GPU with CUDA events on the same shapes, one JSON object per line.

    python3 examples/scripts/bench_torch.py --shapes "4096,4096,4096;50176,64,288" --runs 7

Layouts match ours: A is m x k row-major, B is n x k row-major used as its transpose (column-major
k x n), the layout cuBLASLt's int8 GEMM wants and the one our kernel reads without a copy. Each figure is
the median over runs of a run's mean time per call (a run repeats the call for about 0.2 s). Shapes
torch._int_mm rejects (it needs m > 16 and k, n multiples of 8) get a line with the error instead.
Prints {"bench":"torch","skipped":...} and exits 0 where PyTorch or a GPU is missing.
"""
import argparse
import json
import statistics
import sys


def line(**fields):
    print(json.dumps({"bench": "torch", **fields}, separators=(",", ":")), flush=True)


def time_call(torch, fn, runs, min_run_s=0.2):
    fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    fn()
    end.record()
    torch.cuda.synchronize()
    once = max(start.elapsed_time(end) / 1e3, 1e-6)
    reps = max(1, min(10000, int(min_run_s / once)))
    per_call = []
    for _ in range(runs):
        start.record()
        for _ in range(reps):
            fn()
        end.record()
        torch.cuda.synchronize()
        per_call.append(start.elapsed_time(end) / 1e3 / reps)
    return statistics.median(per_call)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shapes", default="4096,4096,4096", help="m,n,k;m,n,k;...")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    try:
        import torch
    except ImportError as e:
        line(skipped=f"PyTorch is not installed: {e}")
        return
    if not torch.cuda.is_available():
        line(skipped="torch.cuda.is_available() is False")
        return
    dev = torch.device("cuda")
    line(machine=torch.cuda.get_device_name(dev), torch=torch.__version__, cuda=torch.version.cuda,
         runs=args.runs)
    for spec in args.shapes.split(";"):
        m, n, k = (int(v) for v in spec.split(","))
        ops = 2.0 * m * n * k
        a8 = torch.randint(-127, 128, (m, k), dtype=torch.int8, device=dev)
        b8 = torch.randint(-127, 128, (n, k), dtype=torch.int8, device=dev)
        try:
            sec = time_call(torch, lambda: torch._int_mm(a8, b8.t()), args.runs)
            line(op="int_mm", m=m, n=n, k=k, gops=ops / sec / 1e9)
        except RuntimeError as e:
            line(op="int_mm", m=m, n=n, k=k, error=str(e).splitlines()[0])
        a16 = torch.randn(m, k, dtype=torch.bfloat16, device=dev)
        b16 = torch.randn(n, k, dtype=torch.bfloat16, device=dev)
        sec = time_call(torch, lambda: torch.matmul(a16, b16.t()), args.runs)
        line(op="bf16_matmul", m=m, n=n, k=k, gflops=ops / sec / 1e9)
        del a8, b8, a16, b16
        torch.cuda.empty_cache()


if __name__ == "__main__":
    sys.exit(main())
