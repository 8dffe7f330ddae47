import { describe, expect, it } from 'vitest';
import {
  maskIdNumber,
  maskingReplacer,
  maskName,
  maskPersonalData,
  maskPhone,
  maskText,
} from '../../shared/personal-data.ts';

const ID_NUMBER = '11010519491231002X';
const OTHER_ID_NUMBER = '440305199001011234';
const MOBILE = '13812345678';
const OTHER_MOBILE = '19987654321';

const logLine = (value: unknown): string => JSON.stringify(value, maskingReplacer);

/** The output must not quote any of these whole. */
const expectNoWholeIdentifiers = (output: string) => {
  for (const secret of [ID_NUMBER, OTHER_ID_NUMBER, MOBILE, OTHER_MOBILE]) expect(output).not.toContain(secret);
};

describe('maskIdNumber', () => {
  it('keeps the first and last four characters of an 18-character ID number', () => {
    expect(maskIdNumber(ID_NUMBER)).toBe('1101**********002X');
  });

  it('masks a value of eight characters or fewer completely', () => {
    expect(maskIdNumber('12345678')).toBe('********');
    expect(maskIdNumber('')).toBe('');
  });
});

describe('maskPhone', () => {
  it('keeps the first three and last four digits of an 11-digit mobile', () => {
    expect(maskPhone(MOBILE)).toBe('138****5678');
  });

  it('masks a value of seven characters or fewer completely', () => {
    expect(maskPhone('1234567')).toBe('*******');
  });
});

describe('maskName', () => {
  it('keeps the first character of a Chinese name', () => {
    expect(maskName('张三')).toBe('张*');
    expect(maskName('欧阳娜娜')).toBe('欧***');
  });

  it('counts characters, not UTF-16 code units', () => {
    // U+20BB7 is outside the BMP: two code units, one character.
    expect(maskName('𠮷野家')).toBe('𠮷**');
  });

  it('masks a one-character name as a single star', () => {
    expect(maskName('李')).toBe('*');
    expect(maskName('')).toBe('*');
  });
});

describe('maskText', () => {
  it('masks an ID number and a mobile quoted in free text', () => {
    const masked = maskText(`citizen ${ID_NUMBER} called from ${MOBILE} about a licence`);
    expect(masked).toBe('citizen 1101**********002X called from 138****5678 about a licence');
  });

  it('masks identifiers next to Chinese punctuation', () => {
    const masked = maskText(`市民（身份证${OTHER_ID_NUMBER}，手机${OTHER_MOBILE}）来电`);
    expectNoWholeIdentifiers(masked);
    expect(masked).toContain('4403**********1234');
    expect(masked).toContain('199****4321');
  });

  it('masks an ID number ending in a lower-case x', () => {
    expect(maskText('11010519491231002x')).toBe('1101**********002x');
  });

  it('leaves numbers that are not identifiers alone', () => {
    expect(maskText('order 12345 of 2024-05-01, amount 1999 fen')).toBe('order 12345 of 2024-05-01, amount 1999 fen');
    // 12 digits: longer than a mobile, shorter than an ID number.
    expect(maskText('138123456789')).toBe('138123456789');
    // Starts with 12: no mobile number does.
    expect(maskText('12812345678')).toBe('12812345678');
  });
});

describe('maskingReplacer with JSON.stringify', () => {
  it('masks personal keys in nested records, whatever their case', () => {
    const record = {
      ticket: {
        applicant: { holderName: '张三', idNumber: ID_NUMBER, phone: MOBILE },
        operator: { operatorIdNumber: OTHER_ID_NUMBER, contactName: '李四' },
        payment: { PayerName: '王小明', IDNumber: OTHER_ID_NUMBER },
      },
    };
    const output = logLine(record);
    expectNoWholeIdentifiers(output);
    const parsed = JSON.parse(output) as typeof record;
    expect(parsed.ticket.applicant).toEqual({
      holderName: '张*',
      idNumber: '1101**********002X',
      phone: '138****5678',
    });
    expect(parsed.ticket.operator).toEqual({ operatorIdNumber: '4403**********1234', contactName: '李*' });
    expect(parsed.ticket.payment).toEqual({ PayerName: '王**', IDNumber: '4403**********1234' });
  });

  it('masks identifiers quoted in free-text fields under any key', () => {
    const output = logLine({
      description: `路灯坏了，请联系${MOBILE}`,
      notes: { internal: `applicant id ${ID_NUMBER}; callback ${OTHER_MOBILE}` },
    });
    expectNoWholeIdentifiers(output);
    expect(output).toContain('138****5678');
  });

  it('masks identifiers inside arrays, of strings and of records', () => {
    const output = logLine({
      phones: [MOBILE, OTHER_MOBILE],
      people: [{ idNumber: ID_NUMBER, name: '张三' }, { remark: `see ${OTHER_ID_NUMBER}` }],
    });
    expectNoWholeIdentifiers(output);
    expect(JSON.parse(output)).toEqual({
      phones: ['138****5678', '199****4321'],
      people: [{ idNumber: '1101**********002X', name: '张*' }, { remark: 'see 4403**********1234' }],
    });
  });

  it('masks a bare string and a top-level array', () => {
    expectNoWholeIdentifiers(logLine(MOBILE));
    expectNoWholeIdentifiers(logLine([ID_NUMBER, [[OTHER_MOBILE]]]));
  });

  it('redacts a password completely', () => {
    expect(JSON.parse(logLine({ user: 'ops', password: 'hunter2hunter2' }))).toEqual({
      user: 'ops',
      password: '[redacted]',
    });
  });

  it("does not mask an error's name", () => {
    expect(JSON.parse(logLine({ name: 'TypeError', message: 'x' }))).toEqual({ name: 'TypeError', message: 'x' });
    expect(JSON.parse(logLine({ error: { name: 'ConditionalCheckFailedException', message: 'x' } }))).toEqual({
      error: { name: 'ConditionalCheckFailedException', message: 'x' },
    });
  });

  it('masks a name beside a person identifier', () => {
    const output = logLine({ kind: 'citizen', id: ID_NUMBER, name: '张三' });
    expectNoWholeIdentifiers(output);
    expect(JSON.parse(output)).toEqual({ kind: 'citizen', id: '1101**********002X', name: '张*' });
    expect(output).not.toContain('张三');
  });

  it('masks a name beside a phone or a credit code', () => {
    expect(JSON.parse(logLine({ name: '张三', phone: MOBILE }))).toEqual({ name: '张*', phone: '138****5678' });
    expect(JSON.parse(logLine({ name: '某某公司', creditCode: '91370000MA3C0000XX' }))).toMatchObject({
      name: '某***',
    });
  });

  it('turns a bigint into a string instead of throwing', () => {
    expect(logLine({ amountFen: 12345678901234567890n })).toBe('{"amountFen":"12345678901234567890"}');
  });

  it('leaves numbers, booleans and null as they are', () => {
    expect(logLine({ count: 3, ok: true, missing: null })).toBe('{"count":3,"ok":true,"missing":null}');
  });

  // SMS and call-centre data write mobiles after the country code without a space.
  it('masks a mobile written with the +86 country code', () => {
    const output = logLine({ description: `回电 +86${MOBILE}`, sms: { to: `86${OTHER_MOBILE}` } });
    expectNoWholeIdentifiers(output);
  });
});

// Keys known to hold personal data are masked whatever the type of their value.
describe('maskingReplacer with numeric identifiers', () => {
  it('masks a mobile held as a number under a personal key', () => {
    const output = logLine({ applicant: { phone: Number(MOBILE) } });
    expectNoWholeIdentifiers(output);
  });
});

describe('maskPersonalData', () => {
  it('returns a masked deep copy and leaves the original untouched', () => {
    const original = { holder: { name: '张三', idNumber: ID_NUMBER }, contact: [MOBILE] };
    const masked = maskPersonalData(original);
    expect(masked).toEqual({ holder: { name: '张*', idNumber: '1101**********002X' }, contact: ['138****5678'] });
    expect(original.holder.idNumber).toBe(ID_NUMBER);
    expect(original.contact[0]).toBe(MOBILE);
    expect(masked).not.toBe(original);
  });
});
