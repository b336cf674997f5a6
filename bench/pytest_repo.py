"""Writes a Python project with a 6,000-test pytest suite into a folder and commits it with git.

The shape is a real library's: a package of modules that import each other (dataclasses, parsing,
arithmetic), tests in many files using fixtures, parametrize and classes, and a conftest. Run as
`python3 pytest_repo.py DIR`; the bench's repo case times `pytest` on it directly and through orch.
"""
import os
import subprocess
import sys

MODULES, TEST_FILES, TESTS_PER_FILE = 40, 60, 100

MODULE = '''"""Module {i}: money amounts, parsing and totals."""
from dataclasses import dataclass, field
from decimal import Decimal
import re

from ledger import base{prev}

PATTERN = re.compile(r"^(-?\\d+)(?:\\.(\\d{{1,2}}))?$")


@dataclass(frozen=True)
class Amount{i}:
    cents: int
    currency: str = "EUR"

    @classmethod
    def parse(cls, text, currency="EUR"):
        m = PATTERN.match(text.strip())
        if not m:
            raise ValueError(f"not an amount: {{text!r}}")
        whole, frac = m.group(1), (m.group(2) or "0").ljust(2, "0")
        sign = -1 if whole.startswith("-") else 1
        return cls(sign * (abs(int(whole)) * 100 + int(frac)), currency)

    def __add__(self, other):
        if other.currency != self.currency:
            raise ValueError("currencies differ")
        return type(self)(self.cents + other.cents, self.currency)

    def scaled(self, factor):
        return type(self)(int((Decimal(self.cents) * Decimal(str(factor))).to_integral_value()), self.currency)

    def __str__(self):
        return f"{{self.cents // 100}}.{{abs(self.cents) % 100:02d}} {{self.currency}}"


@dataclass
class Book{i}:
    entries: list = field(default_factory=list)

    def add(self, amount):
        self.entries.append(amount)
        return self

    def total(self, currency="EUR"):
        out = Amount{i}(0, currency)
        for e in self.entries:
            out = out + e
        return out

    def checksum(self):
        return base{prev}.digest([e.cents for e in self.entries])
'''

BASE = '''"""Shared helpers."""
import hashlib


def digest(numbers):
    h = hashlib.sha256()
    for n in numbers:
        h.update(str(n).encode())
    return h.hexdigest()[:12]
'''

TEST = '''import pytest

from ledger.m{m} import Amount{m}, Book{m}


@pytest.fixture
def book():
    return Book{m}().add(Amount{m}.parse("1.50")).add(Amount{m}.parse("2.25"))


@pytest.mark.parametrize("text,cents", [(f"{{n}}.{{n % 100:02d}}", n * 100 + n % 100) for n in range({param})])
def test_parse(text, cents):
    assert Amount{m}.parse(text).cents == cents


@pytest.mark.parametrize("factor", [0.5, 1, 2, 3.25, 10])
def test_scaled(book, factor):
    assert book.total().scaled(factor).cents == round(375 * factor)


class TestBook:
{methods}
'''

METHOD = '''    def test_total_{k}(self, book):
        book.add(Amount{m}.parse("{k}"))
        assert book.total().cents == 375 + {k} * 100
        assert len(book.checksum()) == 12
'''


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def main(root):
    write(f"{root}/ledger/__init__.py", "")
    write(f"{root}/ledger/base.py", BASE)
    for i in range(MODULES):
        write(f"{root}/ledger/m{i}.py", MODULE.format(i=i, prev=""))
    write(f"{root}/tests/conftest.py", "import pytest\n\n\n@pytest.fixture(autouse=True)\ndef quiet():\n    yield\n")
    param = TESTS_PER_FILE - 5 - 20
    for t in range(TEST_FILES):
        m = t % MODULES
        methods = "".join(METHOD.format(k=k, m=m) for k in range(20))
        write(f"{root}/tests/test_ledger_{t}.py", TEST.format(m=m, param=param, methods=methods))
    write(f"{root}/pyproject.toml", '[project]\nname = "ledger"\nversion = "1.0"\nrequires-python = ">=3.9"\n\n'
                                    '[tool.pytest.ini_options]\ntestpaths = ["tests"]\npythonpath = ["."]\n')
    git = ["git", "-C", root, "-c", "user.name=bench", "-c", "user.email=bench@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main", root], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-qm", "ledger"], check=True)


main(sys.argv[1])
