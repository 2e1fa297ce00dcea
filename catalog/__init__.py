"""Describing and finding data in the JNT data space: the géo-concept registry, characterisation sheets (the 10
criteria as DCAT-AP 3 / GeoDCAT-AP), SHACL validation, ISO 19139 import, the DSP catalog protocol and the
federated catalogue. Depends on `policies` only; network identity is injected, never imported from `connector`.

Nothing is implemented here yet: see the open issues (sheets, federated catalogue)."""
