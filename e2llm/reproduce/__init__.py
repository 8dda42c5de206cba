"""``e2llm reproduce``: the full model and the paper's four ablations, trained and evaluated on
one or more splits, reported as the paper's Tables 2-4 and Figure 3.

- :mod:`.plan`: the runs (split × variant), their run configs and the stages they share, checked
  before anything is written;
- :mod:`.run`: carrying the plan out, every step reused on a rerun;
- :mod:`.report`: the tables, the figure and ``reproduce.md``.
"""

from .plan import VARIANTS, make_plan, variant_title
from .run import execute, reproduce, reproduce_demo

__all__ = ["VARIANTS", "execute", "make_plan", "reproduce", "reproduce_demo", "variant_title"]
