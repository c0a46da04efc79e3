"""Stage 2 · Data: bring data in, profile it, prepare it with a recipe, freeze a version and split it.

Modules: ``ingest`` (reading CSV/TSV/Parquet safely), ``datasets`` (dataset versions: ingest,
list, load), ``query`` (read-only SQL over a project's datasets), ``profile`` and ``findings``
(the data profile and what it finds), ``splits`` (split methods), ``preparation`` (recipes,
freezing and splits on record), ``recipe`` (the recipe spec, its compiler to one
ColumnTransformer, checks, editing and transformers), ``status``.
Names are loaded on first use, so importing the face stays cheap.
"""
import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__,
    submodules=["datasets", "findings", "ingest", "preparation", "profile", "query", "recipe", "splits", "status"],
    submod_attrs={
        "datasets": ["BUNDLED", "get_dataset", "ingest_bundled", "ingest_bytes", "ingest_path", "list_datasets",
                     "load_frame"],
        "preparation": ["create_split", "freeze_dataset", "freeze_with_suggested_recipe", "get_recipe",
                        "list_recipes", "recipe_of", "save_recipe", "split_assignment", "splits_for",
                        "suggested_recipe"],
        "profile": ["ColumnProfile", "DatasetProfile", "get_profile", "profile_dataset"],
        "query": ["available_views", "freeze_query", "run_query"],
        "splits": ["METHODS"],
    },
)
