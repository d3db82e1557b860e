-- Betrouwbaarheidsinterval of a vaardigheidsscore (OSO/UWLR bivlaag/bivhoog): the margin
-- no_growth allows for measurement error (issue 16, item 9).
ALTER TABLE results ADD COLUMN ability_low DOUBLE PRECISION;
ALTER TABLE results ADD COLUMN ability_high DOUBLE PRECISION;
