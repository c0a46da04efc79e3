"""Stage 6 · Monitor: the prediction log read in windows; drift against the training reference,
performance once labels arrive (estimated before), alerts and their delivery.

Modules: ``windows`` (fixed-size time buckets over the log, aligned to the epoch).
"""
import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__,
    submodules=["windows"],
    submod_attrs={
        "windows": ["Window", "format_size", "parse_size", "window_of", "windows_between"],
    },
)
