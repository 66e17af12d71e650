"""Qinglian's event contracts: JSON Schemas (the source of truth) and the Python API over them.

    contracts.registry   validate(event), event_types(), type_info(type), domain_of(type)
    contracts.envelope   new_event(type, source, school_id, data, *, time, …)
    contracts.pii        pseudonymize(event, key), clear_values(event), is_pseudonym(value)
    contracts.errors     ContractError, ContractViolation(.violations), UnknownEventType, Violation
    contracts.types      generated TypedDicts, EVENT_TYPES
    contracts.compat     check_backward_compatible(old, new)

See contracts/README.md for the conventions and EVOLUTION.md for the change rules.
"""
