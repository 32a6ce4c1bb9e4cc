"""What every result shares: ``table(name)``, ``diagnostics``, ``summary()``,
``_repr_html_``, ``to_json()``/``from_json()`` and the respondent-rows guard.

A result class sets ``TABLE_NAMES``, implements ``_base_table(name)`` (the table
without inference columns), ``_record()`` / ``_from_record()`` (JSON) and
``_summary_sections()``; the base adds inference columns after a bootstrap and
renders text and HTML the same way for PLS, CB-SEM and group results.

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> res.table("paths").columns.tolist()
['source', 'target', 'estimate']
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pandas as pd

from ..diagnostics import Diagnostic
from ..errors import OptionError, SatModelError, suggest

__all__ = ["ResultBase"]


class ResultBase:
    """Base class of PLSResult, CBSEMResult (and the group results)."""

    TABLE_NAMES: ClassVar[tuple[str, ...]] = ()
    spec: Any
    diagnostics: tuple[Diagnostic, ...]
    inference: Any

    @property
    def constructs(self) -> tuple[str, ...]:
        """Construct names in spec order."""
        return self.spec.construct_names

    @property
    def indicators(self) -> tuple[str, ...]:
        """Indicator names in spec order."""
        return self.spec.indicator_names

    # ------------------------------------------------------------------ tables
    def table(self, name: str) -> pd.DataFrame:
        """Any table by name (``res.TABLE_NAMES``), with se, CI ... after a bootstrap."""
        if not isinstance(name, str) or name not in self.TABLE_NAMES:
            hint = suggest(name, self.TABLE_NAMES) if isinstance(name, str) else ""
            raise OptionError(f"unknown table {name!r}.{hint} "
                              f"Tables: {', '.join(self.TABLE_NAMES)}")
        df = self._base_table(name)
        if self.inference is not None:
            df = self.inference.annotate(name, df)
        return df

    def _base_table(self, name: str) -> pd.DataFrame:  # pragma: no cover - per result
        raise NotImplementedError

    def survey_rows(self, verb: str) -> Any:
        """The validated respondent rows, or a SatModelError saying ``verb`` needs them."""
        rows = getattr(self, "survey", None)
        if rows is None:
            raise SatModelError(
                f"{verb} needs the respondent rows: this result was read from JSON or fitted "
                "on moments and carries none; refit it on the data (sm.fit_pls / sm.fit_cbsem)")
        return rows

    # ------------------------------------------------------------------ output
    def summary(self) -> str:
        """A plain-text report of the result (settings, tables, diagnostics)."""
        from .summary import summary_text

        return summary_text(self)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        from .summary import summary_html

        return summary_html(self)

    def _summary_sections(self) -> list[tuple[str, pd.DataFrame]]:  # pragma: no cover
        raise NotImplementedError

    def _summary_header(self) -> list[str]:  # pragma: no cover
        raise NotImplementedError

    # ------------------------------------------------------------------ JSON
    def to_dict(self, *, draws: bool = False) -> dict[str, Any]:
        """The JSON-ready record (validated by :mod:`satmodel.results.record`); no survey
        rows. ``draws=True`` also stores the bootstrap draws (large), so
        :meth:`conf_int` works on the result read back."""
        return self._record(draws=draws)

    def to_json(self, *, draws: bool = False, **kwargs: Any) -> str:
        """Serialize to JSON (``kwargs`` go to :func:`json.dumps`); read back with
        :meth:`from_json`."""
        return json.dumps(self.to_dict(draws=draws), **kwargs)

    @classmethod
    def from_json(cls, text: str | bytes) -> Any:
        """Rebuild a result from :meth:`to_json` output (without respondent rows).

        The record is validated first; a malformed or hostile record raises a
        SatModelError naming the field.
        """
        from .record import parse

        return cls._from_record(parse(text, cls.__name__))

    def _record(self, *, draws: bool) -> dict[str, Any]:  # pragma: no cover
        raise NotImplementedError

    @classmethod
    def _from_record(cls, record: Any) -> Any:  # pragma: no cover
        raise NotImplementedError
