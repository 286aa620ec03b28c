"""srzoo for notebooks: ``srzoo.train(spec, data=…, iters=…)`` and ``srzoo.load(checkpoint)``.

The command line is ``srzoo``; the library is :mod:`srzoo_core` (registry, specs, builders). This
package is the short import for both: every name of ``srzoo_core`` is available here too.
"""

from srzoo_core import *  # noqa: F401,F403 - the library's public names, e.g. srzoo.create, srzoo.list_components
from srzoo_core import __all__ as _core_all
from srzoo_core import __version__
from srzoo_core.api import Model, Run, load, train

__all__ = [*_core_all, "Model", "Run", "__version__", "load", "train"]
