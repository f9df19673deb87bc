"""The READMEs' Python examples: the front page's runs as printed against a real server; every block parses."""

from __future__ import annotations

import ast
import asyncio
import os
import re
import sys

import pytest

from conftest import ROOT, run

READMES = [ROOT / "README.md", ROOT / "clients" / "python" / "README.md"]


def python_blocks(path) -> list:
    return re.findall(r"```python\n(.*?)```", path.read_text(), re.S)


@pytest.mark.parametrize("readme", READMES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_python_block_parses(readme):
    blocks = python_blocks(readme)
    assert blocks, f"{readme} has no python block"
    for block in blocks:  # top-level await: the snippets show the inside of a coroutine
        compile(block, str(readme), "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT | ast.PyCF_ONLY_AST)


def test_the_front_pages_example_publishes_then_prints_the_event(start_server):
    server = start_server()
    example = python_blocks(ROOT / "README.md")[0].replace("localhost:8000", f"127.0.0.1:{server.port}")

    async def scenario():
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-u", "-c", example, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(ROOT / "clients" / "python")})
        try:
            line = await proc.stdout.readline()
            assert line.decode().strip() == "1 order.filled {'qty': 5}"
        finally:
            proc.kill()
            await proc.wait()

    run(scenario(), timeout=60)
