"""Every result table, in ONE explicit list (:data:`TABLES`).

Each table is a :class:`TableDef`: key columns from the spec, value columns as batched
functions of a :class:`Context`. A result evaluates them on its fit; the bootstrap (and
every other resampling verb) evaluates the *same* functions on all refits at once, so
every reported quantity gets its inference from one code path. No import side effect
adds a table: what a bootstrap can see is this list.

>>> list(TABLES)[:5]
['paths', 'outer', 'effects', 'r2', 'quality']
"""

from .base import Context, TableDef, copy_table, effect_pairs, nullable, square
from .core import EFFECTS, OUTER, PATHS, QUALITY, R2
from .criteria import F2, F2_REESTIMATED, GOF, INFORMATION_CRITERIA
from .index import INDEX
from .model_fit import MODEL_FIT
from .validity import HTMT_PAIRS, INNER_VIF, VIF

TABLES: dict[str, TableDef] = {
    "paths": PATHS,
    "outer": OUTER,
    "effects": EFFECTS,
    "r2": R2,
    "quality": QUALITY,
    "htmt_pairs": HTMT_PAIRS,
    "vif": VIF,
    "inner_vif": INNER_VIF,
    "f2": F2,
    "f2_reestimated": F2_REESTIMATED,
    "information_criteria": INFORMATION_CRITERIA,
    "gof": GOF,
    "fit": MODEL_FIT,
    "index": INDEX,
}

#: Tables left out of a default bootstrap, costly per resample: model fit (eigenvalues,
#: log determinants; usually judged by the Bollen-Stine test, ``res.fit_test``) and
#: seminr's f² (one refit per path).
NOT_BY_DEFAULT = ("fit", "f2_reestimated")

__all__ = ["TABLES", "NOT_BY_DEFAULT", "Context", "TableDef", "copy_table", "effect_pairs",
           "nullable", "square"]
