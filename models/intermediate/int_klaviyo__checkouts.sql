-- One row per checkout of the optional checkouts input, with its event id, its person or email,
-- and why its Started Checkout cannot be sent (`problem_code`, `problem`): a start time that is
-- missing or that the timestamp rule refuses, no person and no email typed, an email typed that
-- is not valid, or lines that cannot be sent. The event id follows Klaviyo's event id convention
-- for a checkout, its id and start time
-- (https://developers.klaviyo.com/en/docs/guide_to_integrating_a_platform_without_a_pre_built_klaviyo_integration);
-- a checkout without a start time, which is never sent, is keyed by its id alone.
with lines as (
    select * from {{ ref('int_klaviyo__checkout_lines') }}
),

checkouts as (
    select
        checkout_id,
        max(person_id) as person_id,
        max(email) as email,
        max(started_at) as started_at,
        min(started_at_problem) as started_at_problem,
        min(case when started_at_problem is not null then started_at_text end) as started_at_text,
        max(currency) as currency,
        max(checkout_url) as checkout_url,
        sum(row_total) as checkout_total,
        sum(case when problem is not null then 1 else 0 end) as bad_lines,
        min(problem) as first_line_problem
    from lines
    group by checkout_id
),

final as (
    select
        coalesce(
            checkout_id || '_'
            || cast({{ dbt.datediff("cast('1970-01-01' as " ~ dbt.type_timestamp() ~ ")", 'started_at', 'second') }} as {{ dbt.type_string() }}),
            checkout_id
        ) as event_id,
        checkout_id,
        person_id,
        email,
        started_at,
        currency,
        checkout_url,
        checkout_total,
        case
            when started_at_problem is not null then 'started_at_' || started_at_problem
            when started_at is null then 'no_start_time'
            when person_id is null and nullif(email, '') is null then 'no_identifier'
            when person_id is null and {{ klaviyo__email_problem('email') }} is not null then 'invalid_email'
            when bad_lines > 0 then 'lines_not_shippable'
        end as problem_code,
        case
            when started_at_problem is not null
                then 'started_at "' || started_at_text || '" cannot be read as a time ('
                || started_at_problem || ', docs/value-rules.md)'
            when started_at is null then 'started_at is empty'
            when person_id is null and nullif(email, '') is null
                then 'no customer id naming a person and no email typed: Klaviyo would not know whose checkout it is'
            when person_id is null and {{ klaviyo__email_problem('email') }} is not null
                then 'no customer id naming a person, and the email typed "' || email || '" is not a valid email address'
            when bad_lines > 0 then cast(bad_lines as {{ dbt.type_string() }}) || ' line(s) cannot be sent: ' || first_line_problem
        end as problem
    from checkouts
)

select * from final
