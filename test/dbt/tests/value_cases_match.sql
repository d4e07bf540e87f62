-- Every case of the shared value case table gives, in SQL, what the table expects.
select case_id, kind, input, expected, reason, actual_value, actual_reason
from {{ ref('value_case_results') }}
where not matches
