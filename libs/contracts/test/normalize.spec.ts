import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { hostFromAddress, ipFromAddress, hostnameFromAddress, ipv4FromLittleEndianInt, normalizeMac, toUtcIso, getCi, textOrNull } from '@edge/contracts';

describe('normalizeMac', () => {
  it.each([
    ['00075FD83950', '00:07:5F:D8:39:50'],
    ['00-07-5f-d8-39-50', '00:07:5F:D8:39:50'],
    ['0007.5fd8.3950', '00:07:5F:D8:39:50'],
    ['00:1b:44:11:3a:b7', '00:1B:44:11:3A:B7'],
    ['  00:1B:44:11:3A:B7 ', '00:1B:44:11:3A:B7'],
    ['0:7:5f:d8:39:50', '00:07:5F:D8:39:50'],
    ['', null],
    ['000000000000', null],
    ['00:00:00:00:00:00', null],
    ['FF:FF:FF:FF:FF:FF', null],
    ['ffffffffffff', null],
    ['00:07:5F:D8:39', null],
    ['00:07-5F:D8:39:50', null],
    ['zz075FD83950', null],
    ['00075FD839501', null],
    [null, null],
    [12345, null],
  ])('%j → %j', (input, expected) => {
    expect(normalizeMac(input)).toBe(expected);
  });

  it('is idempotent and always canonical or null (property)', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const m = normalizeMac(s);
        if (m === null) return;
        expect(m).toMatch(/^([0-9A-F]{2}:){5}[0-9A-F]{2}$/);
        expect(normalizeMac(m)).toBe(m);
      }),
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 6, maxLength: 6 }), (bytes) => {
        const hex = Buffer.from(bytes).toString('hex');
        const expected = /^0{12}$|^f{12}$/.test(hex) ? null : hex.toUpperCase().match(/../g)!.join(':');
        expect(normalizeMac(hex)).toBe(expected);
        expect(normalizeMac(hex.match(/..../g)!.join('.'))).toBe(expected);
      }),
    );
  });
});

describe('ipv4FromLittleEndianInt', () => {
  it.each([
    [167880896, '192.168.1.10'],
    ['167880896', '192.168.1.10'],
    [0, null],
    [16777343, '127.0.0.1'],
    [-1, '255.255.255.255'],
    [4294967295, '255.255.255.255'],
    [4294967296, null],
    [1.5, null],
    ['abc', null],
    [null, null],
  ])('%j → %j', (input, expected) => {
    expect(ipv4FromLittleEndianInt(input)).toBe(expected);
  });
  it('round-trips every address (property)', () => {
    fc.assert(
      fc.property(fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)), ([a, b, c, d]) => {
        const n = (a | (b << 8) | (c << 16) | (d << 24)) >>> 0;
        expect(ipv4FromLittleEndianInt(n)).toBe(n === 0 ? null : `${a}.${b}.${c}.${d}`);
      }),
    );
  });
});

describe('hostFromAddress', () => {
  it.each([
    ['http://10.1.2.3:8554/', '10.1.2.3'],
    ['https://[fe80::1]:443/x', 'fe80::1'],
    ['http://[2001:db8::5]/', '2001:db8::5'],
    ['2001:db8::5', '2001:db8::5'],
    ['10.0.0.5:80', '10.0.0.5'],
    ['rtsp://user:pw@cam-01.Local:554/stream', 'cam-01.local'],
    ['cam-01.local', 'cam-01.local'],
    ['', null],
    ['http://', null],
    [42, null],
  ])('%j → %j', (input, expected) => {
    expect(hostFromAddress(input)).toBe(expected);
  });
  it('splits ip and hostname', () => {
    expect(ipFromAddress('http://10.1.2.3:80/')).toBe('10.1.2.3');
    expect(ipFromAddress('http://cam.local/')).toBeNull();
    expect(hostnameFromAddress('http://cam.local/')).toBe('cam.local');
    expect(hostnameFromAddress('http://10.1.2.3/')).toBeNull();
  });
});

describe('toUtcIso', () => {
  it.each([
    ['2024-05-19T09:35:22.1234567-05:00', '2024-05-19T14:35:22.123Z'],
    ['2024-05-19T14:35:22Z', '2024-05-19T14:35:22.000Z'],
    ['2024-05-19T14:35:22.1Z', '2024-05-19T14:35:22.100Z'],
    ['2024-05-19T16:35:22+02:00', '2024-05-19T14:35:22.000Z'],
    ['2024-05-19T16:35:22+0200', '2024-05-19T14:35:22.000Z'],
    ['2024-05-19 14:35:22', '2024-05-19T14:35:22.000Z'],
    ['/Date(1716129322000)/', '2024-05-19T14:35:22.000Z'],
    ['/Date(1716129322000-0500)/', '2024-05-19T14:35:22.000Z'],
    [1716129322000, '2024-05-19T14:35:22.000Z'],
    ['0001-01-01T00:00:00', null],
    ['0001-01-01T00:00:00.0000000Z', null],
    ['2024-13-01T00:00:00Z', null],
    ['yesterday', null],
    ['', null],
    [null, null],
  ])('%j → %j', (input, expected) => {
    expect(toUtcIso(input)).toBe(expected);
  });
  it('agrees with Date for any instant and offset (property)', () => {
    fc.assert(
      fc.property(
        fc.date({ min: new Date('1971-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }),
        fc.integer({ min: -12 * 60, max: 14 * 60 }),
        fc.nat(9999),
        (d, offMin, extra) => {
          const local = new Date(d.getTime() + offMin * 60_000);
          const sign = offMin >= 0 ? '+' : '-';
          const abs = Math.abs(offMin);
          const off = `${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
          const frac = String(local.getUTCMilliseconds()).padStart(3, '0') + String(extra).padStart(4, '0');
          const text = `${local.toISOString().slice(0, 19)}.${frac}${off}`;
          expect(toUtcIso(text)).toBe(d.toISOString());
        },
      ),
    );
  });
});

describe('helpers', () => {
  it('getCi reads keys case-insensitively', () => {
    expect(getCi({ IPAddress: 5 }, 'ipaddress')).toBe(5);
    expect(getCi({ name: 'a', NAME: 'b' }, 'name')).toBe('a');
    expect(getCi(null, 'x')).toBeUndefined();
  });
  it('textOrNull trims', () => {
    expect(textOrNull('  a ')).toBe('a');
    expect(textOrNull('   ')).toBeNull();
    expect(textOrNull(7)).toBe('7');
  });
});
