"""The preprocessing recipe: a versioned JSON spec that compiles to ONE scikit-learn ColumnTransformer.

Modules: ``spec`` (the dataclasses and their closed sets of options), ``compiler`` (the default
recipe, compiling, previews, mapping output features back to source columns), ``checks``
(validating a recipe against data), ``editing`` (pure edits the Recipe tab makes),
``transformers`` (the custom transformers a saved model may contain: their module path is part
of every saved artifact, see ``models.registry.LEGACY_MODULES``).
"""
import lazy_loader as lazy

__getattr__, __dir__, __all__ = lazy.attach(
    __name__,
    submodules=["checks", "compiler", "editing", "spec", "transformers"],
    submod_attrs={
        "compiler": ["compile_recipe", "default_recipe", "preview", "recipe_warnings", "source_column",
                     "source_columns"],
        "spec": ["ColumnStep", "DerivedColumn", "Recipe", "RowFilter"],
        "checks": ["column_kind", "validate_recipe"],
    },
)
