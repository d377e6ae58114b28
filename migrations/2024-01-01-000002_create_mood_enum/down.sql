DROP SCHEMA reporting;

DROP TYPE mood;
