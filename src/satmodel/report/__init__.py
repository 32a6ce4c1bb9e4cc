"""Reports of any result: comparisons, the path diagram (matplotlib and DOT), the HTML
report and the Excel workbook.

>>> import satmodel as sm
>>> res = sm.fit_pls(sm.templates.ecsi(), sm.datasets.load("ecsi_satisfaction"))
>>> "->" in sm.to_dot(res)
True
"""

from .compare import compare
from .excel import to_excel
from .html import to_html
from .pathplot import plot_paths, to_dot
from .plots import plot_bootstrap, plot_index

__all__ = ["compare", "plot_bootstrap", "plot_index", "plot_paths", "to_dot", "to_excel",
           "to_html"]
