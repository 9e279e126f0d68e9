"""One module per stage process. The runner imports a stage only when it runs it."""

STAGES: dict[str, str] = {
    "dialer": "stages.dialer:DialerStage",
    "intake": "stages.intake:IntakeStage",
    "processor": "stages.processor:ProcessorStage",
    "delivery": "stages.delivery:DeliveryStage",
}
