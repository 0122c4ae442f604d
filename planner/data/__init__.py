"""The data layer: the shipped default dataset, loaders, validation and the default-data build."""

from planner.data.dataset import REGIME_MEASURES, Dataset
from planner.data.loaders import (
    dataset_sha256,
    default_data_dir,
    load_baci,
    load_dataset,
    load_vdem,
    load_wdi,
    read_table,
)
from planner.data.network import (
    Network,
    adversary_content,
    exposure_table,
    read_network,
    value_added_origin,
    write_network,
)
from planner.data.validation import DataError, Issue, ValidationReport

__all__ = [
    "REGIME_MEASURES",
    "DataError",
    "Dataset",
    "Issue",
    "Network",
    "ValidationReport",
    "adversary_content",
    "dataset_sha256",
    "default_data_dir",
    "exposure_table",
    "load_baci",
    "load_dataset",
    "load_vdem",
    "load_wdi",
    "read_network",
    "read_table",
    "value_added_origin",
    "write_network",
]
