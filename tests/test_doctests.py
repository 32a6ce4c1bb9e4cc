"""The examples in every public docstring run and print what they say."""

import doctest
import importlib
import pkgutil

import pytest

import satmodel

MODULES = sorted(m.name for m in pkgutil.walk_packages(satmodel.__path__, "satmodel.")
                 if m.name != "satmodel.__main__")


@pytest.mark.parametrize("name", ["satmodel"] + MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
