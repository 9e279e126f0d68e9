"""Everything Bolna-specific: the API client, call statuses, webhook events, the simulator."""
