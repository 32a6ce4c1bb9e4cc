"""Ready-made customer-satisfaction index models.

Each template is a function returning a new :class:`~satmodel.spec.ModelSpec`
whose item names are those of a shipped data set, so it fits out of the box:

>>> import satmodel as sm
>>> spec = sm.templates.ecsi()
>>> df = sm.datasets.load("ecsi_satisfaction")
>>> set(spec.indicator_names) <= set(df.columns)
True

:func:`names` lists the templates and :func:`get` returns one by name. Adding a
template is adding one function (``shipped.py`` for models of a shipped data set,
``literature.py`` for JSON specs) and one entry to ``_REGISTRY``.

Item wording is what the data set's documentation says (see
``satmodel.datasets.describe``); where the documentation describes a block
rather than its items and the counts differ, ``wording`` is left ``None``.

The index-body models without a shipped data set -- :func:`acsi`,
:func:`acsi_product_service`, :func:`acsi_government`, :func:`epsi`,
:func:`ccsi`, :func:`scsb`, :func:`ncsb` -- are ModelSpec JSON files in
``satmodel/templates/`` compiled from the literature (docs/methods.md §5; each
spec's ``source`` names it and says what is assumed). Their item codes are
generic (``SAT1`` ...): map them onto your columns with :func:`rename_items`.
Expected signs ``+/-`` of the sources (sign open) are stored as ``None``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from ..errors import SpecError, suggest
from ..spec.model import ModelSpec
from .literature import acsi, acsi_government, acsi_product_service, ccsi, epsi, ncsb, scsb
from .shipped import ecsi, ecsi_mobile

__all__ = ["names", "get", "ecsi", "ecsi_mobile", "acsi", "acsi_product_service",
           "acsi_government", "epsi", "ccsi", "scsb", "ncsb", "rename_items"]


def rename_items(spec: ModelSpec, mapping: Mapping[str, str]) -> ModelSpec:
    """A copy of ``spec`` with indicators renamed to the user's column names.

    Wording, labels and scales are kept. ``mapping`` is template item -> column name;
    items not in it keep their names.

    >>> import satmodel as sm
    >>> spec = sm.templates.rename_items(sm.templates.acsi(), {"SAT1": "q12", "SAT2": "q13"})
    >>> spec.blocks["SAT"]
    ('q12', 'q13', 'SAT3')
    """
    items = spec.indicator_names
    unknown = [k for k in mapping if k not in items]
    if unknown:
        raise SpecError(f"rename_items: {unknown[0]!r} is not an item of template "
                        f"{spec.name!r}.{suggest(unknown[0], items)}")
    constructs = [c.model_copy(update={"indicators": [
        i.model_copy(update={"name": mapping.get(i.name, i.name)}) for i in c.indicators]})
        for c in spec.constructs]
    return spec.model_copy(update={"constructs": constructs})


_REGISTRY: dict[str, Callable[[], ModelSpec]] = {
    "ecsi": ecsi,
    "ecsi_mobile": ecsi_mobile,
    "acsi": acsi,
    "acsi_product_service": acsi_product_service,
    "acsi_government": acsi_government,
    "epsi": epsi,
    "ccsi": ccsi,
    "scsb": scsb,
    "ncsb": ncsb,
}


def names() -> tuple[str, ...]:
    """Names of the available templates, for :func:`get`.

    Examples
    --------
    >>> import satmodel as sm
    >>> sm.templates.names()
    ('ecsi', 'ecsi_mobile', 'acsi', 'acsi_product_service', 'acsi_government', 'epsi', 'ccsi', 'scsb', 'ncsb')
    """
    return tuple(_REGISTRY)


def get(name: str) -> ModelSpec:
    """Return a new template model by name.

    Parameters
    ----------
    name : str
        One of :func:`names`; ``get("ecsi")`` equals ``ecsi()``.

    Raises
    ------
    SpecError
        If there is no template of that name (the message suggests the closest
        name and lists all of them).

    Examples
    --------
    >>> import satmodel as sm
    >>> sm.templates.get("ecsi_mobile").name
    'ecsi_mobile'
    """
    try:
        factory = _REGISTRY[name]
    except (KeyError, TypeError):
        hint = suggest(name, _REGISTRY) if isinstance(name, str) else ""
        raise SpecError(
            f"no template named {name!r}.{hint} "
            f"Available templates: {', '.join(_REGISTRY)}."
        ) from None
    return factory()
