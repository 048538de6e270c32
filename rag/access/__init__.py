"""Who may do what: users with per-space roles and a global admin (passwords hashed with argon2), and API keys that
belong to a user and may be limited to some spaces, scopes and a time (stored hashed, shown once). Everything lives
in the store's registry, next to the spaces, so app replicas share it."""
