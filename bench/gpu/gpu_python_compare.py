"""The same CNN and training step as gpu_ddp_check.cc, timed in Python PyTorch on the GPU
(the pip torch whose LibTorch the C++ side links), once plain and once wrapped in
torch.nn.parallel.DistributedDataParallel over NCCL with one rank. Prints JSON."""
import json
import os
import time

import torch
import torch.distributed as dist
import torch.nn as nn


def cnn(seed):
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1), nn.GELU(),
        nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.GELU(),
        nn.Conv2d(32, 64, 3, stride=2, padding=1), nn.GELU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))


def step_ms(model, steps=200):
    dev = torch.device("cuda", 0)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    x = torch.rand(128, 3, 56, 56, device=dev)
    y = torch.randint(0, 10, (128,), device=dev)

    def step():
        opt.zero_grad()
        nn.functional.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(10):
        step()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    return (time.perf_counter() - t0) * 1e3 / steps


def main():
    dev = torch.device("cuda", 0)
    plain = step_ms(cnn(3).to(dev))
    os.environ.setdefault("MASTER_ADDR", "127.0.0.1")
    os.environ.setdefault("MASTER_PORT", "29533")
    dist.init_process_group("nccl", rank=0, world_size=1)
    ddp = step_ms(nn.parallel.DistributedDataParallel(cnn(3).to(dev), device_ids=[0]))
    dist.destroy_process_group()
    print(json.dumps({"torch": torch.__version__, "device": torch.cuda.get_device_name(0),
                      "python_plain_step_ms": round(plain, 3),
                      "python_ddp_nccl_step_ms": round(ddp, 3)}))


if __name__ == "__main__":
    main()
