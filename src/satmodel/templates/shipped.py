"""Templates whose item names are those of a shipped data set (they fit out of the box).

>>> ecsi().name
'ecsi'
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from ..spec.model import Construct, Indicator, ModelSpec, Path

__all__ = ["ecsi", "ecsi_mobile"]


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
