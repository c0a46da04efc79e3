"""The model registry and the one state machine of model versions.

Modules: ``artifacts`` (the one safe loader: hash and allow-list, no database), ``registry``
(register a run as a skops artifact named by its hash; load it back only
through the allow-list), ``states`` (every move of a version goes through ``transition``, which
checks its gate and writes the audit event in the same transaction; ``retire``, the terminal move,
only for the Retire stage's decommission flow), ``imports`` (a model trained elsewhere: skops files
only, sniffed by their bytes and checked against the allow-list before anything loads), ``approval`` (the four-eyes rules of a sign-off: who
may sign, how many reviewers a risk tier needs, when approval is complete).
"""
import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__,
    submodules=["approval", "artifacts", "imports", "registry", "states"],
    submod_attrs={
        "registry": ["get_version", "input_schema", "list_versions", "load_pipeline", "register_pipeline",
                     "register_run"],
        "states": ["possible_moves", "retire", "transition"],
        "approval": ["Approval", "approval_state", "may_sign", "reviewers_needed"],
        "imports": ["ModelFileRefused", "check_model_file", "import_bytes", "import_model", "sniff"],
    },
)
