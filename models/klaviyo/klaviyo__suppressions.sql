-- Klaviyo's suppression and consent state per email, the input of a sync's `scope`.
-- is_suppressed is read by the boolean rule (docs/value-rules.md): a flag given as text the rule
-- refuses ("oui", "2") counts as suppressed, so no sync writes to an email whose suppression
-- cannot be read; is_suppressed_problem says so, the build warns, and klaviyo__rejected_rows
-- names the Winback list members it keeps out.
with suppressions as (
    select * from {{ ref(var('klaviyo__suppressions_model')) }}
),

final as (
    select
        {{ klaviyo__normalize_email('email') }} as email,
        coalesce({{ klaviyo__parse_boolean('is_suppressed') }}, {{ klaviyo__boolean_problem('is_suppressed') }} is not null) as is_suppressed,
        {{ klaviyo__boolean_problem('is_suppressed') }} as is_suppressed_problem,
        cast(is_suppressed as {{ dbt.type_string() }}) as is_suppressed_text,
        -- in any case, as the runner compares it (upper); empty is never subscribed
        coalesce(nullif(upper(trim(email_consent)), ''), 'NEVER_SUBSCRIBED') as email_consent
    from suppressions
)

select * from final
