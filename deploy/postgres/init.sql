-- One database per JNT service, owned by the `jnt` role the PostgreSQL image creates (POSTGRES_USER).
-- Run once, when the postgres volume is empty; for a connector added later:
--   docker compose -f deploy/compose.yaml exec postgres createdb -U jnt NAME
CREATE DATABASE authority OWNER jnt;
CREATE DATABASE catalogue OWNER jnt;
CREATE DATABASE ddtm44 OWNER jnt;
CREATE DATABASE enedis OWNER jnt;
CREATE DATABASE regionpdl OWNER jnt;
