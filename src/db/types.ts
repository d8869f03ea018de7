// How every driver of the db factory reads values, so the code above it never asks which driver
// it runs on: a bigint (count(*), ids) as a number (ids stay far below 2^53), json and jsonb as
// the value they hold, never as text.
export const INT8_OID = 20
export const JSON_OID = 114
export const JSONB_OID = 3802

export const TYPE_PARSERS: Record<number, (text: string) => unknown> = {
  [INT8_OID]: Number,
  [JSON_OID]: (text) => JSON.parse(text),
  [JSONB_OID]: (text) => JSON.parse(text),
}
