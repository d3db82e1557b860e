-- The OPP procedure (issue 18 item 5): besluitdatum, datum opgesteld and instemming ouders on the
-- handelingsdeel, for OPPs from a source that records them (NULL: not yet, or unknown when the
-- besluitdatum is NULL too). Read by opp_not_drawn_up and opp_parents_agreement.
ALTER TABLE plans ADD COLUMN decided_on TEXT;
ALTER TABLE plans ADD COLUMN drawn_up_on TEXT;
ALTER TABLE plans ADD COLUMN parents_agreed_on TEXT;
