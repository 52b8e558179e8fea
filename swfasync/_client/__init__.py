"""Client internals: the aiobotocore connection, handles, registration, timelines."""
