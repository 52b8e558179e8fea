"""The client- and worker-facing subcommands of the ``swfasync`` command."""
