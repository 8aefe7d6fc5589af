"""Allocates and touches memory in 64 MiB blocks up to 16 GiB. Expect the memory limit."""
blocks = []
for _ in range(256):
    blocks.append(b"x" * (64 << 20))
