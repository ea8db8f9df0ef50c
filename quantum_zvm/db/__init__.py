"""The plugin database: engine and transactions (api), models, migrations, allocators."""
