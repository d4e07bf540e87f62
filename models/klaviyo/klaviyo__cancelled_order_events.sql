-- One Cancelled Order event per shippable order that was cancelled or voided, sent to the
-- person its Placed Order went to; event_id is "<order id>:cancelled". The SQL is shared by the three
-- order change models (macros/klaviyo__order_change_events.sql).
{{ klaviyo__order_change_events('cancelled') }}
