{#
  RFM quintile score (1-5, 5 best) of a measure over all scored people: recency on days since the
  last order (fewer = 5), frequency and monetary on the measure itself (more = 5). Built on
  percent_rank, not ntile: ntile splits tied values across buckets in whatever order the
  warehouse reads them, so a rebuild would move people between segments and resend them to
  Klaviyo; equal measures must get equal scores. Standard SQL on DuckDB and Snowflake alike.
#}
{% macro klaviyo__rfm_quintile(measure, higher_is_better=true) -%}
  {%- if higher_is_better not in [true, false] -%}
    {{ exceptions.raise_compiler_error("klaviyo__rfm_quintile: higher_is_better must be true or false, got " ~ higher_is_better) }}
  {%- endif -%}
  least(5, 1 + cast(floor(5 * percent_rank() over (order by {{ measure }} {{ 'asc' if higher_is_better else 'desc' }})) as integer))
{%- endmacro %}

{#
  Named segments from the three scores, after the common RFM grid: champions buy often and
  recently, loyal buy often, at_risk bought often but not lately, hibernating bought little and
  long ago, lost bought once long ago.
#}
{% macro klaviyo__rfm_segment(r, f, m) -%}
  case
    when {{ r }} >= 4 and {{ f }} >= 4 then 'champions'
    when {{ r }} >= 3 and {{ f }} >= 3 then 'loyal'
    when {{ r }} >= 4 and {{ f }} <= 2 then 'new'
    when {{ r }} <= 2 and {{ f }} >= 3 then 'at_risk'
    when {{ r }} = 1 and {{ f }} = 1 then 'lost'
    when {{ r }} <= 2 then 'hibernating'
    else 'potential'
  end
{%- endmacro %}
