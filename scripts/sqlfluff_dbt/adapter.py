"""`adapter` for sqlfluff's jinja templater: the dbt calls the package's macros make, without a warehouse.

dispatch finds the DuckDB implementation of a macro, else its default, in the macros sqlfluff
loaded from macros/, as dbt does for dbt-duckdb
(https://docs.getdbt.com/reference/dbt-jinja-functions/dispatch). No relation's columns are known
when linting, as at dbt parse time, so optional columns render as typed nulls.
"""

from jinja2 import pass_context


@pass_context
def dispatch(context, macro_name, macro_namespace=None):
    for prefix in ("duckdb__", "default__"):
        macro = context.get(prefix + macro_name)
        if macro is not None:
            return macro
    raise LookupError(f"no duckdb__ or default__ implementation of {macro_name} in macros/")


def get_columns_in_relation(relation):
    return []
