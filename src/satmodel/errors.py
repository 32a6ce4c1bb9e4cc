"""Errors and warnings raised by satmodel.

Every problem a user can cause raises a subclass of :class:`SatModelError`
(itself a ``ValueError``) whose message names the construct, indicator, column
or row at fault. Legal but suspect situations emit a :class:`SatModelWarning`.

Example
-------
>>> import satmodel as sm
>>> try:
...     sm.ModelSpec.from_lavaan("A =~ x1\\nA ~ B")
... except sm.SatModelError as err:
...     print(type(err).__name__)
SpecError
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class SatModelError(ValueError):
    """Base class of every error a user can cause."""


class SpecError(SatModelError):
    """The model specification is invalid (names, paths, cycles, lavaan text)."""


class DataError(SatModelError):
    """The survey data do not fit the specification (columns, values, rows)."""


class EstimationError(SatModelError):
    """The estimator cannot proceed (singular block, inadmissible input)."""


class OptionError(SatModelError):
    """An option passed to a fit or method is invalid."""


class NotAvailableError(OptionError, NotImplementedError):
    """The option asks for a method satmodel does not offer yet (the message says which
    alternative to use); also a ``NotImplementedError`` for code that checks for that."""


class SatModelWarning(UserWarning):
    """Base class of satmodel's warnings: legal but suspect."""


class ConvergenceWarning(SatModelWarning):
    """The PLS iteration stopped at ``max_iter`` without meeting ``tol``."""


class AdmissibilityWarning(SatModelWarning):
    """An estimate is outside its admissible range (e.g. PLSc loading > 1)."""


class MissingDataWarning(SatModelWarning):
    """An item's share of missing answers exceeds ``missing_warn`` (see SurveyOptions)."""


class SignWarning(SatModelWarning):
    """A path estimate has the opposite sign of the spec's ``expected_sign``."""


class IndexWarning(SatModelWarning):
    """An index score is not computed (negative weight, no declared scale)."""


class HeywoodWarning(SatModelWarning):
    """A CB-SEM solution is a Heywood case: a (residual) variance at or below 0, or a
    standardized loading of 1 or more; the message names the item or construct."""


def suggest(name: str, choices: Iterable[str]) -> str:
    """Return ``" Did you mean 'X'?"`` for the closest choice, or ``""``.

    >>> suggest("SATT", ["SAT", "LOY"])
    " Did you mean 'SAT'?"
    """
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    if not close:
        lowered = {c.lower(): c for c in choices}
        if name.lower() in lowered:
            close = [lowered[name.lower()]]
    return f" Did you mean '{close[0]}'?" if close else ""
