-- The package's value macros applied to every row of the shared case table
-- (seeds/klaviyo_value_cases.csv, which the runner's tests read too): what each macro gives and
-- why it refuses, beside what the table expects. tests/value_cases_match.sql fails on any difference.
with cases as (
    select
        row_number() over (order by kind, input, decimal, date_order, currency, country) as case_id,
        kind,
        -- Characters a reader cannot see are written as \uXXXX in the table.
        replace(replace(replace(replace(replace(replace(replace(replace(replace(input,
            '\u00a0', chr(160)), '\u202f', chr(8239)), '\u2009', chr(8201)), '\u2212', chr(8722)),
            '\u2019', chr(8217)), '\u0009', chr(9)), '\u000a', chr(10)), '\u000d', chr(13)),
            '\u3000', chr(12288)) as input,
        decimal,
        date_order,
        currency,
        country,
        expected,
        reason,
        checked_in
    from {{ ref('klaviyo_value_cases') }}
),

country_keys as (
    select * from {{ ref('int_klaviyo__country_keys') }}
),

with_regions as (
    select
        cases.*,
        countries.country_key as matched_key,
        countries.country_code,
        {{ klaviyo_runner.klaviyo__country_problem('cases.country', 'countries') }} as phone_country_problem,
        input_countries.country_key as input_matched_key,
        input_countries.country_code as input_country_code,
        {{ klaviyo_runner.klaviyo__country_problem('cases.input', 'input_countries') }} as input_country_problem
    from cases
    left join country_keys as countries
        on countries.country_key = {{ klaviyo_runner.klaviyo__country_key('cases.country') }}
    left join country_keys as input_countries
        on input_countries.country_key = {{ klaviyo_runner.klaviyo__country_key('cases.input') }}
),

plans as (
    select
        with_regions.*,
        plan.calling_code,
        plan.national_prefix,
        plan.idd_prefix
    from with_regions
    left join country_keys as plan
        on plan.country_key = lower(coalesce(with_regions.country_code, '{{ var("klaviyo__default_phone_region", "US") }}'))
),

actual as (
    select
        case_id,
        kind,
        input,
        expected,
        reason,
        checked_in,
        case kind
            when 'money' then cast({{ klaviyo_runner.klaviyo__parse_money('input', 'decimal', 'currency') }} as varchar)
            when 'integer' then cast({{ klaviyo_runner.klaviyo__parse_integer('input', 'decimal') }} as varchar)
            when 'boolean' then cast({{ klaviyo_runner.klaviyo__parse_boolean('input') }} as varchar)
            when 'timestamp' then {{ klaviyo_runner.klaviyo__iso_utc(klaviyo_runner.klaviyo__parse_timestamp('input', 'date_order')) }}
            when 'email' then case when {{ klaviyo_runner.klaviyo__email_problem('input') }} is null then nullif({{ klaviyo_runner.klaviyo__normalize_email('input') }}, '') end
            when 'country' then input_country_code
            when 'phone' then {{ klaviyo_runner.klaviyo__phone_e164('input', 'plans', 'phone_country_problem') }}
            when 'url_segment' then {{ klaviyo_runner.klaviyo__url_segment('input') }}
        end as actual_value,
        case kind
            when 'money' then {{ klaviyo_runner.klaviyo__money_problem('input', 'decimal', 'currency') }}
            when 'integer' then {{ klaviyo_runner.klaviyo__integer_problem('input', 'decimal') }}
            when 'boolean' then {{ klaviyo_runner.klaviyo__boolean_problem('input') }}
            when 'timestamp' then {{ klaviyo_runner.klaviyo__timestamp_problem('input', 'date_order') }}
            when 'email' then {{ klaviyo_runner.klaviyo__email_problem('input') }}
            when 'country' then input_country_problem
            when 'phone' then {{ klaviyo_runner.klaviyo__phone_problem('input', 'plans', 'phone_country_problem') }}
        end as actual_reason
    from plans
),

final as (
    select
        *,
        case
            -- Numbering plans are the runner's to check: SQL must pass the number on, not drop it.
            when checked_in = 'runner' then actual_value is not null and actual_reason is null
            when kind in ('money', 'integer') then
                coalesce(cast(actual_value as decimal(38, 10)) = cast(expected as decimal(38, 10)), actual_value is null and expected is null)
                and coalesce(actual_reason = reason, actual_reason is null and reason is null)
            else
                coalesce(actual_value = expected, actual_value is null and expected is null)
                and coalesce(actual_reason = reason, actual_reason is null and reason is null)
        end as matches
    from actual
)

select * from final
