--
-- PostgreSQL database dump
--

\restrict k1

SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);

CREATE FUNCTION public.f() RETURNS integer
    LANGUAGE plpgsql
    AS $_$ begin return $$;$$; end $_$;

COPY public.t (id, s) FROM stdin;
1	a\tb;\nc
2	\N
3	back\\slash;'q $$
\.

\unrestrict k1
\connect postgres
COPY t FROM stdin WITH (FORMAT csv);
1,"two
lines"
\.
SELECT :'USER';
