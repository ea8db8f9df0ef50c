"""The plugin database: engine and sessions (api), models, migrations, allocators."""
