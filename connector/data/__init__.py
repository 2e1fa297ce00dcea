"""The provider's data plane. Data sources (`sources`): where a published dataset's bytes, features or observations
come from — a local file or folder under the provider's data directory, an HTTP(S) upstream, a PostgreSQL query, a
real-time feed; `parse_source(dataset.data_source, base_dir=...)` checks the declaration and returns a `DataSource`
whose `describe`, `open`, `features` and `observations` give streams with flat memory, every failure being a
`DataSourceError` naming the field at fault. The consumer's side: `consumer` (pulling a transfer's data with its
EDR into the received directory) and `duties` (delete-by dates from agreements, the sweeper that deletes the copies
past their date)."""

from .sources import *  # noqa: F403
from .sources import __all__  # noqa: F401
