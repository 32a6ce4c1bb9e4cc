"""Index-body models compiled from the literature, stored as ModelSpec JSON beside this
module (docs/methods.md §5); item codes are generic (map them with ``rename_items``).

>>> acsi().name
'acsi'
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from ..errors import SpecError
from ..spec.model import ModelSpec

__all__ = ["acsi", "acsi_product_service", "acsi_government", "epsi", "ccsi", "scsb", "ncsb"]


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
