"""dbt's cross-database macros the package calls, as dbt-duckdb renders them, for sqlfluff's jinja
templater (https://docs.getdbt.com/reference/dbt-jinja-functions/cross-database-macros)."""


def type_string():
    return "varchar"


def type_int():
    return "integer"


def type_timestamp():
    return "timestamp"


def current_timestamp_in_utc_backcompat():
    return "current_timestamp"


def dateadd(datepart, interval, from_date_or_timestamp):
    return f"date_add({from_date_or_timestamp}, interval ({interval}) {datepart})"


def datediff(first_date, second_date, datepart):
    return f"date_diff('{datepart}', {first_date}::timestamp, {second_date}::timestamp)"
