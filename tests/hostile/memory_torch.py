"""Asks torch for a 16 GiB tensor and fills it. Expect the memory limit."""
import torch

big = torch.ones(4 << 30)
