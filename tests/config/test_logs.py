"""LOG_FORMAT=json gives one JSON object per line, with the exception when there is one."""
import json
import logging

from config.logs import JsonFormatter, configure_logging
from config.settings import load_settings


def test_json_lines(capsys):
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        configure_logging(load_settings(env_file=None, log_format="json", log_level="INFO"))
        log = logging.getLogger("rag.test")
        log.info("answered in space %s", "демо")
        try:
            raise ValueError("boom")
        except ValueError:
            log.exception("failed")
        lines = capsys.readouterr().err.strip().splitlines()
    finally:  # the handler writes to this test's captured stderr: later tests must not log into it
        root.handlers[:], root.level = handlers, level
    first, second = (json.loads(line) for line in lines[-2:])
    assert first["message"] == "answered in space демо" and first["level"] == "INFO" and first["logger"] == "rag.test"
    assert second["level"] == "ERROR" and "ValueError: boom" in second["exception"]


def test_json_formatter_keeps_one_line_per_record():
    record = logging.LogRecord("x", logging.WARNING, __file__, 1, "two\nlines", None, None)
    line = JsonFormatter().format(record)
    assert "\n" not in line and json.loads(line)["message"] == "two\nlines"
