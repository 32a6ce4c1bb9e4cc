"""Ready-made customer-satisfaction index models.

Each template is a function returning a new :class:`~satmodel.spec.ModelSpec`
whose item names are those of a shipped data set, so it fits out of the box:

>>> import satmodel as sm
>>> spec = sm.templates.ecsi()
>>> df = sm.datasets.load("ecsi_satisfaction")
>>> set(spec.indicator_names) <= set(df.columns)
True

:func:`names` lists the templates and :func:`get` returns one by name. Adding a
template is adding one function here and one entry to ``_REGISTRY``.

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

from collections.abc import Callable, Mapping, Sequence
from functools import lru_cache
from importlib import resources

from ..errors import SpecError, suggest
from ..spec.model import Construct, Indicator, ModelSpec, Path

__all__ = ["names", "get", "ecsi", "ecsi_mobile", "acsi", "acsi_product_service",
           "acsi_government", "epsi", "ccsi", "scsb", "ncsb", "rename_items"]


def _construct(
    name: str,
    label: str,
    items: Mapping[str, str | None],
    scale: tuple[float, float],
) -> Construct:
    """A reflective (Mode A) construct whose items share one scale."""
    low, high = scale
    indicators = tuple(
        Indicator(name=item, wording=wording, scale_min=low, scale_max=high)
        for item, wording in items.items()
    )
    return Construct(name=name, label=label, indicators=indicators, mode="A")


def _paths(structure: Mapping[str, Sequence[str]], sign: str = "+") -> tuple[Path, ...]:
    """``{target: [sources]}`` -> Path objects, all with the same expected sign."""
    return tuple(
        Path(source=source, target=target, expected_sign=sign)
        for target, sources in structure.items()
        for source in sources
    )


def ecsi() -> ModelSpec:
    """ECSI model of the bank survey data set ``ecsi_satisfaction``.

    Six reflective constructs measured on 0-10 scales -- IMAG (5 items),
    EXPE (5), QUAL (5), VAL (4), SAT (4), LOY (4), items ``IMAG1`` ...
    ``LOY4`` -- and the inner model of plspm's ``satisfaction`` example,
    every path expected positive::

        EXPE ~ IMAG
        QUAL ~ EXPE
        VAL  ~ EXPE + QUAL
        SAT  ~ IMAG + EXPE + QUAL + VAL
        LOY  ~ IMAG + SAT

    The data's documentation describes each block by a list of topics; for
    IMAG, VAL, SAT and LOY there is one topic per item and it is stored as the
    item's ``wording`` in the listed order. For EXPE and QUAL (four topics for
    five items) the wording is left ``None``.

    Returns
    -------
    ModelSpec
        A new specification named ``"ecsi"``.

    Examples
    --------
    >>> import satmodel as sm
    >>> spec = sm.templates.ecsi()
    >>> spec.construct_names
    ('IMAG', 'EXPE', 'QUAL', 'VAL', 'SAT', 'LOY')
    >>> len(spec.paths), len(spec.indicator_names)
    (10, 27)
    """
    scale = (0, 10)
    constructs = (
        _construct("IMAG", "Image", {
            "IMAG1": "reputation",
            "IMAG2": "trustworthiness",
            "IMAG3": "seriousness",
            "IMAG4": "solidness",
            "IMAG5": "caring about customer's needs",
        }, scale),
        _construct("EXPE", "Expectations", dict.fromkeys(
            ["EXPE1", "EXPE2", "EXPE3", "EXPE4", "EXPE5"]), scale),
        _construct("QUAL", "Quality", dict.fromkeys(
            ["QUAL1", "QUAL2", "QUAL3", "QUAL4", "QUAL5"]), scale),
        _construct("VAL", "Value", {
            "VAL1": "beneficial services and products",
            "VAL2": "valuable investments",
            "VAL3": "quality relative to price",
            "VAL4": "price relative to quality",
        }, scale),
        _construct("SAT", "Satisfaction", {
            "SAT1": "overall rating of satisfaction",
            "SAT2": "fulfillment of expectations",
            "SAT3": "satisfaction relative to other banks",
            "SAT4": "performance relative to customer's ideal bank",
        }, scale),
        _construct("LOY", "Loyalty", {
            "LOY1": "propensity to choose the same bank again",
            "LOY2": "propensity to switch to other bank (scored in the loyal "
                    "direction: its loading is positive)",
            "LOY3": "intention to recommend the bank to friends",
            "LOY4": "sense of loyalty",
        }, scale),
    )
    paths = _paths({
        "EXPE": ["IMAG"],
        "QUAL": ["EXPE"],
        "VAL": ["EXPE", "QUAL"],
        "SAT": ["IMAG", "EXPE", "QUAL", "VAL"],
        "LOY": ["IMAG", "SAT"],
    })
    return ModelSpec(
        name="ecsi",
        label="ECSI model of bank customer satisfaction (250 customers of a "
              "Spanish credit institution)",
        source="Data and model: R package plspm 0.4.9, data set 'satisfaction' and "
               "its plspm() example (Sanchez, Trinchera & Russolillo); data from the "
               "Laboratory of Information Analysis and Modeling (LIAM), Facultat "
               "d'Informatica de Barcelona, Universitat Politecnica de Catalunya. "
               "ECSI structure: Tenenhaus, Esposito Vinzi, Chatelin & Lauro (2005), "
               "PLS path modeling, Computational Statistics & Data Analysis "
               "48:159-205.",
        constructs=constructs,
        paths=paths,
    )


def ecsi_mobile() -> ModelSpec:
    """ECSI model of the mobile-phone data set ``ecsi_mobi`` (Tenenhaus et al. 2005).

    Seven reflective constructs on 1-10 scales -- Image (IMAG1-5),
    Expectation (CUEX1-3), Quality (PERQ1-7), Value (PERV1-2), Satisfaction
    (CUSA1-3), Complaints (CUSCO), Loyalty (CUSL1-3) -- and 12 paths, every one
    expected positive (CUSCO measures how well complaints are handled, so
    Satisfaction -> Complaints is positive)::

        Expectation  ~ Image
        Quality      ~ Expectation
        Value        ~ Expectation + Quality
        Satisfaction ~ Image + Expectation + Quality + Value
        Complaints   ~ Satisfaction
        Loyalty      ~ Image + Satisfaction + Complaints

    This is the model of the SmartPLS, seminr and semPLS reference outputs
    for these data.

    Returns
    -------
    ModelSpec
        A new specification named ``"ecsi_mobile"``.

    Examples
    --------
    >>> import satmodel as sm
    >>> spec = sm.templates.ecsi_mobile()
    >>> spec.blocks["Complaints"]
    ('CUSCO',)
    >>> len(spec.paths)
    12
    """
    scale = (1, 10)
    constructs = (
        _construct("Image", "Corporate image", {
            "IMAG1": "it can be trusted what it says and does",
            "IMAG2": "stable and firmly established",
            "IMAG3": "social contribution to society",
            "IMAG4": "concerned with customers",
            "IMAG5": "innovative and forward looking",
        }, scale),
        _construct("Expectation", "Customer expectations", {
            "CUEX1": "expectations for the overall quality of the provider at the "
                     "moment you became customer",
            "CUEX2": "expectations for the provider to provide products and "
                     "services to meet your personal need",
            "CUEX3": "how often did you expect that things could go wrong "
                     "(scored high = favourable: its loading is positive)",
        }, scale),
        _construct("Quality", "Perceived quality", {
            "PERQ1": "overall perceived quality",
            "PERQ2": "technical quality of the network",
            "PERQ3": "customer service and personal advice",
            "PERQ4": "quality of the services you use",
            "PERQ5": "range of services and products",
            "PERQ6": "reliability and accuracy of products and services",
            "PERQ7": "clarity and transparency of information",
        }, scale),
        _construct("Value", "Perceived value", {
            "PERV1": "given the quality, how would you rate the fees and prices",
            "PERV2": "given the fees and prices, how would you rate the quality",
        }, scale),
        _construct("Satisfaction", "Customer satisfaction", {
            "CUSA1": "overall satisfaction",
            "CUSA2": "fulfillment of expectations",
            "CUSA3": "how well the provider compares with your ideal mobile "
                     "phone provider",
        }, scale),
        _construct("Complaints", "Complaint handling", {
            "CUSCO": "how well, or poorly, your most recent complaint was handled "
                     "(or, if you did not complain: to what extent the provider "
                     "would care about your complaint)",
        }, scale),
        _construct("Loyalty", "Customer loyalty", {
            "CUSL1": "likelihood of choosing the provider again",
            "CUSL2": "price difference (in %) at which you would choose another "
                     "provider",
            "CUSL3": "likelihood of recommending the provider",
        }, scale),
    )
    paths = _paths({
        "Expectation": ["Image"],
        "Quality": ["Expectation"],
        "Value": ["Expectation", "Quality"],
        "Satisfaction": ["Image", "Expectation", "Quality", "Value"],
        "Complaints": ["Satisfaction"],
        "Loyalty": ["Image", "Satisfaction", "Complaints"],
    })
    return ModelSpec(
        name="ecsi_mobile",
        label="ECSI model adapted to mobile-phone providers (Tenenhaus et al. 2005)",
        source="Tenenhaus, M., Esposito Vinzi, V., Chatelin, Y.-M. & Lauro, C. (2005). "
               "PLS path modeling. Computational Statistics & Data Analysis 48:159-205. "
               "Data: SmartPLS example 'mobi_250', as shipped in R packages seminr "
               "and semPLS ('mobi'); item wording from seminr's documentation.",
        constructs=constructs,
        paths=paths,
    )


@lru_cache(maxsize=None)
def _json(name: str) -> str:
    return resources.files("satmodel.templates").joinpath(f"{name}.json").read_text("utf-8")


def _load(name: str) -> ModelSpec:
    return ModelSpec.model_validate_json(_json(name))


def acsi() -> ModelSpec:
    """ACSI, original model (Fornell et al. 1996): 6 constructs, 14 indicators, 9 paths.

    EXP, QUAL, VAL, SAT (1-10), COMP (complained: 0/1), LOY (LOY1 repurchase 1-10;
    LOY2 price tolerance, a percentage without a fixed scale). Expected signs: all
    ``+`` except SAT -> COMP ``-`` and COMP -> LOY open (``None``).

    >>> import satmodel as sm
    >>> spec = sm.templates.acsi()
    >>> len(spec.indicator_names), len(spec.paths)
    (14, 9)
    >>> spec.construct("SAT").indicators[2].wording
    "performance versus the customer's ideal product or service in the category"
    """
    return _load("acsi")


def acsi_product_service() -> ModelSpec:
    """ACSI with perceived quality split into product (QUAL_PROD) and service (QUAL_SERV)
    quality: 12 paths (Johnson et al. 2001; medium confidence).

    >>> import satmodel as sm
    >>> sm.templates.acsi_product_service().predecessors("SAT")
    ('EXP', 'QUAL_PROD', 'QUAL_SERV', 'VAL')
    """
    return _load("acsi_product_service")


def acsi_government() -> ModelSpec:
    """ACSI government model: four quality drivers, no value, TRUST as the outcome; 8 paths.

    >>> import satmodel as sm
    >>> sm.templates.acsi_government().predecessors("SAT")
    ('EXP', 'PROCESS', 'INFORMATION', 'SERVICE', 'WEBSITE')
    """
    return _load("acsi_government")


def epsi(complaints: bool = True) -> ModelSpec:
    """ECSI / EPSI Rating model: image, expectations, product and service quality, value,
    satisfaction, loyalty, and (``complaints=True``) the optional complaints block.

    13 core paths plus SAT -> COMP and COMP -> LOY; 1-10 scales, 3 items per construct.
    For the bank and mobile-phone data sets use :func:`ecsi` and :func:`ecsi_mobile`.

    >>> import satmodel as sm
    >>> len(sm.templates.epsi().paths), len(sm.templates.epsi(complaints=False).paths)
    (15, 13)
    """
    spec = _load("epsi")
    if complaints:
        return spec
    return spec.model_copy(update={
        "constructs": [c for c in spec.constructs if c.name != "COMP"],
        "paths": [p for p in spec.paths if "COMP" not in (p.source, p.target)],
        "label": spec.label.replace(", with the optional complaints block", "")})


def ccsi(omit: tuple[str, str] | None = None) -> ModelSpec:
    """China Customer Satisfaction Index (中国顾客满意度指数), Chinese and English wording.

    品牌形象 IMAGE, 预期质量 EXPQ, 感知质量 PQ, 感知价值 VAL, 顾客满意度 SAT, 顾客忠诚 LOY.
    The official model has 11 relations; the sources give 12 candidates and which
    one is absent is unverified (IMAGE -> PQ and IMAGE -> VAL are the weakest), so
    all 12 are kept unless ``omit=(source, target)`` names the one to drop.

    >>> import satmodel as sm
    >>> spec = sm.templates.ccsi(omit=("IMAGE", "VAL"))
    >>> len(spec.paths), spec.construct("SAT").label
    (11, '顾客满意度 customer satisfaction')
    """
    spec = _load("ccsi")
    if omit is None:
        return spec
    pairs = [(p.source, p.target) for p in spec.paths]
    if tuple(omit) not in pairs:
        raise SpecError(f"ccsi(omit={omit!r}): not one of the candidate paths {pairs}")
    return spec.model_copy(update={"paths": [p for p in spec.paths
                                             if (p.source, p.target) != tuple(omit)]})


def scsb() -> ModelSpec:
    """Swedish Customer Satisfaction Barometer (Fornell 1992): 5 constructs, 6 paths.

    >>> import satmodel as sm
    >>> [(p.source, p.target, p.expected_sign) for p in sm.templates.scsb().paths][3]
    ('SAT', 'COMP', '-')
    """
    return _load("scsb")


def ncsb() -> ModelSpec:
    """Norwegian barometer as revised by Johnson et al. (2001): 12 constructs, 15 paths.

    The source lists no items: each construct has three placeholder items.

    >>> import satmodel as sm
    >>> sm.templates.ncsb().successors("SAT")
    ('IMAGE', 'AFF', 'CALC')
    """
    return _load("ncsb")


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
