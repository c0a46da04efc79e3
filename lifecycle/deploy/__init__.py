"""Stage 5 · Deploy: promotion through gates, the deployment manifest, the scoring service, the
prediction log, batch scoring and the exported bundle.

Modules: ``manifest`` (what the service serves, written atomically), ``schema`` (rows checked
against a version's input schema, each problem named by row and column), ``scorer`` (load a
served version safely and predict), ``promotion`` (moves, rollback and the shadow, and the
manifest that follows them), ``status`` (the stage's status and each version's gates), ``service``
(the scoring service: a Starlette app run by uvicorn), ``process`` (start, stop and status of the
service's process), ``serving`` (the services of a workspace's projects), ``prediction_log`` (its Parquet log of predictions and feedback), ``stats``
(traffic, errors and latency from that log), ``batch`` (a CSV or Parquet file scored by a version
of the workspace, refused rows named), ``bundle`` (a self-contained serving folder for one
version), ``vendoring`` (the code and pinned requirements a bundle carries), ``model_card`` (what the model
card says about serving; the card itself is Govern's).
"""
import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__,
    submodules=["batch", "bundle", "fastpath", "fastpath_models", "fastpath_steps", "labels", "manifest", "model_card",
                "paths", "prediction_log", "process", "promotion",
                "schema", "scorer", "service", "serving", "stats", "status", "vendoring"],
    submod_attrs={
        "batch": ["BatchResult", "BatchSummary", "output_format", "score_bytes", "score_path"],
        "bundle": ["Bundle", "export_bundle"],
        "manifest": ["Manifest", "ServedVersion", "read_manifest", "write_manifest"],
        "prediction_log": ["PredictionLog"],
        "process": ["ServiceStatus", "start_service", "stop_service", "service_status"],
        "schema": ["RowProblem", "SchemaError", "check_frame"],
        "scorer": ["LoadedVersion", "load_version", "score_rows"],
        "service": ["create_app", "serve"],
        "stats": ["ServiceStats", "VersionStats", "log_stats", "service_stats"],
    },
)
