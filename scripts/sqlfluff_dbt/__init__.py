"""What dbt gives the package's SQL, for sqlfluff's jinja templater (.sqlfluff `library_path`).

Linting renders each model with the macros of macros/ as dbt-duckdb would, without a warehouse
or a dbt parse: `var` reads the vars of dbt_project.yml, `adapter.dispatch` picks the duckdb__
or default__ macro, `dbt.*` renders dbt's cross-database macros for DuckDB, and `exceptions`
renders nothing (https://docs.sqlfluff.com/en/stable/configuration/templating/jinja.html).
"""

import os
from types import SimpleNamespace

import yaml
from jinja2 import pass_context

_PROJECT = os.path.join(os.path.dirname(__file__), "..", "..", "dbt_project.yml")


with open(_PROJECT, encoding="utf-8") as _f:
    _CONFIG = yaml.safe_load(_f) or {}


def _project_vars():
    declared = _CONFIG.get("vars") or {}
    # Vars scoped to the package (`vars: {klaviyo_runner: {...}}`) apply to its models too.
    scoped = declared.get("klaviyo_runner") or {}
    return {**{k: v for k, v in declared.items() if k != "klaviyo_runner"}, **scoped}


_VARS = _project_vars()

# dbt's target: the in-repo DuckDB profile (https://docs.getdbt.com/reference/dbt-jinja-functions/target).
target = SimpleNamespace(
    profile_name=_CONFIG.get("profile", "klaviyo_runner"), name="dev", type="duckdb", schema="main"
)


@pass_context
def var(context, name, default=None):
    """dbt's var(): the project's value, rendered when it is Jinja, else the default
    (https://docs.getdbt.com/reference/dbt-jinja-functions/var)."""
    value = _VARS.get(name, default)
    if isinstance(value, str) and "{{" in value:
        return context.environment.from_string(value).render(context.get_all())
    return value
