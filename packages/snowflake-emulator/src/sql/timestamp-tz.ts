// TIMESTAMP_TZ values in DuckDB: the struct, the macros that build and render it, the SQL that makes one.
import { TZ_TYPE, TZ_TYPE_TEXT } from './types.js';

/**
 * TIMESTAMP_TZ in DuckDB.
 *
 * Snowflake keeps each TIMESTAMP_TZ value's own UTC offset; DuckDB's TIMESTAMPTZ keeps the instant only. So a
 * TIMESTAMP_TZ column is a DuckDB STRUCT of the instant and the offset in minutes ({@link TZ_TYPE}). The struct
 * passes whole through SELECT, INSERT ... SELECT, CREATE TABLE AS, views, subqueries, UNION ALL, CASE, COALESCE,
 * ORDER BY (instant first, so the order is the instants'), MIN/MAX and window functions, and the result writer
 * renders it as the driver reads it (`"<epoch seconds> <offset + 1440>"`). What DuckDB cannot do with a struct (a
 * function, an arithmetic) fails to bind and is answered `unsupported in the local Snowflake` rather than with a
 * value computed in the session's zone. Comparisons, casts and CONVERT_TIMEZONE of a column are rewritten by
 * timestamp-tz-rewrite.ts (casts: timestamp-tz-casts.ts); values are built from text by the {@link TZ_FROM_TEXT} macro (each session's
 * connection creates the macros, see {@link TZ_MACROS}).
 */
export { TZ_TYPE, TZ_TYPE_TEXT };

/** Macro: a TIMESTAMP_TZ struct from text (any text the cast to VARCHAR of a value gives). */
export const TZ_FROM_TEXT = '__KICKSAW_TZ';

/** Macro: the TIMESTAMP_NTZ of a TIMESTAMP_TZ struct (its wall-clock time at its own offset). */
export const TZ_TO_NTZ = '__KICKSAW_TZ_NTZ';

/** Macro: a TIMESTAMP_TZ struct's text as Snowflake's default TIMESTAMP_TZ_OUTPUT_FORMAT writes it. */
export const TZ_TO_TEXT = '__KICKSAW_TZ_TEXT';

/** Macro: a TIMESTAMP_TZ struct moved to a time zone (same instant, that zone's offset at it). */
export const TZ_AT_ZONE = '__KICKSAW_TZ_AT';

/** A Snowflake timestamp text: date, time, then an optional UTC offset (`Z`, `+05:30`, `-0800`, `+05`). */
const TEXT_PATTERN = String.raw`^(\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)\s*(Z|[+-]\d{2}(?::?\d{2})?)$`;

/**
 * The macros each session's connection creates (TEMP, so per connection). Text with an offset keeps it; text
 * without one (and a TIMESTAMP_NTZ or TIMESTAMP_LTZ value's text) takes the session time zone's offset at that
 * instant, as Snowflake does; the text of a struct (`{'sf_instant': '...', 'sf_offset': n}`) gives it back.
 */
export const TZ_MACROS = [
  `CREATE TEMP MACRO __KICKSAW_TZ_MINUTES(off) AS CASE WHEN off = 'Z' THEN 0 ELSE
    (CASE WHEN starts_with(off, '-') THEN -1 ELSE 1 END) *
    (CAST(substr(replace(off, ':', ''), 2, 2) AS INTEGER) * 60 +
     CASE WHEN length(replace(off, ':', '')) >= 5 THEN CAST(substr(replace(off, ':', ''), 4, 2) AS INTEGER) ELSE 0 END) END`,
  `CREATE TEMP MACRO __KICKSAW_TZ_PARTS(t, p) AS CASE
    WHEN p.off = '' THEN {'sf_instant': CAST(t AS TIMESTAMPTZ), 'sf_offset': CAST(date_part('timezone', CAST(t AS TIMESTAMPTZ)) // 60 AS SMALLINT)}
    ELSE {'sf_instant': CAST(p.base || CASE WHEN p.off = 'Z' THEN '+00:00' ELSE p.off END AS TIMESTAMPTZ), 'sf_offset': CAST(__KICKSAW_TZ_MINUTES(p.off) AS SMALLINT)} END`,
  `CREATE TEMP MACRO ${TZ_FROM_TEXT}(t) AS CASE
    WHEN t IS NULL THEN NULL
    WHEN starts_with(t, '{') THEN {'sf_instant': CAST(regexp_extract(t, '''sf_instant'': ''([^'']*)''', 1) AS TIMESTAMPTZ), 'sf_offset': CAST(regexp_extract(t, '''sf_offset'': (-?\\d+)', 1) AS SMALLINT)}
    ELSE __KICKSAW_TZ_PARTS(trim(t), regexp_extract(trim(t), '${TEXT_PATTERN}', ['base', 'off'])) END`,
  `CREATE TEMP MACRO ${TZ_TO_NTZ}(v) AS CAST(timezone('UTC', struct_extract(v, 'sf_instant')) + to_minutes(CAST(struct_extract(v, 'sf_offset') AS BIGINT)) AS TIMESTAMP)`,
  `CREATE TEMP MACRO ${TZ_TO_TEXT}(v) AS strftime(${TZ_TO_NTZ}(v), '%Y-%m-%d %H:%M:%S.%g') || ' ' ||
    CASE WHEN struct_extract(v, 'sf_offset') < 0 THEN '-' ELSE '+' END ||
    lpad(CAST(abs(struct_extract(v, 'sf_offset')) // 60 AS VARCHAR), 2, '0') || lpad(CAST(abs(struct_extract(v, 'sf_offset')) % 60 AS VARCHAR), 2, '0')`,
  `CREATE TEMP MACRO ${TZ_AT_ZONE}(zone, v) AS CASE WHEN v IS NULL THEN NULL ELSE {'sf_instant': struct_extract(v, 'sf_instant'),
    'sf_offset': CAST(date_diff('minute', timezone('UTC', struct_extract(v, 'sf_instant')), timezone(zone, struct_extract(v, 'sf_instant'))) AS SMALLINT)} END`,
];

/** DuckDB SQL turning any value (text, TIMESTAMP_NTZ/LTZ, DATE, a TIMESTAMP_TZ struct) into a TIMESTAMP_TZ struct. */
export function toTimestampTzSql(value: string): string {
  return `${TZ_FROM_TEXT}(CAST(${value} AS VARCHAR))`;
}
