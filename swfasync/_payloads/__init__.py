"""Payload codecs and the data converter that applies them (see ``swfasync.converter``)."""
