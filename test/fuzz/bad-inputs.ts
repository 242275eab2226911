import { mulberry32 } from '../../scripts/producer/rng';

/**
 * A seeded, pure generator of bad and boundary inputs for the ingest API (`POST /v1/events`,
 * `POST /v1/paths`): every field × wrong type, missing, at and over each limit, unicode edge
 * cases, dates, nesting, sizes, content types and malformed JSON. Each case carries what the API
 * must answer, stated from the documented rules (docs/ingest-api.md and the README's event
 * table), not from running the validator: an accepted event, or a refusal naming a field.
 *
 * Event and path-document cases are independent of each other and are sent many to a request;
 * request cases (the body as a whole) are sent one to a request. `fuzzInputs(seed, now, runId)`
 * gives the same inputs for the same arguments.
 */

/** The event fields and their length limits (characters, i.e. Unicode code points), as the README's event table states them. */
const STRING_FIELDS = {
  eventId: { max: 64, required: true },
  action: { max: 256, required: true },
  userId: { max: 64, required: true },
  sessionId: { max: 64, required: false },
  objectId: { max: 64, required: false },
  bizId: { max: 64, required: false },
  path: { max: 1024, required: false },
  errorMsg: { max: 1024, required: false },
} as const;
type StringField = keyof typeof STRING_FIELDS;
const STRING_FIELD_NAMES = Object.keys(STRING_FIELDS) as StringField[];

/** Fields that may be empty: only `errorMsg` has no minimum length. */
const MAY_BE_EMPTY: ReadonlySet<string> = new Set(['errorMsg']);

const PROPS_MAX_KEYS = 100;
const PROP_KEY_MAX = 128;
const PROP_STRING_MAX = 1024;
const CREATED_AT_MAX = 64;
const MAX_EVENTS = 500;
const MAX_BODY_BYTES = 1024 * 1024;
const MiB = 1024 * 1024;

/** What the API must do with one event (or path document). */
export type Expectation = { readonly kind: 'accept' } | { readonly kind: 'reject'; readonly field: string };

/** One event sent inside a `{"events":[…]}` batch. */
export interface EventCase {
  readonly category: string;
  readonly name: string;
  readonly event: unknown;
  readonly expect: Expectation;
}

/** One path document sent inside a `{"documents":[…]}` batch; every element shares its outcome. */
export interface PathCase {
  readonly category: string;
  readonly name: string;
  readonly document: unknown;
  /** How many results the document gives: its elements, or 1 when it has none. */
  readonly results: number;
  readonly expect: Expectation;
}

/** A whole request: the body as bytes, its content type (none: no header) and the answer it must get. */
export interface RequestCase {
  readonly category: string;
  readonly name: string;
  readonly route: '/v1/events' | '/v1/paths';
  readonly contentType?: string;
  /** Built when sent (some are megabytes). */
  readonly body: () => Buffer;
  /**
   * `refuse`: this status and `field` for the whole request. `accept`: every event accepted, `events`
   * of them (status 200).
   */
  readonly expect:
    { readonly kind: 'refuse'; readonly status: number; readonly field: string } | { readonly kind: 'accept'; readonly events: number };
}

/** Every input of one run. */
export interface FuzzInputs {
  readonly events: readonly EventCase[];
  readonly documents: readonly PathCase[];
  readonly requests: readonly RequestCase[];
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/** A field path as the API writes it: `props.amount`, `el[3].ct`, `props["a b"]`. */
export function fieldPath(parts: readonly (string | number)[]): string {
  return parts.reduce<string>((out, part) => {
    if (typeof part === 'number') return `${out}[${part}]`;
    if (IDENTIFIER.test(part)) return out === '' ? part : `${out}.${part}`;
    return `${out}[${JSON.stringify(part)}]`;
  }, '');
}

/** Text of exactly `length` characters (Unicode code points: an emoji is one) in the given script, starting with `lead`. */
function textOf(script: 'ascii' | 'cjk' | 'emoji', length: number, lead: string): string {
  const unit = script === 'ascii' ? 'x' : script === 'cjk' ? '汉' : '😀';
  const start = [...lead].slice(0, length);
  return start.join('') + unit.repeat(length - start.length);
}

/** Length as the limits count it: Unicode code points. */
const charLength = (text: string): number => [...text].length;

/** Unicode edge cases a producer may send inside an otherwise valid string. */
const UNICODE = {
  emoji: '😀',
  'emoji-zwj-family': '👨‍👩‍👧‍👦',
  'flag-pair': '🇨🇳',
  cjk: '用户行为分析',
  'lone-high-surrogate': '\ud800',
  'lone-low-surrogate': '\udc00',
  'reversed-surrogates': '\udc00\ud800',
  nul: '\u0000',
  'rtl-override': '\u202e',
  'rtl-mark': '\u200f',
  'combining-acute': 'e\u0301',
  'zalgo-stack': 'a\u0300\u0301\u0302\u0303\u0304\u0305\u0306\u0307',
  'zero-width-space': '\u200b',
  bom: '\ufeff',
  'line-separator': '\u2028',
  'newline-tab': '\n\t\r',
  'quote-backslash': '"\\',
  'max-code-point': '\u{10ffff}',
  'non-character': '\uffff',
  'html-tag': '<script>x</script>',
} as const;

/** Wrong-typed JSON values: anything but a string for a string field. */
const WRONG_TYPES: ReadonlyArray<readonly [string, unknown]> = [
  ['zero', 0],
  ['float', 1.5],
  ['negative', -1],
  ['true', true],
  ['false', false],
  ['null', null],
  ['empty-object', {}],
  ['object', { a: 1 }],
  ['empty-array', []],
  ['array-of-string', ['x']],
];

/** ISO 8601 strings in forms the API refuses (format), each with a short name. */
const BAD_DATE_FORMATS: ReadonlyArray<readonly [string, string]> = [
  ['word', 'yesterday'],
  ['date-only', '2024-05-27'],
  ['epoch-seconds', '1716781236'],
  ['epoch-millis', '1716781236000'],
  ['slashes', '2024/05/27 11:40:36'],
  ['week-date', '2024-W22-1T11:40:36'],
  ['ordinal-date', '2024-148T11:40:36'],
  ['two-spaces', '2024-05-27  11:40:36'],
  ['no-separator', '20240527T114036Z'],
  ['short-year', '24-05-27T11:40:36'],
  ['one-digit-month', '2024-5-27T11:40:36'],
  ['one-digit-hour', '2024-05-27T1:40:36'],
  ['ten-fraction-digits', '2024-05-27T11:40:36.1234567891Z'],
  ['empty-fraction', '2024-05-27T11:40:36.Z'],
  ['offset-one-digit', '2024-05-27T11:40:36+8'],
  ['offset-three-digits', '2024-05-27T11:40:36+080'],
  ['named-zone', '2024-05-27T11:40:36 CST'],
  ['zone-id', '2024-05-27T11:40:36[Asia/Shanghai]'],
  ['rfc-2822', 'Mon, 27 May 2024 11:40:36 GMT'],
  ['expanded-year', '+002024-05-27T11:40:36Z'],
  ['negative-year', '-002024-05-27T11:40:36Z'],
  ['fullwidth-digits', '２０２４-05-27T11:40:36'],
  ['arabic-indic-digits', '٢٠٢٤-05-27T11:40:36'],
  ['trailing-garbage', '2024-05-27T11:40:36Zjunk'],
  ['nul-inside', '2024-05-27T11:40\u000036'],
  ['hour-24', '2024-05-27T24:00:00'],
  ['minute-60', '2024-05-27T11:60:00'],
  ['leap-second', '2024-06-30T23:59:60Z'],
  ['month-00', '2024-00-10T10:00:00'],
  ['month-13', '2024-13-10T10:00:00'],
  ['day-00', '2024-05-00T10:00:00'],
  ['day-32', '2024-05-32T10:00:00'],
  ['too-long', `2024-05-27T11:40:36${'0'.repeat(CREATED_AT_MAX)}`],
];

/** A wall time `YYYY-MM-DDTHH:mm:ss` of an epoch ms, in UTC. */
const isoSeconds = (ms: number): string => new Date(ms).toISOString().slice(0, 19);

/** Whether `year-month-day` is a date of the Gregorian calendar (the oracle for day-of-month cases). */
function dayExists(year: number, month: number, day: number): boolean {
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

/**
 * Builds the inputs of one run. `now` bounds accepted event times (2000-01-01Z .. now + 1 day);
 * `runId` makes every `eventId` and `uvi` of the run unique, so a lake holding earlier runs
 * still tells this run's events apart.
 */
export function fuzzInputs(seed: number, now: Date, runId: string): FuzzInputs {
  const random = mulberry32(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const nowMs = now.getTime();
  const events: EventCase[] = [];
  const documents: PathCase[] = [];
  const requests: RequestCase[] = [];

  let serial = 0;
  const nextId = () => `${runId}-${(serial += 1).toString(36)}`;
  const recent = () => isoSeconds(nowMs - Math.floor(random() * 3_600_000)) + 'Z';
  /** A valid event of this run, with `overrides` applied (an `undefined` override removes the field). */
  const valid = (overrides: Record<string, unknown> = {}): Record<string, unknown> => {
    const event: Record<string, unknown> = {
      eventId: nextId(),
      action: pick(['fuzz_view', 'fuzz_click', 'fuzz_buy']),
      userId: `fu-${Math.floor(random() * 50)}`,
      createdAt: recent(),
    };
    for (const [key, value] of Object.entries(overrides)) {
      if (value === undefined) delete event[key];
      else event[key] = value;
    }
    return event;
  };
  const accept: Expectation = { kind: 'accept' };
  const reject = (field: string): Expectation => ({ kind: 'reject', field });
  const addEvent = (category: string, name: string, event: unknown, expect: Expectation) => events.push({ category, name, event, expect });

  // --- every field × wrong type, and missing ------------------------------------------------
  for (const field of [...STRING_FIELD_NAMES, 'createdAt']) {
    for (const [typeName, value] of WRONG_TYPES) addEvent('type', `${field}=${typeName}`, valid({ [field]: value }), reject(field));
    const required = field === 'createdAt' || STRING_FIELDS[field as StringField].required;
    addEvent('missing', `${field} missing`, valid({ [field]: undefined }), required ? reject(field) : accept);
  }
  for (const [typeName, value] of [
    ['string', 'x'],
    ['number', 5],
    ['true', true],
    ['null', null],
    ['empty-array', []],
    ['array', [{ a: 1 }]],
  ] as const) {
    addEvent('type', `props=${typeName}`, valid({ props: value }), reject('props'));
  }
  for (const [typeName, value] of [
    ['number', 1],
    ['string', 'e'],
    ['array', []],
    ['null', null],
    ['true', true],
  ] as const) {
    addEvent('type', `event=${typeName}`, value, reject(''));
  }

  // --- lengths: at and over each limit, in ASCII, CJK and emoji (one character, four UTF-8 bytes) --
  for (const field of STRING_FIELD_NAMES) {
    const { max } = STRING_FIELDS[field];
    for (const script of ['ascii', 'cjk', 'emoji'] as const) {
      // An eventId must stay unique: it starts with the run's serial.
      const lead = field === 'eventId' ? `${nextId()}-` : '';
      addEvent('limit', `${field} ${script} at ${max}`, valid({ [field]: textOf(script, max, lead) }), accept);
      addEvent('limit', `${field} ${script} over ${max}`, valid({ [field]: textOf(script, max + 1, lead) }), reject(field));
      addEvent('limit', `${field} ${script} far over`, valid({ [field]: textOf(script, max * 4, lead) }), reject(field));
    }
    addEvent('limit', `${field} empty`, valid({ [field]: '' }), MAY_BE_EMPTY.has(field) ? accept : reject(field));
    if (field !== 'eventId') addEvent('limit', `${field} one character`, valid({ [field]: 'a' }), accept);
  }
  addEvent('limit', `createdAt over ${CREATED_AT_MAX}`, valid({ createdAt: recent() + ' '.repeat(CREATED_AT_MAX) }), reject('createdAt'));

  // --- props: keys, values, counts ----------------------------------------------------------------
  const manyKeys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
  addEvent('props', 'props empty', valid({ props: {} }), accept);
  addEvent('props', `props ${PROPS_MAX_KEYS} keys`, valid({ props: manyKeys(PROPS_MAX_KEYS) }), accept);
  addEvent('props', `props ${PROPS_MAX_KEYS + 1} keys`, valid({ props: manyKeys(PROPS_MAX_KEYS + 1) }), reject('props'));
  addEvent('props', 'props 1000 keys', valid({ props: manyKeys(1000) }), reject('props'));
  for (const script of ['ascii', 'cjk', 'emoji'] as const) {
    const atKey = textOf(script, PROP_KEY_MAX, 'k');
    const overKey = textOf(script, PROP_KEY_MAX + 1, 'k');
    addEvent('props', `props key ${script} at ${PROP_KEY_MAX}`, valid({ props: { [atKey]: 1 } }), accept);
    addEvent(
      'props',
      `props key ${script} over ${PROP_KEY_MAX}`,
      valid({ props: { [overKey]: 1 } }),
      reject(fieldPath(['props', overKey])),
    );
    addEvent(
      'props',
      `props value ${script} at ${PROP_STRING_MAX}`,
      valid({ props: { note: textOf(script, PROP_STRING_MAX, '') } }),
      accept,
    );
    addEvent(
      'props',
      `props value ${script} over ${PROP_STRING_MAX}`,
      valid({ props: { note: textOf(script, PROP_STRING_MAX + 1, '') } }),
      reject('props.note'),
    );
  }
  addEvent('props', 'props empty key', valid({ props: { '': 1 } }), reject(fieldPath(['props', ''])));
  for (const [name, value] of [
    ['max-safe+2', Number.MAX_SAFE_INTEGER + 2],
    ['1e308', 1e308],
    ['-1e308', -1e308],
    ['denormal', 5e-324],
    ['negative-zero', -0],
    ['false', false],
    ['null', null],
    ['empty-string', ''],
  ] as const) {
    addEvent('props', `props value ${name}`, valid({ props: { n: value } }), accept);
  }
  // JSON allows numbers beyond a double: they parse to ±Infinity, which the API refuses.
  for (const [name, text] of [
    ['1e400', '1e400'],
    ['-1e400', '-1e400'],
    ['400-digits', '9'.repeat(400)],
  ] as const) {
    addEvent(
      'props',
      `props value ${name}`,
      { __raw: JSON.stringify(valid({ props: { n: 0 } })).replace('"n":0', `"n":${text}`) },
      reject('props.n'),
    );
  }
  for (const [name, key] of [
    ['__proto__', '__proto__'],
    ['constructor', 'constructor'],
    ['toString', 'toString'],
    ['dotted', 'a.b'],
    ['bracketed', 'a[0]'],
    ['spaced', 'a b'],
    ['emoji', '😀'],
    ['nul', '\u0000'],
  ] as const) {
    addEvent(
      'props',
      `props key ${name}`,
      { __raw: JSON.stringify(valid({ props: { placeholder: 1 } })).replace('"placeholder"', JSON.stringify(key)) },
      key === '__proto__' ? reject('props.__proto__') : accept,
    );
  }

  // --- nesting: objects and arrays inside props, and as the event --------------------------------
  for (let depth = 1; depth <= 24; depth += 1) {
    let object: unknown = 1;
    let array: unknown = 1;
    for (let d = 0; d < depth; d += 1) {
      object = { a: object };
      array = [array];
    }
    addEvent('nesting', `props value object depth ${depth}`, valid({ props: { deep: object } }), reject('props.deep'));
    addEvent('nesting', `props value array depth ${depth}`, valid({ props: { deep: array } }), reject('props.deep'));
  }
  for (const depth of [64, 512, 2048]) {
    const open = '['.repeat(depth);
    addEvent('nesting', `event nested in ${depth} arrays`, { __raw: `${open}${JSON.stringify(valid())}${']'.repeat(depth)}` }, reject(''));
    addEvent(
      'nesting',
      `props value nested ${depth} deep`,
      { __raw: JSON.stringify(valid({ props: { deep: 0 } })).replace('"deep":0', `"deep":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`) },
      reject('props.deep'),
    );
  }

  // --- unknown fields ------------------------------------------------------------------------------
  for (const key of [
    'user_name',
    'userid',
    'EventId',
    'created_at',
    'receivedAt',
    'timestamp',
    'constructor',
    'toString',
    '',
    ' ',
    'a b',
    '😀',
    '\u0000',
    'k'.repeat(300),
    'props ',
    'PATH',
  ]) {
    addEvent(
      'unknown-field',
      `unknown ${JSON.stringify(key).slice(0, 20)}`,
      { __raw: JSON.stringify(valid({ placeholder: 1 })).replace('"placeholder"', JSON.stringify(key)) },
      reject(fieldPath([key])),
    );
  }
  addEvent(
    'unknown-field',
    'unknown __proto__',
    { __raw: JSON.stringify(valid({ placeholder: 1 })).replace('"placeholder"', '"__proto__"') },
    reject('__proto__'),
  );

  // --- unicode edge cases in every string field, at the start, middle, end and alone -------------
  for (const field of STRING_FIELD_NAMES) {
    for (const [name, text] of Object.entries(UNICODE)) {
      for (const position of ['start', 'middle', 'end', 'alone'] as const) {
        const id = field === 'eventId' ? nextId() : 'v';
        const value =
          position === 'start'
            ? `${text}${id}`
            : position === 'middle'
              ? `${id}${text}${id}`
              : position === 'end'
                ? `${id}${text}`
                : field === 'eventId'
                  ? `${text}${nextId()}`
                  : text;
        addEvent(
          'unicode',
          `${field} ${name} ${position}`,
          valid({ [field]: value }),
          charLength(value) <= STRING_FIELDS[field].max ? accept : reject(field),
        );
      }
    }
  }
  for (const [name, text] of Object.entries(UNICODE)) {
    addEvent('unicode', `props value ${name}`, valid({ props: { [`u_${name.replace(/-/g, '_')}`]: text } }), accept);
    // Whitespace around a time is not part of the documented form either way: only the others are asserted.
    if (text.trim() !== '') addEvent('unicode', `createdAt with ${name}`, valid({ createdAt: `${recent()}${text}` }), reject('createdAt'));
  }

  // --- dates: formats, offsets, days of month, leap days, range ----------------------------------
  for (const [name, text] of BAD_DATE_FORMATS) addEvent('date', `format ${name}`, valid({ createdAt: text }), reject('createdAt'));
  const accepted = [
    '2024-05-27T11:40:36',
    '2024-05-27 11:40:36',
    '2024-05-27T11:40',
    '2024-05-27T11:40:36.263222',
    '2024-05-27T11:40:36.263Z',
    '2024-05-27T11:40:36.123456789Z',
    '2024-05-27T11:40:36+0800',
    '2024-05-27T11:40:36+08',
    '2024-05-27T11:40:36-03:30',
  ];
  for (const text of accepted) addEvent('date', `format ${JSON.stringify(text)}`, valid({ createdAt: text }), accept);
  for (let hours = -19; hours <= 19; hours += 1) {
    for (const minutes of ['00', '30', '45', '59', '60']) {
      const sign = hours < 0 ? '-' : '+';
      const offset = `${sign}${String(Math.abs(hours)).padStart(2, '0')}:${minutes}`;
      const total = Math.abs(hours) * 60 + Number(minutes);
      const ok = Number(minutes) <= 59 && total <= 18 * 60;
      addEvent('date', `offset ${offset}`, valid({ createdAt: `2024-05-27T11:40:36${offset}` }), ok ? accept : reject('createdAt'));
    }
  }
  for (let month = 1; month <= 12; month += 1) {
    for (const day of [28, 29, 30, 31]) {
      const text = `2023-${String(month).padStart(2, '0')}-${day}T12:00:00Z`;
      addEvent('date', `day ${text.slice(0, 10)}`, valid({ createdAt: text }), dayExists(2023, month, day) ? accept : reject('createdAt'));
    }
  }
  const thisYear = now.getUTCFullYear();
  for (let year = 2000; year <= thisYear; year += 1) {
    addEvent(
      'date',
      `leap day ${year}`,
      valid({ createdAt: `${year}-02-29T12:00:00Z` }),
      dayExists(year, 2, 29) && Date.UTC(year, 1, 29, 12) <= nowMs + 86_400_000 ? accept : reject('createdAt'),
    );
  }
  for (const year of [1900, 1996, 2100, 2400])
    addEvent('date', `leap day ${year}`, valid({ createdAt: `${year}-02-29T12:00:00Z` }), reject('createdAt'));
  const range: ReadonlyArray<readonly [string, string, boolean]> = [
    ['first instant of 2000', '2000-01-01T00:00:00Z', true],
    ['last instant of 1999', '1999-12-31T23:59:59.999Z', false],
    ['2000 local in +14:00 (1999 in UTC)', '2000-01-01T10:00:00+14:00', false],
    ['epoch', '1970-01-01T00:00:00Z', false],
    ['year 0001', '0001-01-01T00:00:00Z', false],
    ['year 9999 at -18:00', '9999-12-31T23:59:59-18:00', false],
    ['year 9999 UTC', '9999-12-31T23:59:59Z', false],
    ['now + 23 h', `${isoSeconds(nowMs + 23 * 3_600_000)}Z`, true],
    ['now + 25 h', `${isoSeconds(nowMs + 25 * 3_600_000)}Z`, false],
    ['now + 1 year', `${isoSeconds(nowMs + 366 * 86_400_000)}Z`, false],
    ['2038 rollover', '2038-01-19T03:14:08Z', Date.UTC(2038, 0, 19, 3, 14, 8) <= nowMs + 86_400_000],
  ];
  for (const [name, text, ok] of range) addEvent('date', `range ${name}`, valid({ createdAt: text }), ok ? accept : reject('createdAt'));

  // --- path documents ------------------------------------------------------------------------------
  let uviSerial = 0;
  const uvi = () => `${runId}-u${(uviSerial += 1).toString(36)}`;
  const ct = (minutes = 0) => isoSeconds(nowMs - 3_600_000 + minutes * 60_000);
  const doc = (overrides: Record<string, unknown> = {}, elements = 2): Record<string, unknown> => {
    const out: Record<string, unknown> = {
      uvi: uvi(),
      el: Array.from({ length: elements }, (_, i) => ({ path: `/fuzz/${i}`, ct: ct(i) })),
    };
    for (const [key, value] of Object.entries(overrides)) {
      if (value === undefined) delete out[key];
      else out[key] = value;
    }
    return out;
  };
  const addDoc = (category: string, name: string, document: unknown, expect: Expectation) => {
    const el =
      typeof document === 'object' && document !== null && !Array.isArray(document) ? (document as { el?: unknown }).el : undefined;
    documents.push({ category, name, document, results: Array.isArray(el) && el.length > 0 ? el.length : 1, expect });
  };
  addDoc('paths', 'valid two elements', doc(), accept);
  addDoc('paths', 'valid one element', doc({}, 1), accept);
  addDoc('paths', 'uvi missing', doc({ uvi: undefined }), reject('uvi'));
  addDoc('paths', 'el missing', doc({ el: undefined }), reject('el'));
  addDoc('paths', 'el empty', doc({ el: [] }), reject('el'));
  for (const [typeName, value] of WRONG_TYPES) {
    addDoc('paths', `uvi=${typeName}`, doc({ uvi: value }), reject('uvi'));
    if (!Array.isArray(value)) addDoc('paths', `el=${typeName}`, doc({ el: value }), reject('el'));
    addDoc('paths', `el[0].path=${typeName}`, doc({ el: [{ path: value, ct: ct() }] }), reject('el[0].path'));
    addDoc('paths', `el[0].ct=${typeName}`, doc({ el: [{ path: '/a', ct: value }] }), reject('el[0].ct'));
    // An element that is an object but lacks `path` and `ct` is refused on its first missing field.
    const isObject = typeof value === 'object' && value !== null && !Array.isArray(value);
    addDoc('paths', `el[1]=${typeName}`, doc({ el: [{ path: '/a', ct: ct() }, value] }), reject(isObject ? 'el[1].path' : 'el[1]'));
  }
  for (const [typeName, value] of [
    ['number', 1],
    ['string', 'x'],
    ['null', null],
    ['array', []],
  ] as const)
    addDoc('paths', `document=${typeName}`, value, reject(''));
  for (const script of ['ascii', 'cjk', 'emoji'] as const) {
    addDoc('paths', `path ${script} at 1024`, doc({ el: [{ path: textOf(script, 1024, '/'), ct: ct() }] }), accept);
    addDoc('paths', `path ${script} over 1024`, doc({ el: [{ path: textOf(script, 1025, '/'), ct: ct() }] }), reject('el[0].path'));
    addDoc('paths', `uvi ${script} over 64`, doc({ uvi: textOf(script, 65, `${uvi()}-`) }), reject('uvi'));
  }
  addDoc('paths', 'path empty', doc({ el: [{ path: '', ct: ct() }] }), reject('el[0].path'));
  addDoc('paths', 'uvi empty', doc({ uvi: '' }), reject('uvi'));
  addDoc('paths', 'unknown key in document', doc({ visitor: 'x' }), reject('visitor'));
  addDoc('paths', 'unknown key in element', doc({ el: [{ path: '/a', ct: ct(), title: 'x' }] }), reject('el[0].title'));
  for (const [name, text] of BAD_DATE_FORMATS)
    addDoc(
      'date',
      `ct format ${name}`,
      doc({
        el: [
          { path: '/a', ct: ct() },
          { path: '/b', ct: text },
        ],
      }),
      reject('el[1].ct'),
    );
  for (const [name, text, ok] of range)
    addDoc('date', `ct range ${name}`, doc({ el: [{ path: '/a', ct: text }] }), ok ? accept : reject('el[0].ct'));
  for (const [name, text] of Object.entries(UNICODE)) {
    addDoc('unicode', `path with ${name}`, doc({ el: [{ path: `/u/${text}`, ct: ct() }] }), accept);
    addDoc('unicode', `uvi with ${name}`, doc({ uvi: `${uvi()}${text}` }), accept);
  }

  // --- request cases: the body as a whole ----------------------------------------------------------
  const json = 'application/json';
  const addRequest = (
    category: string,
    name: string,
    route: RequestCase['route'],
    contentType: string | undefined,
    body: () => Buffer,
    expect: RequestCase['expect'],
  ) => requests.push({ category, name, route, ...(contentType !== undefined ? { contentType } : {}), body, expect });
  const text = (value: string) => () => Buffer.from(value, 'utf8');
  const refuse = (status: number, field: string) => ({ kind: 'refuse' as const, status, field });
  const malformed: ReadonlyArray<readonly [string, string]> = [
    ['truncated', '{"events":[{"eventId":"a"'],
    ['trailing comma', '{"events":[1,]}'],
    ['single quotes', "{'events':[]}"],
    ['NaN literal', '{"events":[NaN]}'],
    ['comment', '{"events":[] /* c */}'],
    ['bare word', 'events'],
    ['two documents', '{}{}'],
    ['unquoted key', '{events:[]}'],
    ['lone surrogate escape in key', '{"\\ud800":1'],
    ['bad escape', '{"events":["\\x41"]}'],
    ['control char in string', '{"events":["a\u0001b"]}'],
    ['just whitespace', '   \n\t '],
    ['leading garbage', 'x{"events":[]}'],
    ['utf-16 BOM bytes', '\ufffe{}'],
    ['unclosed array', '['],
    ['unclosed string', '"abc'],
    ['deep unclosed', '['.repeat(5000)],
    ['number overflow only', '1e99999'],
  ];
  for (const route of ['/v1/events', '/v1/paths'] as const) {
    for (const [name, body] of malformed) {
      // A body that parses to a non-object (a number) is a wrong shape, not bad JSON: both name the body.
      addRequest('json', `${route} ${name}`, route, json, text(body), refuse(400, 'body'));
    }
    addRequest('json', `${route} empty body`, route, json, text(''), refuse(400, 'body'));
    for (const [name, body] of [
      ['array', '[]'],
      ['string', '"x"'],
      ['number', '42'],
      ['null', 'null'],
      ['true', 'true'],
    ] as const) {
      addRequest('json', `${route} top-level ${name}`, route, json, text(body), refuse(400, 'body'));
    }
    addRequest(
      'content-type',
      `${route} form-encoded`,
      route,
      'application/x-www-form-urlencoded',
      text('events=1&user=2'),
      refuse(400, 'body'),
    );
    addRequest(
      'content-type',
      `${route} multipart`,
      route,
      'multipart/form-data; boundary=x',
      text('--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n'),
      refuse(400, 'body'),
    );
    addRequest(
      'content-type',
      `${route} random binary`,
      route,
      'application/octet-stream',
      () => Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37 + seed) % 256)),
      refuse(400, 'body'),
    );
  }
  addRequest('batch', 'events empty', '/v1/events', json, text('{"events":[]}'), refuse(400, 'events'));
  addRequest('batch', 'events not an array', '/v1/events', json, text('{"events":{"0":{}}}'), refuse(400, 'events'));
  addRequest('batch', 'events null', '/v1/events', json, text('{"events":null}'), refuse(400, 'events'));
  addRequest('batch', 'key next to events', '/v1/events', json, text('{"events":[],"meta":1}'), refuse(400, 'meta'));
  addRequest('batch', 'documents empty', '/v1/paths', json, text('{"documents":[]}'), refuse(400, 'documents'));
  addRequest('batch', 'documents not an array', '/v1/paths', json, text('{"documents":"x"}'), refuse(400, 'documents'));
  addRequest('batch', 'key next to documents', '/v1/paths', json, text('{"documents":[],"meta":1}'), refuse(400, 'meta'));
  /** A body made now (so the inputs do not depend on the order requests are sent in). */
  const fixed = (value: unknown) => {
    const bytes = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8');
    return () => bytes;
  };
  const batchOf = (n: number) => fixed({ events: Array.from({ length: n }, () => valid()) });
  addRequest('batch', `${MAX_EVENTS} events`, '/v1/events', json, batchOf(MAX_EVENTS), { kind: 'accept', events: MAX_EVENTS });
  addRequest('batch', `${MAX_EVENTS + 1} events`, '/v1/events', json, batchOf(MAX_EVENTS + 1), refuse(400, 'events'));
  const tooMany = batchOf(10_000);
  addRequest(
    'batch',
    '10000 events',
    '/v1/events',
    json,
    tooMany,
    tooMany().length > MAX_BODY_BYTES ? refuse(413, 'body') : refuse(400, 'events'),
  );
  addRequest('batch', `${MAX_EVENTS + 1} path elements`, '/v1/paths', json, fixed(doc({}, MAX_EVENTS + 1)), refuse(400, 'el'));
  addRequest('batch', 'single event object', '/v1/events', json, fixed(valid()), { kind: 'accept', events: 1 });
  addRequest('batch', 'single path document', '/v1/paths', json, fixed(doc({}, 3)), { kind: 'accept', events: 3 });

  // Sizes: a body of exactly the limit (valid events padded with JSON whitespace), one byte over, and 6 to 10 MiB.
  const exactly = (bytes: number) => {
    const items: Record<string, unknown>[] = [];
    let size = 12;
    while (items.length < MAX_EVENTS) {
      const event = valid({ errorMsg: textOf('ascii', 1024, ''), path: `/${textOf('ascii', 1000, '')}` });
      const length = Buffer.byteLength(JSON.stringify(event)) + 1;
      if (size + length > bytes) break;
      items.push(event);
      size += length;
    }
    const core = JSON.stringify({ events: items });
    return { count: items.length, body: fixed(core + ' '.repeat(Math.max(0, bytes - Buffer.byteLength(core)))) };
  };
  const atLimit = exactly(MAX_BODY_BYTES);
  addRequest('size', 'body of exactly 1 MiB', '/v1/events', json, atLimit.body, { kind: 'accept', events: atLimit.count });
  const atLimitBinary = exactly(MAX_BODY_BYTES);
  addRequest('size', 'body of exactly 1 MiB as application/octet-stream', '/v1/events', 'application/octet-stream', atLimitBinary.body, {
    kind: 'accept',
    events: atLimitBinary.count,
  });
  const overLimit = exactly(MAX_BODY_BYTES);
  addRequest(
    'size',
    'body of 1 MiB + 1 byte',
    '/v1/events',
    json,
    () => Buffer.concat([overLimit.body(), Buffer.from(' ')]),
    refuse(413, 'body'),
  );
  const padded = (bytes: number, route: RequestCase['route']) => {
    const core = route === '/v1/events' ? JSON.stringify({ events: [valid()] }) : JSON.stringify(doc());
    return () => Buffer.from(core + ' '.repeat(bytes - Buffer.byteLength(core)), 'utf8');
  };
  for (const route of ['/v1/events', '/v1/paths'] as const) {
    for (const bytes of [2 * MiB, 4.5 * MiB, 6 * MiB - 1, 6 * MiB + 1, 8 * MiB, 10 * MiB - 1024]) {
      addRequest('size', `${route} ${(bytes / MiB).toFixed(2)} MiB json`, route, json, padded(bytes, route), refuse(413, 'body'));
    }
    for (const bytes of [4.5 * MiB + 1, 7 * MiB]) {
      addRequest(
        'size',
        `${route} ${(bytes / MiB).toFixed(2)} MiB binary`,
        route,
        'application/octet-stream',
        padded(bytes, route),
        refuse(413, 'body'),
      );
    }
  }

  // Content types: a valid body is read as JSON whatever the type says (the API does not negotiate).
  for (const [name, contentType] of [
    ['missing', undefined],
    ['text/plain', 'text/plain'],
    ['octet-stream', 'application/octet-stream'],
    ['form-encoded', 'application/x-www-form-urlencoded'],
    ['json utf-8', 'application/json; charset=utf-8'],
    ['vendor json', 'application/vnd.uba+json'],
    ['image/png', 'image/png'],
    ['garbage', ';;;'],
  ] as const) {
    addRequest('content-type', `valid event, content type ${name}`, '/v1/events', contentType, fixed({ events: [valid()] }), {
      kind: 'accept',
      events: 1,
    });
    addRequest('content-type', `valid document, content type ${name}`, '/v1/paths', contentType, fixed(doc()), {
      kind: 'accept',
      events: 2,
    });
  }
  addRequest('content-type', 'UTF-8 BOM before a valid body', '/v1/events', json, fixed(`\ufeff${JSON.stringify({ events: [valid()] })}`), {
    kind: 'accept',
    events: 1,
  });

  return { events, documents, requests };
}

/** The text an event or document case is sent as: its own JSON, or the raw JSON it carries. */
export function jsonOf(value: unknown): string {
  if (typeof value === 'object' && value !== null && '__raw' in value) return String((value as { __raw: unknown }).__raw);
  return JSON.stringify(value);
}

/** A key that tells two inputs apart: route and content type plus the exact text sent. */
export function inputKey(kind: 'event' | 'document' | 'request', text: string, extra = ''): string {
  return `${kind}\u0000${extra}\u0000${text}`;
}
