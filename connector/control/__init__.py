"""The connector's control plane (DSP 2025-1): published datasets and offers, contract negotiation and transfer
process in both roles, agreements signed by the provider, the dispatcher that sends messages with retries, the DSP
HTTP binding and the management API."""
