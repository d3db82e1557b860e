-- UWLR results (issue 12): the betrouwbaarheidsinterval of a vaardigheidsscore (bivlaag, bivhoog),
-- kept for the growth rule.
ALTER TABLE results ADD COLUMN ability_low REAL;
ALTER TABLE results ADD COLUMN ability_high REAL;
