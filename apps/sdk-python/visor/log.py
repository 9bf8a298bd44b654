"""The shell's log (lines tagged with the app's name) and its monotonic clock."""

from wit_world.imports import clock, log


def info(message):
    log.write(log.Level.INFO, str(message))


def warn(message):
    log.write(log.Level.WARN, str(message))


def error(message):
    log.write(log.Level.ERROR, str(message))


def now_seconds():
    """Seconds on the shell's monotonic clock (the clock of `display_time_ns`)."""
    return clock.now_ns() * 1e-9
