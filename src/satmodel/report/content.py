"""What a report of a result shows, section by section, independent of HTML or Excel.

Sections (ids): ``model`` (model and data), ``measurement``, ``discriminant``,
``structural``, ``effects``, ``fit``, ``index`` (index and IPMA), ``diagnostics``.
PLS and CB-SEM results get every section; a group result gets its summary sections.
Work done for the report (index, IPMA) runs quietly; what it finds is listed under
diagnostics.

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> [s.id for s in build(res, figures=False).sections]
['model', 'measurement', 'discriminant', 'structural', 'effects', 'fit', 'index', 'diagnostics']
"""

from __future__ import annotations

import platform
from typing import Any

import pandas as pd

from ..diagnostics import collecting, quiet
from ..errors import NotAvailableError
from ..results.record import package_version
from ..survey.readers import USER_MISSING, VALUE_LABELS
import satmodel.report.checks as checks
import satmodel.report.marks as marks
import satmodel.report.models as models
import satmodel.report.plots as plots
from .blocks import Content, Figure, Section, table

__all__ = ["build", "facts", "file_tables", "versions", "SECTION_IDS"]

SECTION_IDS = ("model", "measurement", "discriminant", "structural", "effects", "fit", "index",
               "diagnostics")


def versions() -> dict[str, str]:
    """satmodel, Python and the libraries behind the numbers."""
    import numpy
    import scipy

    out = {"satmodel": package_version(), "python": platform.python_version(),
           "numpy": numpy.__version__, "scipy": scipy.__version__, "pandas": pd.__version__}
    try:
        from importlib import metadata

        out["semopy"] = metadata.version("semopy")
    except Exception:  # pragma: no cover - semopy is a dependency
        pass
    return out


def _kind(res: Any) -> str:
    if hasattr(res, "estimator"):
        return f"CB-SEM ({res.estimator}, semopy)"
    o = res.options
    return ("consistent PLS (PLSc)" if o.consistent else "PLS path modelling") + \
        f", {o.scheme} weighting scheme"


def facts(res: Any, alpha: float | None, data: Any = None) -> list[tuple[str, str]]:
    """(setting, value) pairs: model, estimator, n, data options, bootstrap, level (and
    the user-missing codes ``data``'s file declared, see :func:`file_tables`)."""
    so = res.survey_options
    grouped = hasattr(res, "by")
    facts = [("Model", res.spec.name + (f" ({res.spec.label})" if res.spec.label else "")),
             ("Estimator", _kind(res))]
    if grouped:
        facts.append(("Groups", f"{res.n_groups} by {', '.join(res.by)}"))
    else:
        facts.append(("Respondents (n)", str(res.n_obs)))
    facts += [("Constructs / items", f"{len(res.constructs)} / {len(res.indicators)}")]
    if hasattr(res, "options"):
        o = res.options
        facts.append(("Convergence", f"stop rule {o.stop}, tol {o.tol:g}, max_iter {o.max_iter}"
                      + ("" if grouped else f"; {'converged' if res.converged else 'NOT converged'}"
                                            f" after {res.n_iter} iterations")))
    missing = getattr(res, "missing", None) or so.missing
    codes = ", ".join(f"{v:g}" for v in so.na_values) if isinstance(so.na_values, tuple) \
        and so.na_values else (str(so.na_values) if so.na_values else "none")
    if "declared_missing" in file_tables(res, data):
        codes += "; and the user-missing codes the data file declares (see Model and data)"
    facts += [("Missing answers", "refused (missing='error'): the data had none"
               if missing == "error" else f"{missing} (missing={missing!r})"),
              ("Codes read as missing", codes),
              ("Reverse-coded items", ", ".join(so.reverse) or "none"),
              ("Sampling weights", so.weights if isinstance(so.weights, str) else
               ("given as an array" if so.weights is not None else "none (equal weights)"))]
    inf = res.inference
    if inf is None:
        facts.append(("Inference", "analytic (ML standard errors)" if hasattr(res, "estimator")
                      else "none: no bootstrap (res.bootstrap(n=5000, seed=...))"))
    else:
        n = f"{inf.n_valid} of {inf.n_requested}" if hasattr(inf, "n_valid") \
            else f"{inf.n_requested} a group"
        facts.append(("Bootstrap", f"{n} resamples, seed {getattr(inf, 'seed', None)}, "
                      f"{inf.method} intervals at level {inf.level:g}"))
    if alpha is not None:
        facts.append(("Significance", f"at level {1 - alpha:g}: {marks.legend(alpha)}"))
    return facts


def file_tables(res: Any, data: Any) -> dict[str, pd.DataFrame]:
    """What the data file declares for the model's items (SPSS, kept in ``data.attrs`` by
    :func:`satmodel.survey.readers.read_table`): ``value_labels`` (indicator, code,
    label) and ``declared_missing`` (indicator, codes, answers read as missing)."""
    attrs = getattr(data, "attrs", None) or {}
    items = list(res.indicators)
    out = {}
    labels = attrs.get(VALUE_LABELS) or {}
    rows = [(item, code, text) for item in items
            for code, text in (labels.get(item) or {}).items()]
    if rows:
        out["value_labels"] = pd.DataFrame(rows, columns=["indicator", "code", "label"])
    declared = attrs.get(USER_MISSING) or {}
    rows = [(item, *declared[item]) for item in items if item in declared]
    if rows:
        out["declared_missing"] = pd.DataFrame(rows, columns=["indicator", "codes", "answers"])
    return out


def _file_sections(res: Any, data: Any) -> list[Any]:
    found = file_tables(res, data)
    blocks = []
    if "value_labels" in found:
        blocks.append(table("Value labels (from the data file)", found["value_labels"]))
    if "declared_missing" in found:
        blocks.append(table("Missing-value codes declared in the data file (read as missing)",
                            found["declared_missing"],
                            note="answers: how many answers in the file carried these codes"))
    return blocks


def _model_section(res: Any, data: Any = None) -> Section:
    rows = []
    plan = getattr(res, "plan", None)  # a staged fit (issue 14): the model as written
    spec = res.spec if plan is None else plan.spec
    for c in spec.constructs:
        scales = {(i.scale_min, i.scale_max) for i in c.indicators}
        scale = ", ".join("undeclared" if lo is None else f"{lo:g}-{hi:g}" for lo, hi in scales)
        rows.append((c.name, c.label or "", c.mode, ", ".join(c.indicator_names), scale))
    rows += [(h.name, h.label or "", h.mode, f"constructs {', '.join(h.components)} "
              + ("(CB-SEM second-order factor)" if plan is None else f"(hoc={plan.hoc})"), "")
             for h in spec.higher_order]
    rows += [(t, "", "A", f"interaction term (interaction={plan.interaction})", "")
             for t in spec.interactions]
    blocks = [table("Constructs and their items", pd.DataFrame(
        rows, columns=["construct", "label", "mode", "items", "scale"]))]
    report = getattr(res, "missing_report", None)
    text = []
    if isinstance(report, pd.DataFrame) and len(report):
        some = report[report["missing"] > 0]
        if len(some):
            blocks.append(table("Items with missing answers", some.reset_index(drop=True)))
        else:
            text.append("No item has missing answers.")
    blocks += _file_sections(res, data)
    items = [(i.name, c.name, i.wording) for c in spec.constructs for i in c.indicators
             if i.wording]
    if items:
        blocks.append(table("Item wording", pd.DataFrame(
            items, columns=["indicator", "construct", "wording"])))
    return Section("model", "Model and data", text, blocks)


def _diagnostics_section(res: Any, found: list) -> Section:
    def frame(diags) -> pd.DataFrame:
        return pd.DataFrame([(d.severity, d.code, d.message, ", ".join(d.names)) for d in diags],
                            columns=["severity", "code", "message", "names"])

    blocks, text = [], []
    if res.diagnostics:
        blocks.append(table("Found by the fit (res.diagnostics)", frame(res.diagnostics)))
    else:
        text.append("The fit recorded no diagnostics.")
    seen = {(d.code, d.message) for d in res.diagnostics}
    extra = [d for d in found if (d.code, d.message) not in seen]
    if extra:
        blocks.append(table("Found while writing this report", frame(extra)))
    return Section("diagnostics", "Diagnostics", text, blocks)


def _grouped_sections(res: Any, figures: bool, data: Any) -> list[Section]:
    sections = [_model_section(res, data)]
    blocks: list[Any] = [table(title, df) for title, df in res._summary_sections()]
    if figures:
        target = models.outcomes(res)[-1] if models.outcomes(res) else res.constructs[-1]
        blocks.append(Figure(f"{target} index by group", lambda fig: plots.plot_index(
            res, target, ax=fig), f"{target} index by group"))
    sections.append(Section("groups", "Results by group", [], blocks))
    return sections


def check_reportable(res: Any) -> None:
    """Refuse a result no report is written for yet (a grouped CB-SEM result)."""
    if not hasattr(res, "spec"):
        raise NotAvailableError(
            f"reports of a {type(res).__name__} are not available yet; report each group: "
            "sm.to_html(res[key], ...), or its tables (res.summary())")


def build(res: Any, *, level: float | None = None, ipma: Any = None, items: bool = False,
          figures: bool = True, data: Any = None) -> Content:
    """The content of a report of ``res`` (see the module docstring).

    Parameters
    ----------
    level : float, optional
        Significance level for stars and intervals (default: the bootstrap's level, else
        0.95); intervals are recomputed from the stored draws when it differs.
    ipma : str or list of str, optional
        IPMA targets (default: the outcomes, constructs no path leaves; at most two).
    items : bool
        Draw the items in the path diagram.
    figures : bool
        Include the figures (needs matplotlib).
    data : DataFrame, optional
        The table ``res`` was fitted on, as read by
        :func:`satmodel.survey.readers.read_table`: the value labels and user-missing
        codes an SPSS file declares for the model's items are listed under "Model and data".
    """
    import importlib.util

    check_reportable(res)
    no_plots = figures and importlib.util.find_spec("matplotlib") is None
    figures = figures and not no_plots
    inf = getattr(res, "inference", None)
    if level is not None and inf is not None and abs(level - inf.level) > 1e-12 \
            and hasattr(res, "conf_int"):
        res = res.conf_int(level=level, method=inf.method)
    alpha = marks.alpha_of(res, level)
    with collecting() as found, quiet():
        if hasattr(res, "by"):
            sections = _grouped_sections(res, figures, data)
        else:
            sections = [_model_section(res, data)] + models.sections(
                res, alpha, checks.checks(res), ipma=ipma, items=items, figures=figures)
    sections.append(_diagnostics_section(res, found))
    title = res.spec.label or res.spec.name
    subtitle = f"{_kind(res)}; satmodel {package_version()}"
    shown = facts(res, alpha, data) + ([("Figures", "not drawn: matplotlib is not installed "
                                   "(pip install 'satmodel[report]')")] if no_plots else [])
    return Content(title, subtitle, shown, sections, alpha, versions())

