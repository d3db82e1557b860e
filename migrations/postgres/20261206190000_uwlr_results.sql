-- UWLR results (issue 12): the betrouwbaarheidsinterval of a vaardigheidsscore (bivlaag, bivhoog),
-- kept for the growth rule.
ALTER TABLE results ADD COLUMN ability_low DOUBLE PRECISION;
ALTER TABLE results ADD COLUMN ability_high DOUBLE PRECISION;
