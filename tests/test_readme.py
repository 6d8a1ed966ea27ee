"""The README's Python is current: its code compiles, and every kstyle name it shows exists."""

import ast
import importlib
import os
import re

import pytest

README = os.path.join(os.path.dirname(__file__), "..", "README.md")
TEXT = open(README).read()
BLOCKS = re.findall(r"```python\n(.*?)```", TEXT, re.S)


def resolve(dotted):
    """Imports the longest module prefix of `dotted` and walks the rest as attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            target = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for name in parts[cut:]:
            target = getattr(target, name)
        return target
    raise ModuleNotFoundError(dotted)


def test_there_is_python_to_check():
    assert len(BLOCKS) >= 3


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_each_block_compiles_and_its_imports_resolve(block):
    tree = ast.parse(block)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = importlib.import_module(node.module)
            for alias in node.names:
                assert hasattr(module, alias.name) or importlib.import_module(f"{node.module}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                importlib.import_module(alias.name)


# Dotted names that are file names (`assets.extra/kstyle.json`), not Python names: left out, not skipped.
NAMES = sorted(name for name in set(re.findall(r"\bkstyle(?:\.[A-Za-z_]\w*)+", TEXT))
               if not name.endswith(("_flags", ".flags", ".keras", ".json")))


def test_there_are_names_to_check():
    assert len(NAMES) >= 10


@pytest.mark.parametrize("dotted", NAMES)
def test_every_kstyle_name_in_the_text_exists(dotted):
    resolve(dotted)
