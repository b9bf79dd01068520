"""textwash flows: Prefect orchestration, readers, writers, the Parquet schema, the CLI."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("textwash")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
