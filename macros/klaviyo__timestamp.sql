{#
  The timestamp rule (docs/value-rules.md), as runner/transform/timestamp.ts: ISO 8601 text with
  or without a zone (none is UTC), "DD/MM/YYYY" or "MM/DD/YYYY" (slashes or dots, optional time)
  read in `date_order` ('dmy', 'mdy', or null: refused as ambiguous when the readings differ), and
  epoch seconds (9-10 digits) or milliseconds (12-13 digits). Calendar fields are checked, never
  rolled over. The instant is computed as epoch milliseconds with Howard Hinnant's days_from_civil
  (https://howardhinnant.github.io/date_algorithms.html#days_from_civil), so no warehouse function
  can roll an impossible date into the next month. Returns the SQL of the value (a UTC timestamp)
  and of the reason code.
#}
{% macro klaviyo__timestamp_sql(expr, date_order='null') -%}
  {%- set text = "nullif(trim(cast(" ~ expr ~ " as varchar)), '')" -%}
  {%- set iso = "([0-9]{4})-([0-9]{2})-([0-9]{2})([T ]([0-9]{2}):([0-9]{2})(:([0-9]{2})([.,]([0-9]+))?)?)?[ ]?(Z|z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)?" -%}
  {%- set slashed = "([0-9]{1,2})[/.]([0-9]{1,2})[/.]([0-9]{4})( ([0-9]{2}):([0-9]{2})(:([0-9]{2}))?)?" -%}
  {%- set is_epoch = klaviyo_runner.klaviyo__matches(text, "([0-9]{9,10}|[0-9]{12,13})") -%}
  {%- set is_iso = klaviyo_runner.klaviyo__matches(text, iso) -%}
  {%- set is_slashed = klaviyo_runner.klaviyo__matches(text, slashed) -%}
  {#- DuckDB reads at most 9 groups, so the date and the rest are matched apart. -#}
  {%- set rest = "([T ]([0-9]{2}):([0-9]{2})(:([0-9]{2})([.,]([0-9]+))?)?)?[ ]?(Z|z|UTC|[+-][0-9]{2}(:?[0-9]{2})?)?" -%}
  {%- set rest_text = "substr(" ~ text ~ ", 11)" -%}
  {%- set g = {'y': "substr(" ~ text ~ ", 1, 4)", 'm': "substr(" ~ text ~ ", 6, 2)", 'd': "substr(" ~ text ~ ", 9, 2)"} -%}
  {%- for name, n in [('h', 2), ('mi', 3), ('s', 5), ('frac', 7), ('zone', 8)] -%}
    {%- do g.update({name: klaviyo_runner.klaviyo__regex_group(rest_text, "^" ~ rest ~ "$", n)}) -%}
  {%- endfor -%}
  {%- set sg = {} -%}
  {%- for name, n in [('a', 1), ('b', 2), ('y', 3), ('h', 5), ('mi', 6), ('s', 8)] -%}
    {%- do sg.update({name: klaviyo_runner.klaviyo__try_integer(klaviyo_runner.klaviyo__regex_group(text, "^" ~ slashed ~ "$", n))}) -%}
  {%- endfor -%}
  {%- set zone = g.zone -%}
  {%- set zone_hours = klaviyo_runner.klaviyo__try_integer("substr(" ~ zone ~ ", 2, 2)") -%}
  {%- set zone_minutes = klaviyo_runner.klaviyo__try_integer("coalesce(nullif(substr(replace(" ~ zone ~ ", ':', ''), 4, 2), ''), '0')") -%}
  {%- set offset = "(case when " ~ zone ~ " is null or " ~ zone ~ " in ('Z', 'z', 'UTC') then 0 when " ~ zone ~ " like '-%' then -1 else 1 end * (case when " ~ zone ~ " is null or " ~ zone ~ " in ('Z', 'z', 'UTC') then 0 else " ~ zone_hours ~ " * 60 + " ~ zone_minutes ~ " end))" -%}
  {%- set zone_ok = "(" ~ zone ~ " is null or " ~ zone ~ " in ('Z', 'z', 'UTC') or (" ~ zone_hours ~ " <= 18 and " ~ zone_minutes ~ " <= 59))" -%}
  {%- set iso_y = klaviyo_runner.klaviyo__try_integer(g.y) -%}
  {%- set iso_m = klaviyo_runner.klaviyo__try_integer(g.m) -%}
  {%- set iso_d = klaviyo_runner.klaviyo__try_integer(g.d) -%}
  {%- set iso_h = "coalesce(" ~ klaviyo_runner.klaviyo__try_integer(g.h) ~ ", 0)" -%}
  {%- set iso_mi = "coalesce(" ~ klaviyo_runner.klaviyo__try_integer(g.mi) ~ ", 0)" -%}
  {%- set iso_s = "coalesce(" ~ klaviyo_runner.klaviyo__try_integer(g.s) ~ ", 0)" -%}
  {%- set iso_ms = klaviyo_runner.klaviyo__try_integer("substr(rpad(coalesce(" ~ g.frac ~ ", ''), 3, '0'), 1, 3)") -%}
  {%- set s_h = "coalesce(" ~ sg.h ~ ", 0)" -%}
  {%- set s_mi = "coalesce(" ~ sg.mi ~ ", 0)" -%}
  {%- set s_s = "coalesce(" ~ sg.s ~ ", 0)" -%}
  {%- set iso_valid = klaviyo_runner.klaviyo__civil_valid(iso_y, iso_m, iso_d, iso_h, iso_mi, iso_s) ~ " and " ~ zone_ok -%}
  {%- set dmy_valid = klaviyo_runner.klaviyo__civil_valid(sg.y, sg.b, sg.a, s_h, s_mi, s_s) -%}
  {%- set mdy_valid = klaviyo_runner.klaviyo__civil_valid(sg.y, sg.a, sg.b, s_h, s_mi, s_s) -%}
  {%- set iso_epoch = klaviyo_runner.klaviyo__civil_epoch_ms(iso_y, iso_m, iso_d, iso_h, iso_mi, iso_s, iso_ms) ~ " - " ~ offset ~ " * 60000" -%}
  {%- set dmy_epoch = klaviyo_runner.klaviyo__civil_epoch_ms(sg.y, sg.b, sg.a, s_h, s_mi, s_s, '0') -%}
  {%- set mdy_epoch = klaviyo_runner.klaviyo__civil_epoch_ms(sg.y, sg.a, sg.b, s_h, s_mi, s_s, '0') -%}
  {%- set epoch_digits = klaviyo_runner.klaviyo__try_integer(text) -%}
  {%- set problem -%}
    case
      when {{ text }} is null or {{ is_epoch }} then null
      when {{ is_iso }} then case when not ({{ iso_valid }}) then 'invalid_date' end
      when {{ is_slashed }} then
        case
          when {{ date_order }} = 'dmy' then case when not ({{ dmy_valid }}) then 'invalid_date' end
          when {{ date_order }} = 'mdy' then case when not ({{ mdy_valid }}) then 'invalid_date' end
          when {{ dmy_valid }} and {{ mdy_valid }} and {{ sg.a }} <> {{ sg.b }} then 'ambiguous_date_order'
          when not ({{ dmy_valid }}) and not ({{ mdy_valid }}) then 'invalid_date'
        end
      else 'not_a_timestamp'
    end
  {%- endset -%}
  {%- set epoch_ms -%}
    case
      when {{ text }} is null or ({{ problem }}) is not null then null
      when {{ is_epoch }} then case when length({{ text }}) <= 10 then {{ epoch_digits }} * 1000 else {{ epoch_digits }} end
      when {{ is_iso }} then {{ iso_epoch }}
      when {{ date_order }} = 'mdy' or ({{ date_order }} is null and not ({{ dmy_valid }})) then {{ mdy_epoch }}
      else {{ dmy_epoch }}
    end
  {%- endset -%}
  {{ return({'value': klaviyo_runner.klaviyo__timestamp_from_epoch_ms("(" ~ epoch_ms ~ ")"), 'problem': "(" ~ problem ~ ")"}) }}
{%- endmacro %}

{# Text as a whole number, null when it is not one. #}
{% macro klaviyo__try_integer(expr) -%}
  {{ return(adapter.dispatch('klaviyo__try_integer', 'klaviyo_runner')(expr)) }}
{%- endmacro %}

{% macro default__klaviyo__try_integer(expr) -%}
  try_cast({{ expr }} as bigint)
{%- endmacro %}

{# https://docs.snowflake.com/en/sql-reference/functions/try_to_decimal (TRY_TO_NUMBER) #}
{% macro snowflake__klaviyo__try_integer(expr) -%}
  try_to_number({{ expr }})
{%- endmacro %}

{# Whether calendar and clock fields name a real instant (Gregorian leap years). #}
{% macro klaviyo__civil_valid(y, m, d, h, mi, s) -%}
  coalesce(({{ y }} >= 1 and {{ m }} between 1 and 12 and {{ d }} >= 1
    and {{ d }} <= case
      when {{ m }} = 2 then case when ({{ y }} % 4 = 0 and {{ y }} % 100 <> 0) or {{ y }} % 400 = 0 then 29 else 28 end
      when {{ m }} in (4, 6, 9, 11) then 30
      else 31
    end
    and {{ h }} <= 23 and {{ mi }} <= 59 and {{ s }} <= 59), false)
{%- endmacro %}

{# Milliseconds since 1970-01-01 of valid civil fields (days_from_civil, linked above). #}
{% macro klaviyo__civil_epoch_ms(y, m, d, h, mi, s, ms) -%}
  {%- set yy = "(" ~ y ~ " - case when " ~ m ~ " <= 2 then 1 else 0 end)" -%}
  {%- set era = "floor(" ~ yy ~ " / 400.0)" -%}
  {%- set yoe = "(" ~ yy ~ " - " ~ era ~ " * 400)" -%}
  {%- set doy = "(floor((153 * ((" ~ m ~ " + 9) % 12) + 2) / 5.0) + " ~ d ~ " - 1)" -%}
  {%- set doe = "(" ~ yoe ~ " * 365 + floor(" ~ yoe ~ " / 4.0) - floor(" ~ yoe ~ " / 100.0) + " ~ doy ~ ")" -%}
  cast((({{ era }} * 146097 + {{ doe }} - 719468) * 86400 + {{ h }} * 3600 + {{ mi }} * 60 + {{ s }}) * 1000 + {{ ms }} as bigint)
{%- endmacro %}

{# A UTC timestamp from epoch milliseconds, per warehouse. #}
{% macro klaviyo__timestamp_from_epoch_ms(expr) -%}
  {{ return(adapter.dispatch('klaviyo__timestamp_from_epoch_ms', 'klaviyo_runner')(expr)) }}
{%- endmacro %}

{# https://duckdb.org/docs/stable/sql/functions/timestamp: epoch_ms(bigint) is a TIMESTAMP. #}
{% macro default__klaviyo__timestamp_from_epoch_ms(expr) -%}
  epoch_ms(cast({{ expr }} as bigint))
{%- endmacro %}

{# https://docs.snowflake.com/en/sql-reference/functions/to_timestamp: scale 3 reads milliseconds. #}
{% macro snowflake__klaviyo__timestamp_from_epoch_ms(expr) -%}
  to_timestamp_ntz(cast({{ expr }} as bigint), 3)
{%- endmacro %}

{# A timestamp (UTC) by the rule above; null when missing or refused (see klaviyo__timestamp_problem). #}
{% macro klaviyo__parse_timestamp(expr, date_order='null') -%}
  {{ klaviyo_runner.klaviyo__timestamp_sql(expr, date_order).value }}
{%- endmacro %}

{% macro klaviyo__timestamp_problem(expr, date_order='null') -%}
  {{ klaviyo_runner.klaviyo__timestamp_sql(expr, date_order).problem }}
{%- endmacro %}

{# ISO 8601 text in UTC, as the runner writes times: seconds always, milliseconds when not zero. #}
{% macro klaviyo__iso_utc(expr) -%}
  {{ return(adapter.dispatch('klaviyo__iso_utc', 'klaviyo_runner')(expr)) }}
{%- endmacro %}

{# https://duckdb.org/docs/stable/sql/functions/dateformat: %g is milliseconds. #}
{% macro default__klaviyo__iso_utc(expr) -%}
  case
    when epoch_ms({{ expr }}) % 1000 = 0 then strftime({{ expr }}, '%Y-%m-%dT%H:%M:%SZ')
    else strftime({{ expr }}, '%Y-%m-%dT%H:%M:%S.%gZ')
  end
{%- endmacro %}

{# https://docs.snowflake.com/en/sql-reference/functions-conversion#date-and-time-formats-in-conversion-functions #}
{% macro snowflake__klaviyo__iso_utc(expr) -%}
  case
    when date_part(epoch_millisecond, {{ expr }}) % 1000 = 0 then to_varchar({{ expr }}, 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
    else to_varchar({{ expr }}, 'YYYY-MM-DD"T"HH24:MI:SS.FF3"Z"')
  end
{%- endmacro %}

{#
  A time column of one of the package's inputs (`input`, e.g. 'orders'): a column the warehouse
  already types as a timestamp is taken as it is; a text column is read by the timestamp rule
  above, in the input's date order from the var klaviyo__date_orders ('dmy', 'mdy' or null), so
  "02/03/2025" in an export of unknown order is refused as ambiguous instead of failing the build
  or being guessed. The column's type is read from the warehouse
  (https://docs.getdbt.com/reference/dbt-jinja-functions/adapter#get_columns_in_relation); at
  parse time, with --no-introspect, and when `relation` is none (an optional input the project
  leaves empty, whose columns klaviyo__optional_input types) it is taken as typed. An `optional`
  column the input lacks is a typed null, as klaviyo__optional_column gives.
#}
{% macro klaviyo__input_time_sql(relation, column, alias, input, optional=false) -%}
  {%- set found = {} -%}
  {%- if execute and flags.INTROSPECT is not false and relation is not none -%}
    {%- for c in adapter.get_columns_in_relation(relation) -%}
      {%- if c.name | lower == column | lower -%}{%- do found.update({'text': c.is_string()}) -%}{%- endif -%}
    {%- endfor -%}
  {%- endif -%}
  {%- set none_problem = 'cast(null as ' ~ dbt.type_string() ~ ')' -%}
  {%- if optional and 'text' not in found -%}
    {{ return({'value': 'cast(null as ' ~ dbt.type_timestamp() ~ ')', 'problem': none_problem}) }}
  {%- endif -%}
  {%- set expr = alias ~ '.' ~ column -%}
  {%- if not found.get('text', false) -%}
    {{ return({'value': expr, 'problem': none_problem}) }}
  {%- endif -%}
  {%- set order = var('klaviyo__date_orders', {}).get(input) -%}
  {%- if order is not none and order not in ['dmy', 'mdy'] -%}
    {{ exceptions.raise_compiler_error("klaviyo__date_orders." ~ input ~ " is '" ~ order ~ "'; use dmy (31/12/2025), mdy (12/31/2025) or null (not known)") }}
  {%- endif -%}
  {%- set parsed = klaviyo_runner.klaviyo__timestamp_sql(expr, "'" ~ order ~ "'" if order else 'null') -%}
  {{ return({'value': parsed.value, 'problem': parsed.problem}) }}
{%- endmacro %}

{% macro klaviyo__input_time(relation, column, alias, input, optional=false) -%}
  {{ klaviyo_runner.klaviyo__input_time_sql(relation, column, alias, input, optional).value }}
{%- endmacro %}

{% macro klaviyo__input_time_problem(relation, column, alias, input, optional=false) -%}
  {{ klaviyo_runner.klaviyo__input_time_sql(relation, column, alias, input, optional).problem }}
{%- endmacro %}
