"""The package's own namespace (`klaviyo_runner.<macro>`) for sqlfluff's jinja templater: each name is
the macro of that name loaded from macros/ (https://docs.getdbt.com/reference/dbt-jinja-functions/dispatch)."""

from jinja2 import pass_context


def __getattr__(name):
    @pass_context
    def call(context, *args, **kwargs):
        return context[name](*args, **kwargs)

    return call
