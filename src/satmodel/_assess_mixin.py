"""Model-assessment methods and properties of :class:`~satmodel.results.PLSResult`.

Kept in its own module so the assessment layer grows without touching results.py.
"""

from __future__ import annotations


class AssessmentMixin:
    """Quality criteria beyond ``quality`` (HTMT, VIF, f², fit, prediction, assess())."""
