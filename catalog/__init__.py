"""Describing and finding data in the JNT data space: the géo-concept registry (`geoconcepts`), the
characterisation sheet with its 10 criteria and completeness (`sheet`), its DCAT-AP 3 / GeoDCAT-AP mapping
(`dcat`), SHACL validation with the official DCAT-AP 3 shapes and the JNT shapes (`shacl`), import from ISO 19139
records (`iso19139`) and CSW catalogues (`csw`), and the Dataspace Protocol catalog: rendering, paging and parsing
(`dsp_catalog`). Depends on `policies` only; network identity is injected, never imported from `connector`.

The federated catalogue (crawler, index, eligibility, access plans) is still to come."""
