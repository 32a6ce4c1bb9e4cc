"""Example survey data sets shipped with satmodel.

Each data set is a CSV file in the package's ``data`` folder with a section of
the same name in ``datasets/PROVENANCE.md`` (source, licence of the carrier
package, scale, item wording, changes made). Adding a data set is adding those
two things; :func:`names` finds every shipped CSV file.

Examples
--------
>>> import satmodel as sm
>>> sm.datasets.names()
('ecsi_mobi', 'ecsi_satisfaction')
>>> df = sm.datasets.load("ecsi_satisfaction")
>>> df.shape
(250, 28)
>>> print(sm.datasets.describe("ecsi_mobi").splitlines()[0])
## ecsi_mobi
"""

from __future__ import annotations

import re
from importlib import resources

import pandas as pd

from ..errors import DataError, suggest

__all__ = ["names", "load", "describe"]

_PACKAGE = "satmodel.datasets"
_PROVENANCE = "PROVENANCE.md"


def _data_dir():
    return resources.files(_PACKAGE)


def names() -> tuple[str, ...]:
    """Names of the shipped data sets, sorted.

    Returns
    -------
    tuple of str
        Every name accepted by :func:`load` and :func:`describe`.

    Examples
    --------
    >>> import satmodel as sm
    >>> "ecsi_satisfaction" in sm.datasets.names()
    True
    """
    found = (
        entry.name[: -len(".csv")]
        for entry in _data_dir().iterdir()
        if entry.is_file() and entry.name.endswith(".csv")
    )
    return tuple(sorted(found))


def _check_name(name: str) -> str:
    available = names()
    if not isinstance(name, str) or name not in available:
        hint = suggest(name, available) if isinstance(name, str) else ""
        raise DataError(
            f"no data set named {name!r}.{hint} "
            f"Available data sets: {', '.join(available)}."
        )
    return name


def load(name: str) -> pd.DataFrame:
    """Load a shipped data set as a new pandas DataFrame.

    Every call reads the file again, so the frame you get is yours to modify:
    no other call sees your changes.

    Parameters
    ----------
    name : str
        One of :func:`names`, e.g. ``"ecsi_satisfaction"`` (bank customers,
        27 items on 0-10 plus ``gender``) or ``"ecsi_mobi"`` (mobile-phone
        customers, 24 items on 1-10).

    Returns
    -------
    pandas.DataFrame
        Survey items as integer columns named as in the source (e.g.
        ``IMAG1`` ... ``LOY4``), a default RangeIndex, plus any grouping
        columns the data set carries (``gender``).

    Raises
    ------
    DataError
        If ``name`` is not a shipped data set (the message suggests the
        closest name and lists all of them).

    Examples
    --------
    >>> import satmodel as sm
    >>> df = sm.datasets.load("ecsi_mobi")
    >>> df.shape
    (250, 24)
    >>> int(df["CUSA1"].min()), int(df["CUSA1"].max())
    (4, 10)
    """
    _check_name(name)
    with _data_dir().joinpath(f"{name}.csv").open("rb") as fh:
        return pd.read_csv(fh)


def describe(name: str) -> str:
    """Provenance of a shipped data set, as Markdown text.

    The text says where the data came from, the licence of the package that
    carried them, the scale of the items, their wording and what satmodel
    changed.

    Parameters
    ----------
    name : str
        One of :func:`names`.

    Returns
    -------
    str
        The data set's section of ``PROVENANCE.md``, starting ``## <name>``.

    Raises
    ------
    DataError
        If ``name`` is not a shipped data set.

    Examples
    --------
    >>> import satmodel as sm
    >>> text = sm.datasets.describe("ecsi_satisfaction")
    >>> "GPL-3" in text and "0-10" in text
    True
    """
    _check_name(name)
    text = _data_dir().joinpath(_PROVENANCE).read_text(encoding="utf-8")
    match = re.search(
        rf"^## {re.escape(name)}[ \t]*\n.*?(?=^## |\Z)", text, flags=re.M | re.S
    )
    if match is None:  # a shipped CSV without its provenance section
        raise DataError(
            f"data set {name!r} has no section '## {name}' in {_PROVENANCE}; "
            "this is a packaging bug, please report it."
        )
    return match.group(0).strip() + "\n"
