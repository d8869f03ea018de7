// The names every object inherits from Object.prototype: as a key of a plain object, `__proto__`
// sets the prototype and the others read a function. Tests and fuzzers use them wherever input
// becomes a lookup key (statuses, param keys, filter keys and values, CSV headers and cells).
export const PROTOTYPE_NAMES = [
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'prototype',
  'isPrototypeOf',
] as const
