"""Gloo all-reduce latency through Python torch.distributed (Debian's python3-torch, the same
LibTorch 1.13 as chromatune), for comparison with MPI in allreduce_bench.cc. The C++ headers of
c10d's ProcessGroupGloo need gloo's headers, which Debian does not ship (libgloo0 has the
library only), so Gloo is timed from Python; the Python call overhead (a few microseconds)
is included in its figures.

Usage: python3 gloo_allreduce.py [ranks]   (spawns the ranks itself, 127.0.0.1)
"""
import os
import statistics
import sys
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp

SIZES = [4 << 10, 64 << 10, 256 << 10, 1 << 20, 4 << 20]


def worker(rank, world, port, out):
    os.environ["MASTER_ADDR"] = "127.0.0.1"
    os.environ["MASTER_PORT"] = str(port)
    torch.set_num_threads(1)
    dist.init_process_group("gloo", rank=rank, world_size=world)
    rows = []
    for nbytes in SIZES:
        t = torch.ones(nbytes // 4)
        reps = 200 if nbytes <= (256 << 10) else 50
        times = []
        for i in range(reps + 5):
            dist.barrier()
            t0 = time.perf_counter()
            dist.all_reduce(t)
            if i >= 5:
                times.append((time.perf_counter() - t0) * 1e6)
        rows.append((nbytes, statistics.median(times)))
    if rank == 0:
        out.put(rows)
    dist.destroy_process_group()


def main():
    world = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    port = 29500 + os.getpid() % 1000
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=worker, args=(r, world, port, out)) for r in range(world)]
    for p in procs:
        p.start()
    rows = out.get()
    for p in procs:
        p.join()
    print("| buffer | floats | Gloo all-reduce (Python), median us |\n| --- | --- | --- |")
    for nbytes, us in rows:
        print(f"| {nbytes >> 10} KiB | {nbytes // 4} | {us:.1f} |")


if __name__ == "__main__":
    main()
