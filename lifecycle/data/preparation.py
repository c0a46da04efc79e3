"""Stage 2 — preparing data: saved, versioned recipes; frozen prepared versions; reproducible splits."""
from __future__ import annotations

import dataclasses

import pandas as pd
import pyarrow as pa

from lifecycle.auth import Permission, require
from lifecycle.data.datasets import get_dataset, load_frame, load_table
from lifecycle.errors import InputError, NotFound
from lifecycle.problem.projects import get_project
from lifecycle.data.recipe.compiler import Recipe, default_recipe
from lifecycle.data.recipe.checks import apply_filters, validate_recipe
from lifecycle.records import DatasetVersion, Lineage, Project, RecipeVersion, Split, User
from lifecycle.data.splits import SplitSpec, assign_split, assignment_hash, default_method, split_counts
from lifecycle.store import audit_log, dataset_files
from lifecycle.store import datasets as dataset_store
from lifecycle.store import preparation as preparation_store
from lifecycle.workspace import Workspace

SUGGESTION_SAMPLE = 20_000


def suggested_recipe(workspace: Workspace, dataset: DatasetVersion, project: Project,
                     ignore: tuple[str, ...] = ()) -> Recipe:
    """The default recipe for a dataset, with ``ignore`` columns set aside."""
    frame = load_frame(workspace, dataset, limit=SUGGESTION_SAMPLE)
    recipe = default_recipe(frame, target=project.target, sensitive=tuple(c for c in project.sensitive if c in frame))
    steps = tuple(dataclasses.replace(s, role="ignore", note="set aside by the analyst") if s.column in ignore else s
                  for s in recipe.steps)
    return dataclasses.replace(recipe, steps=steps)


def save_recipe(workspace: Workspace, actor: User, project_id: int, name: str, recipe: Recipe,
                dataset: DatasetVersion | None = None) -> RecipeVersion:
    """Store a new version of the named recipe (checked against ``dataset`` when given)."""
    require(actor, Permission.EDIT_DATA)
    project = get_project(workspace, project_id)
    name = name.strip()
    if not name or len(name) > 80:
        raise InputError(f"Recipe name {name!r} is empty or longer than 80 characters.", "Give a short name.")
    if dataset is not None:
        validate_recipe(recipe, {c.name: c.dtype for c in dataset.columns}, project.target)
    with workspace.db.transaction() as cursor:
        saved = preparation_store.insert_recipe(cursor, project_id=project_id, name=name, spec=recipe.to_dict(),
                                                created_by=actor.name)
        audit_log.append(cursor, actor=actor.name, action="recipe.saved", entity=f"recipe:{saved.id}",
                         details={"project_id": project_id, "name": name, "version": saved.version})
    return saved


def list_recipes(workspace: Workspace, project_id: int) -> list[RecipeVersion]:
    """Every saved recipe version of a project, oldest first."""
    return preparation_store.recipes_for(workspace.db.cursor(), project_id)


def get_recipe(workspace: Workspace, recipe_id: int) -> RecipeVersion:
    """The saved recipe version with this id. Raises NotFound."""
    found = preparation_store.get_recipe(workspace.db.cursor(), recipe_id)
    if found is None:
        raise NotFound(f"No recipe with id {recipe_id}.", "Save a recipe on the Data page first.")
    return found


def recipe_of(version: RecipeVersion) -> Recipe:
    """The Recipe a saved recipe version holds (its JSON spec parsed). Raises InputError for a spec that no
    longer parses."""
    return Recipe.from_dict(version.spec)


def freeze_dataset(workspace: Workspace, actor: User, dataset_id: int, recipe_id: int) -> DatasetVersion:
    """A new immutable version: the parent's rows that pass the recipe's filters, linked to the recipe."""
    require(actor, Permission.EDIT_DATA)
    parent = get_dataset(workspace, dataset_id)
    project = get_project(workspace, parent.project_id)
    saved = get_recipe(workspace, recipe_id)
    if saved.project_id != project.id:
        raise InputError(f"Recipe #{recipe_id} belongs to another project.", "Pick one of this project's recipes.")
    recipe = recipe_of(saved)
    validate_recipe(recipe, {c.name: c.dtype for c in parent.columns}, project.target)
    table = load_table(workspace, parent)
    frame = table.to_pandas()
    kept = apply_filters(frame, recipe)
    if len(kept) == 0:
        raise InputError(f"The filters of recipe {saved.name} v{saved.version} remove every row of {parent.label}.",
                         "Loosen the row filters.")
    mask = pa.array(frame.index.isin(kept.index))
    frozen = table.filter(mask)  # Arrow keeps the parent's exact types
    path, content_hash = dataset_files.write_table(frozen, dataset_store.files_dir(workspace.path))
    lineage = Lineage(kind="derived", name=parent.label, parent_id=parent.id, recipe_id=saved.id,
                      source_hash=parent.content_hash,
                      notes=(f"recipe {saved.name} v{saved.version}", f"{len(frame) - len(kept):,} rows filtered out"))
    with workspace.db.transaction() as cursor:
        dataset = dataset_store.insert(cursor, project_id=project.id, name=parent.name, table=frozen,
                                       content_hash=content_hash, lineage=lineage, auxiliary=False,
                                       created_by=actor.name)
        audit_log.append(cursor, actor=actor.name, action="dataset.frozen", entity=f"dataset:{dataset.id}",
                         details={"parent_id": parent.id, "recipe_id": saved.id, "rows": dataset.rows,
                                  "content_hash": content_hash})
    return dataset


def freeze_with_suggested_recipe(workspace: Workspace, actor: User, dataset_id: int, *, name: str | None = None,
                                 ignore: tuple[str, ...] = ()) -> DatasetVersion:
    """Suggest, save, freeze: the default recipe of a dataset (``ignore`` columns set aside) saved as a
    new version of recipe ``name`` (default ``<dataset>-suggested``), then a version frozen with it.

    The frozen version's ``lineage.recipe_id`` names the recipe saved.
    """
    require(actor, Permission.EDIT_DATA)
    dataset = get_dataset(workspace, dataset_id)
    project = get_project(workspace, dataset.project_id)
    recipe = suggested_recipe(workspace, dataset, project, ignore=ignore)
    default = f"{dataset.name[:70]}-suggested"  # a name may be 80 characters, a recipe name too
    saved = save_recipe(workspace, actor, project.id, name or default, recipe, dataset)
    return freeze_dataset(workspace, actor, dataset.id, saved.id)


def create_split(workspace: Workspace, actor: User, dataset_id: int, *, method: str | None = None,
                 seed: int = 42, test_size: float = 0.2, validation_size: float = 0.0,
                 column: str | None = None) -> Split:
    """Split a primary dataset version into train / (validation) / test rows reproducibly from ``seed``:
    ``method`` is random, stratified (on the target), group or time (on ``column``), or None for the one
    that fits the project's task (:func:`~lifecycle.data.splits.default_method`); sizes are shares of the
    rows in (0, 1). The assignment's hash is stored so reuse re-checks it. Raises PermissionDenied,
    NotFound, InputError naming the bad option or column."""
    require(actor, Permission.EDIT_DATA)
    dataset = get_dataset(workspace, dataset_id)
    if dataset.auxiliary:
        raise InputError(f"{dataset.label} is an auxiliary table without the target.",
                         "Split a primary dataset version.")
    project = get_project(workspace, dataset.project_id)
    if method is None:
        method = default_method(project.task)
    spec = SplitSpec(method=method, seed=seed, test_size=test_size, validation_size=validation_size, column=column)
    if column is not None and column not in dataset.column_names:
        raise InputError(f"Split column {column!r} is not in {dataset.label}.",
                         f"Choose one of: {', '.join(dataset.column_names)}.")
    assignment = assign_split(load_frame(workspace, dataset), spec, project.target)
    with workspace.db.transaction() as cursor:
        split = preparation_store.insert_split(
            cursor, dataset_id=dataset.id, method=method, seed=seed, test_size=test_size,
            validation_size=validation_size, column=column, counts=split_counts(assignment),
            assignment_hash=assignment_hash(assignment), created_by=actor.name)
        audit_log.append(cursor, actor=actor.name, action="split.created", entity=f"split:{split.id}",
                         details={"dataset_id": dataset.id, **spec.to_dict(), "counts": split.counts})
    return split


def splits_for(workspace: Workspace, dataset_id: int) -> list[Split]:
    """Every split of a dataset version, oldest first."""
    return preparation_store.splits_for_dataset(workspace.db.cursor(), dataset_id)


def split_assignment(workspace: Workspace, split: Split, *, frame: pd.DataFrame | None = None) -> pd.Series:
    """Recompute a split from its seed and check it matches the one on record: one label
    ("train", "validation" or "test") per row of the dataset version.

    ``frame`` is the version's rows when the caller has loaded them already (every column, as
    :func:`~lifecycle.data.datasets.load_frame` gives them), so they are not loaded again.
    Raises InputError when the split no longer reproduces."""
    dataset = get_dataset(workspace, split.dataset_id)
    project = get_project(workspace, dataset.project_id)
    spec = SplitSpec(method=split.method, seed=split.seed, test_size=split.test_size,
                     validation_size=split.validation_size, column=split.column)
    rows = load_frame(workspace, dataset) if frame is None else frame
    assignment = assign_split(rows, spec, project.target)
    if assignment_hash(assignment) != split.assignment_hash:
        raise InputError(f"Split #{split.id} no longer reproduces from its seed (library versions changed?).",
                         "Create a new split on this dataset version.")
    return assignment
