"""What a sandboxed run sees: for CUDA runs, the NVIDIA driver's library folders that
lie outside the Python view (as in container images that keep them under
/usr/local/nvidia) are mounted read-only too, with folders above them that uid 65534
can cross; CPU runs never see them."""

from __future__ import annotations

import os

import pytest

from quizzer.judge.sandbox.bwrap import bwrap_argv
from quizzer.judge.sandbox.view import cuda_driver_dirs, python_view


@pytest.fixture(autouse=True)
def _fresh_lookup():
    """`cuda_driver_dirs` is worked out once per process; each test sets its own scene."""
    cuda_driver_dirs.cache_clear()
    yield
    cuda_driver_dirs.cache_clear()


def _driver(tmp_path, monkeypatch):
    driver = tmp_path / "nvidia" / "lib64"
    driver.mkdir(parents=True)
    (driver / "libcuda.so.1").write_bytes(b"")
    (tmp_path / "unrelated").mkdir()
    monkeypatch.setenv("LD_LIBRARY_PATH", f"{tmp_path / 'unrelated'}:{driver}")
    return str(driver)


def _binds(argv: list[str]) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == "--ro-bind"]


def test_cuda_runs_see_the_driver_libraries_and_cpu_runs_do_not(tmp_path, monkeypatch):
    driver = _driver(tmp_path, monkeypatch)
    assert driver in cuda_driver_dirs()
    assert str(tmp_path / "unrelated") not in cuda_driver_dirs()
    common = dict(root=True, info_fd=3, scratch_mb=16)
    cuda = bwrap_argv("bwrap", python_view(), device="cuda", **common)
    cpu = bwrap_argv("bwrap", python_view(), device="cpu", **common)
    assert driver in _binds(cuda)
    assert driver not in _binds(cpu)


def test_folders_already_in_the_view_are_not_mounted_twice(monkeypatch):
    inside = python_view().sys_path[0]
    monkeypatch.setenv("LD_LIBRARY_PATH", inside)
    monkeypatch.setattr(os, "listdir", lambda d: ["libcuda.so.1"])
    assert inside not in cuda_driver_dirs()
