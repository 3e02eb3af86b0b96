"""course_lib: the shared code of the course *Deep learning for image denoising and inverse problems*.

Modules are named for the domain: :mod:`config` (profiles, seeding, device),
:mod:`data` (data sets and the course split), :mod:`metrics` (PSNR, SSIM),
:mod:`noise` (noise models), :mod:`operators` (forward operators with adjoints),
:mod:`training` (training loop and checkpoints), :mod:`results` (headline
numbers), :mod:`plotting` (figures) and :mod:`checks` (exercise checks).
"""

from __future__ import annotations

from . import config, results
from .config import by_profile, get_profile, seed_everything

__version__ = "0.1.0"
__all__ = ["by_profile", "config", "get_profile", "results", "seed_everything", "setup_notebook"]


def setup_notebook(stem: str, seed: int = 0) -> config.Profile:
    """Prepare a chapter notebook: name it for results, seed everything, report the profile.

    Args:
        stem: the notebook's file stem, e.g. ``"01_johnson_lindenstrauss"``.
        seed: the global seed of the notebook.

    Returns:
        The active :class:`~course_lib.config.Profile`.
    """
    profile = config.get_profile()
    results.set_notebook(stem)
    seed_everything(seed)
    try:
        import matplotlib

        matplotlib.rcParams.update({"figure.dpi": 100, "savefig.dpi": 100, "figure.max_open_warning": 50})
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        pass
    print(f"{stem}: profile '{profile.name}' ({profile.description}); seed {seed}; device {config.device()}")
    return profile
