"""Stage 5 · Deploy: promotion through gates, the deployment manifest, the scoring service, the
prediction log, batch scoring and the exported bundle.

Modules: ``manifest`` (what the service serves, written atomically), ``schema`` (rows checked
against a version's input schema, each problem named by row and column), ``scorer`` (load a
served version safely and predict), ``batch`` (a CSV or Parquet file scored by a version of the
workspace, refused rows named), ``bundle`` (a self-contained serving folder for one version),
``vendoring`` (the code and pinned requirements a bundle carries), ``model_card`` (its card).
"""
import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__,
    submodules=["batch", "bundle", "manifest", "model_card", "paths", "promotion", "schema", "scorer", "status",
                "vendoring"],
    submod_attrs={
        "batch": ["BatchResult", "BatchSummary", "output_format", "score_bytes", "score_path"],
        "bundle": ["Bundle", "export_bundle"],
        "manifest": ["Manifest", "ServedVersion", "read_manifest", "write_manifest"],
        "schema": ["RowProblem", "SchemaError", "check_frame"],
        "scorer": ["LoadedVersion", "load_version", "score_rows"],
    },
)
