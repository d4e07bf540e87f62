"""`exceptions` for sqlfluff's jinja templater: a compile-time refusal renders nothing when linting
(https://docs.getdbt.com/reference/dbt-jinja-functions/exceptions)."""


def raise_compiler_error(message):
    return ""


def warn(message):
    return ""
