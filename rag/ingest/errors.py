"""The one error a reader raises for a file it cannot turn into text."""


class UnreadableFile(Exception):
    """The file cannot be turned into text; the message is shown to the user as is."""
