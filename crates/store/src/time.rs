//! Timestamps are stored as UTC without zone, truncated to microseconds: PostgreSQL
//! keeps microseconds and SQLite keeps whatever it is given, so truncating here makes
//! both backends return exactly what was written.

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};

pub fn now() -> NaiveDateTime {
    to_db(Utc::now())
}

pub fn to_db(time: DateTime<Utc>) -> NaiveDateTime {
    time.naive_utc().trunc_subsecs(6)
}

pub fn from_db(time: NaiveDateTime) -> DateTime<Utc> {
    time.and_utc()
}
