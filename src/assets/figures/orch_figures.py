# A matplotlib backend for one-shot runs: plt.show(), and the end of the program, save every open
# figure as a PNG that orch returns as an artifact (MPLBACKEND=module://orch_figures).
import atexit
import itertools
import os

from matplotlib._pylab_helpers import Gcf
from matplotlib.backends.backend_agg import FigureCanvasAgg as FigureCanvas  # noqa: F401 (the backend's canvas)

_DIR = "/tmp/orch-figures"
_numbers = itertools.count(1)


def show(*args, **kwargs):
    managers = Gcf.get_all_fig_managers()
    if not managers:
        return
    os.makedirs(_DIR, exist_ok=True)
    for manager in managers:
        manager.canvas.figure.savefig(os.path.join(_DIR, "figure-%d.png" % next(_numbers)), format="png")
    Gcf.destroy_all()


atexit.register(show)
